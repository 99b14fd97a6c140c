"""Byte counts in short human units, the same everywhere (list, status bar, dialogs, engine
messages). No Textual here: the engine uses it too."""

from __future__ import annotations


def human_size(size: float) -> str:
    """Bytes in short units (powers of 1024): ``512B``, ``4.2K``, ``38K``, ``5.1M``, ``1.0G``."""
    if size < 1000:
        return f"{size:.0f}B"
    value = float(size)
    for unit in ("K", "M", "G"):
        value /= 1024
        if value < 9.95:
            return f"{value:.1f}{unit}"
        if value < 999.5:
            return f"{value:.0f}{unit}"
    value /= 1024
    return f"{value:.1f}T" if value < 9.95 else f"{value:.0f}T"
