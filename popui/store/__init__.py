"""Local state kept between sessions (no Textual, no sockets)."""
