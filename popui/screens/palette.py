"""Command palette entries a screen offers itself (`Screen.COMMANDS`): each screen that uses
this provider lists ``(title, help, callback)`` in ``palette_commands()``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider


@runtime_checkable
class HasPaletteCommands(Protocol):
    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]: ...


class ScreenCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        return list(screen.palette_commands()) if isinstance(screen, HasPaletteCommands) else []

    async def discover(self) -> Hits:
        for title, text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=text)
