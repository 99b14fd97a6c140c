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
    def __init__(self, *, later: bool = False) -> None:
        """``later``: the keys are built by `build` (a widget each: 50 ms for the full view's
        twenty), once what the screen is opened for is on it."""
        super().__init__()
        self._shown: Shown | None = None
        self._check_pending = False
        self._later = later
        # Built with the screen, so the binding refreshes that follow change nothing.
        self._bindings_ready = not later

    def build(self) -> None:
        """Build the keys put off by ``later`` (once; later calls do nothing)."""
        if self._later and self.is_attached:
            self._later = False
            self._bindings_ready = True
            self._shown = self._keys_shown()
            self.refresh(recompose=True)

    def on_mount(self) -> None:
        super().on_mount()
        self._shown = self._keys_shown()

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self._later:
            return  # `build` shows the keys of then
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
