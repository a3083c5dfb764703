"""Renderers the sender may call for images described by a spec (see `handlers.context.Image`)."""

from __future__ import annotations

from collections.abc import Callable

from handlers import chart

Renderer = Callable[[bytes], tuple[bytes, int, int]]

RENDERERS: dict[str, Renderer] = {
    "powermap-chart": chart.render_spec,
    "comparison-chart": chart.render_comparison_spec,
}
