"""The footer: Textual's, rebuilt only when the keys it shows change.

Textual's ``Footer`` rebuilds itself (a widget per key) on every binding refresh, and a screen
asks for several in a row: opening the full view asked for five (auto focus, screen stack,
focus, idle callbacks) of ~18 ms each, and the text waited for them. Here a burst of refreshes
makes one check, and the footer is rebuilt only when the keys shown differ.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter

Shown = tuple[tuple[str, str, str, str, bool, str], ...]


class Footer(TextualFooter):
    def __init__(self) -> None:
        super().__init__()
        self._shown: Shown | None = None
        self._check_pending = False
        # Built with the screen (while a message downloads), not after its first paint (when
        # the text is due); the binding refreshes that follow then change nothing.
        self._bindings_ready = True

    def on_mount(self) -> None:
        super().on_mount()
        self._shown = self._keys_shown()

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    def _keys_shown(self) -> Shown:
        app = self.app
        return tuple(
            (binding.key, app.get_key_display(binding), binding.action, binding.description,
             enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show or binding.action == "app.command_palette"
        )

    async def _rebuild_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:
            return
        shown = self._keys_shown()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
