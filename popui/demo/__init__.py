"""The embedded demo: an in-process POP3 server and a generated sample mailbox."""
