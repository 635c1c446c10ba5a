"""A footer that never cuts a key: when the terminal is too narrow for every key with its whole
label, it shortens the labels ("Record / stop" reads "Record"), then leaves out the keys a meeting
needs least (the help and the palette list every key)."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # Textual's own key widget (not exported; Textual is pinned)

KEEP_ORDER = ("trigger('fallback')", "quit", "help", "open_session", "new_session", "retry", "export")
"""The footer's actions from the last to go to the first (an action not named goes before all of
these); the palette's key is always shown."""

Shown = dict[str, tuple[Binding, bool, str]]
"""The footer's bindings by action: the binding, whether it is enabled, its tooltip."""


def short_label(description: str) -> str:
    """The first part of a label written ``A / B``."""
    return description.split(" / ", 1)[0]


def key_cells(key_display: str, description: str) -> int:
    """The cells a compact footer key takes: the key, a space, the label, the margin after it."""
    return len(key_display) + (1 + len(description) if description else 0) + 1


class FittingFooter(Footer):
    """The keys that fit the width; recomposed when the width changes which ones fit."""

    def __init__(self, *, compact: bool = True) -> None:
        super().__init__(compact=compact)
        self._fitted: tuple[tuple[str, str], ...] | None = None

    def _keys(self) -> tuple[Shown, tuple[object, Binding, bool, str] | None]:
        """The shown bindings by action (the first binding of each), and the palette's binding."""
        active = self.screen.active_bindings
        shown: Shown = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in shown:
                shown[binding.action] = (binding, enabled, tooltip)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING) if self.show_command_palette else None
        return shown, palette

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        shown, palette = self._keys()
        chosen = self.fit(shown, palette[1] if palette else None)
        self._fitted = tuple(chosen)
        for action, label in chosen:
            binding, enabled, tooltip = shown[action]
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                label,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            _node, binding, enabled, tooltip = palette
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )

    def fit(self, shown: Shown, palette: Binding | None) -> list[tuple[str, str]]:
        """(action, label) of the keys to show, in the bindings' order: all with whole labels, else
        all with short labels, else the most needed that fit."""
        width = self.size.width or self.app.size.width
        if palette is not None:
            width -= key_cells(self.app.get_key_display(palette), palette.description) + 1  # its rule
        display = {action: self.app.get_key_display(b) for action, (b, _, _) in shown.items()}

        def cells(keys: list[tuple[str, str]]) -> int:
            return sum(key_cells(display[action], label) for action, label in keys)

        whole = [(action, b.description) for action, (b, _, _) in shown.items()]
        if cells(whole) <= width:
            return whole
        short = [(action, short_label(label)) for action, label in whole]
        rank = {action: i for i, action in enumerate(KEEP_ORDER)}
        by_need = sorted(short, key=lambda key: rank.get(key[0], len(KEEP_ORDER)))
        while by_need and cells(by_need) > width:
            by_need.pop()
        kept = {action for action, _ in by_need}
        return [key for key in short if key[0] in kept]

    def on_resize(self, event: events.Resize) -> None:
        if self._fitted is not None:
            self.call_after_refresh(self._refit)

    async def _refit(self) -> None:
        shown, palette = self._keys()
        if tuple(self.fit(shown, palette[1] if palette else None)) != self._fitted:
            await self.recompose()
