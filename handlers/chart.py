"""The power map's chart: airtime share and labour by kind per member, as a PNG.

Its words are translated when the spec is built (`spec`, `comparison_spec`: in the
collective's context, where `_()` knows the language) and kept in the spec, because the
sender renders it later, where no language is set; the renderers only draw what the spec
says (a spec without words, queued before they were kept, is drawn in English).

Pure rendering with matplotlib's Agg backend; the caller runs it in a thread so
the event loop keeps answering while it draws. matplotlib is imported when the first
chart is drawn, not when the bot starts: it costs about 40 MB and most of a second,
which a bot that never draws a chart should not pay.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers.i18n import N_, _
from handlers.tasks import kind_word

KIND_COLOURS = {"visible": "#4c72b0", "invisible": "#8172b2", "care": "#55a868"}


@dataclass(frozen=True)
class ChartRow:
    name: str
    words_share: float  # 0..1
    labour: dict[str, int]  # kind -> tasks


# The chart's words, marked here and translated when a spec is built (never when drawn).
AIRTIME_TITLE = N_("Airtime: share of words (%)")
LABOUR_TITLE = N_("Labour: tasks logged, by kind")
NOTE = N_("A mirror for the group, not a score for people.")


def render(
    title: str,
    rows: list[ChartRow],
    *,
    airtime: str = AIRTIME_TITLE,
    labour: str = LABOUR_TITLE,
    note: str = NOTE,
    kinds: Mapping[str, str] | None = None,
) -> tuple[bytes, int, int]:
    """PNG bytes and their pixel size. Members in the order given (by name, never ranked).
    Every word is drawn as given (already translated)."""
    plt, MaxNLocator = _matplotlib()
    height = max(3.0, 0.45 * len(rows) + 1.6)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, height), dpi=100, sharey=True)
    try:
        # `$` would start matplotlib's math mode; a display name is never a formula.
        names = [r.name[:24].replace("$", r"\$") for r in rows]
        ys = list(range(len(rows)))
        left.barh(ys, [100 * r.words_share for r in rows], color="#dd8452")
        left.set_title(airtime.replace("$", r"\$"))
        left.set_yticks(ys, names)
        left.invert_yaxis()
        left.set_xlim(0, 100)
        offsets = [0] * len(rows)
        for kind, colour in KIND_COLOURS.items():
            counts = [r.labour.get(kind, 0) for r in rows]
            label = (kinds or {}).get(kind, kind).replace("$", r"\$")
            right.barh(ys, counts, left=offsets, color=colour, label=label)
            offsets = [o + c for o, c in zip(offsets, counts, strict=True)]
        right.set_title(labour.replace("$", r"\$"))
        right.xaxis.set_major_locator(MaxNLocator(integer=True))
        right.legend(loc="lower right", fontsize="small")
        fig.suptitle(title.replace("$", r"\$"))
        fig.text(0.5, 0.01, note.replace("$", r"\$"), ha="center", fontsize="small")
        fig.tight_layout(rect=(0, 0.04, 1, 0.95))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        width, height_px = (int(v) for v in fig.get_size_inches() * fig.dpi)
    finally:
        plt.close(fig)
    return buffer.getvalue(), width, height_px


def _matplotlib() -> tuple[Any, Any]:
    """pyplot (on the Agg backend) and MaxNLocator, imported on first use."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    return plt, MaxNLocator


def spec(title: str, rows: list[ChartRow]) -> bytes:
    """The chart as JSON, rendered later by `render_spec` (in the sender, off the loop).
    Called in the collective's context: its words are translated now and kept in the spec
    (`title` comes translated from the caller)."""
    return json.dumps(
        {
            "title": title,
            "airtime": _(AIRTIME_TITLE),
            "labour": _(LABOUR_TITLE),
            "note": _(NOTE),
            "kinds": {kind: kind_word(kind) for kind in KIND_COLOURS},  # the legend
            "rows": [[r.name, r.words_share, r.labour] for r in rows],
        }
    ).encode()


def render_spec(data: bytes) -> tuple[bytes, int, int]:
    raw = json.loads(data)
    rows = [
        ChartRow(str(n), float(w), {str(k): int(v) for k, v in lab.items()})
        for n, w, lab in raw["rows"]
    ]
    return render(
        str(raw["title"]),
        rows,
        airtime=str(raw.get("airtime", AIRTIME_TITLE)),
        labour=str(raw.get("labour", LABOUR_TITLE)),
        note=str(raw.get("note", NOTE)),
        kinds={str(k): str(v) for k, v in raw.get("kinds", {}).items()},
    )


# --- Before and during: the trust audit sprint's comparison --------------------------------

BEFORE_COLOUR, DURING_COLOUR = "#9aa5b1", "#dd8452"


@dataclass(frozen=True)
class Panel:
    """One panel of a comparison: rows of (label, value before, value during)."""

    title: str
    rows: list[tuple[str, float, float]]


def render_comparison(
    title: str, before: str, during: str, panels: list[Panel], *, note: str = NOTE
) -> tuple[bytes, int, int]:
    """PNG bytes and size: one panel per measure, two bars per row (before, during). Every
    word is drawn as given (already translated)."""
    plt, MaxNLocator = _matplotlib()
    tallest = max((len(p.rows) for p in panels), default=1)
    height = max(3.0, 0.55 * tallest + 1.8)
    fig, axes = plt.subplots(
        1, max(1, len(panels)), figsize=(4.2 * max(1, len(panels)), height), dpi=100
    )
    try:
        for ax, panel in zip(axes if len(panels) > 1 else [axes], panels, strict=False):
            ys = list(range(len(panel.rows)))
            labels = [label[:30].replace("$", r"\$") for label, _b, _d in panel.rows]
            ax.barh([y - 0.2 for y in ys], [b for _l, b, _d in panel.rows], height=0.4,
                    color=BEFORE_COLOUR, label=before.replace("$", r"\$"))  # fmt: skip
            ax.barh([y + 0.2 for y in ys], [d for _l, _b, d in panel.rows], height=0.4,
                    color=DURING_COLOUR, label=during.replace("$", r"\$"))  # fmt: skip
            ax.set_yticks(ys, labels, fontsize="small")
            ax.invert_yaxis()
            ax.set_title(panel.title.replace("$", r"\$"), fontsize="medium")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        handles, labels = (axes[0] if len(panels) > 1 else axes).get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right", fontsize="small")
        fig.suptitle(title.replace("$", r"\$"))
        fig.text(0.5, 0.01, note.replace("$", r"\$"), ha="center", fontsize="small")
        fig.tight_layout(rect=(0, 0.04, 1, 0.95))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        width, height_px = (int(v) for v in fig.get_size_inches() * fig.dpi)
    finally:
        plt.close(fig)
    return buffer.getvalue(), width, height_px


def comparison_spec(title: str, before: str, during: str, panels: list[Panel]) -> bytes:
    """The comparison as JSON, rendered later by `render_comparison_spec` (in the sender).
    Called in the collective's context: the caller's words come translated, and the note
    is translated now; all are kept in the spec."""
    return json.dumps(
        {
            "title": title,
            "before": before,
            "during": during,
            "note": _(NOTE),
            "panels": [{"title": p.title, "rows": [list(r) for r in p.rows]} for p in panels],
        }
    ).encode()


def render_comparison_spec(data: bytes) -> tuple[bytes, int, int]:
    raw = json.loads(data)
    panels = [
        Panel(str(p["title"]), [(str(label), float(b), float(d)) for label, b, d in p["rows"]])
        for p in raw["panels"]
    ]
    return render_comparison(
        str(raw["title"]),
        str(raw["before"]),
        str(raw["during"]),
        panels,
        note=str(raw.get("note", NOTE)),
    )
