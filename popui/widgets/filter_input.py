"""The filter line (``/``): a pattern input with history (up/down, as in a shell), completion
from that history and the named filters, and an error line under it that points at the fault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.suggester import Suggester
from textual.widgets import Input, Static

from popui.patterns import FilterHistory, PatternError
from popui.widgets.safe_text import safe_line


class PatternSuggester(Suggester):
    """Completes what is typed with the newest matching past filter, else a named filter's
    pattern (Right or End takes the suggestion)."""

    def __init__(self, candidates: Callable[[], Iterable[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.candidates = candidates

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        for candidate in self.candidates():
            if candidate.startswith(value) and candidate != value:
                return candidate
        return None


class FilterInput(Input):
    """An ``Input`` whose up/down walk the filter history."""

    BINDINGS = [
        Binding("up", "history_back", "Earlier filter", show=False),
        Binding("down", "history_forward", "Later filter", show=False),
    ]

    def __init__(self, history: FilterHistory, named: dict[str, str], **kwargs: object) -> None:
        self.history = history
        self.named = named
        super().__init__(suggester=PatternSuggester(self._candidates), **kwargs)  # type: ignore[arg-type]

    def _candidates(self) -> Iterable[str]:
        yield from reversed(self.history.entries)
        yield from self.named.values()

    def action_history_back(self) -> None:
        entry = self.history.previous(self.value)
        if entry is not None:
            self.value = entry
            self.cursor_position = len(entry)

    def action_history_forward(self) -> None:
        entry = self.history.next()
        if entry is not None:
            self.value = entry
            self.cursor_position = len(entry)


KEPT = "  The filter in effect stays; Esc clears it."


def pointer_line(error: PatternError) -> Content:
    """Carets under the fault (past the input's left padding), then what happens now."""
    return Content.assemble((" " + error.pointer(), "bold"), (KEPT, "$text-muted"))


class FilterBox(Vertical):
    """The input and its error lines, above the status bar of the main screen."""

    DEFAULT_CSS = """
    FilterBox {
        height: auto; display: none;
        &.-shown { display: block; }
        & > #filter, & > #filter:focus { height: 1; border: none; padding: 0 1; }
        & > #filter-pointer { height: 1; color: $text-error; }
        & > #filter-error { width: 1fr; height: auto; color: $text-error; padding: 0 1; }
        & > .-error { display: none; }
        &.-failed > .-error { display: block; }
    }
    """

    def __init__(self, history: FilterHistory, named: dict[str, str], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.history = history
        self.named = named

    def compose(self) -> ComposeResult:
        yield FilterInput(
            self.history, self.named, id="filter",
            placeholder="filter: words, sizes (>5M), or patterns (~f alice ~d <3d !~N) · "
                        "↑ history · Enter keeps it",
        )
        yield Static(id="filter-pointer", classes="-error")
        yield Static(id="filter-error", classes="-error")

    def show_error(self, error: PatternError | None) -> None:
        """Carets under the fault in the input, and the sentence under them (None: hide)."""
        if error is not None:
            self.query_one("#filter-pointer", Static).update(pointer_line(error))
            self.query_one("#filter-error", Static).update(safe_line(error.problem))
        self.set_class(error is not None, "-failed")
