"""Renderers the sender may call for images described by a spec (see `handlers.context.Image`).

A renderer runs in the sender, outside any collective's context, so no language is set
there: it must never call `_()`. Every word it draws comes translated in the spec, which is
built in the collective's context (`handlers.chart.spec`, `handlers.chart.comparison_spec`)."""

from __future__ import annotations

from collections.abc import Callable

from handlers import chart

Renderer = Callable[[bytes], tuple[bytes, int, int]]

RENDERERS: dict[str, Renderer] = {
    "powermap-chart": chart.render_spec,
    "comparison-chart": chart.render_comparison_spec,
}
