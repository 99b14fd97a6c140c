"""mutt's pattern language for the filter: ``~f alice ~s invoice``, ``!~D``, ``~z >5M | ~d <3d``.

No Textual here. ``compile_pattern(text)`` gives a ``Pattern`` (or raises ``PatternError`` with
a sentence and the position of the problem); ``Pattern.filter(rows)`` keeps the rows it matches.
Rows are anything with the fields of ``PatternRow``. Plain words and the size terms the filter
took before (``invoice >5M``) mean what they meant.
"""

from popui.patterns.compiler import FilterResult, Pattern, PatternRow, compile_pattern
from popui.patterns.history import FilterHistory
from popui.patterns.parser import PatternError, is_regex, parse

__all__ = [
    "FilterHistory",
    "FilterResult",
    "Pattern",
    "PatternError",
    "PatternRow",
    "compile_pattern",
    "is_regex",
    "parse",
]
