"""The POP3 engine: protocol client, pipelining, the session owner thread.

Nothing in this package imports Textual (tests/test_layers.py enforces it). The UI talks to
the engine only by submitting requests (`popui.pop3.requests`) and receiving plain-data events
(`popui.pop3.events`) through a callback.
"""
