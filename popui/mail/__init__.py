"""Parsing and sanitising of untrusted mail: ``str``/``bytes`` in and out, no UI, no sockets."""
