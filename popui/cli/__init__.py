"""The command line: argument parsing and the ``account`` and ``locate`` commands."""
