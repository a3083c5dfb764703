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
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handlers.context import Rows
from handlers.i18n import N_, _, locale_name
from handlers.labour_kinds import kind_word
from handlers.stats import percent

KIND_COLOURS = {"visible": "#4c72b0", "invisible": "#8172b2", "care": "#55a868"}
SHARE_COLOUR, EQUAL_COLOUR, GROUP_COLOUR = "#dd8452", "#333333", "#64b5cd"
LABEL_WIDTH = 20  # characters of a name beside the bars; longer ones end in "…"


@dataclass(frozen=True)
class ChartRow:
    name: str
    words_share: float  # 0..1
    labour: dict[str, int]  # kind -> tasks


# The chart's words, marked here and translated when a spec is built (never when drawn).
AIRTIME_TITLE = N_("Airtime: share of words (%)")
LABOUR_TITLE = N_("Labour: tasks logged, by kind")
NOTE = N_("A mirror for the group, not a score for people.")
EQUAL = N_("equal share")

# --- Panels: the chart is a row of them, one per measure, built from a list in the spec. ---
# A panel is plain data: {"kind": "share", "title", "values": [0..1 per member]} (drawn in %,
# the equal share 1/n marked), or {"kind": "stack", "title", "equal", "series": [{"label",
# "colour", "values": [count per member]}]}, or a group panel {"kind": "group", "title",
# "rows": [[label, part, whole]]}: the group's own figures (no member's name), each drawn as
# the share of its whole. Another measure adds a panel to that list.

MEMBER_KINDS = ("share", "stack")  # panels with one bar per member, sharing their names


def share_panel(title: str, shares: Sequence[float]) -> dict[str, Any]:
    """Each member's share (0..1) of a whole, drawn in %, with the equal share (1/n) marked."""
    return {"kind": "share", "title": title, "values": [float(v) for v in shares]}


def stack_panel(
    title: str, series: Sequence[tuple[str, str, Sequence[int]]], *, equal: bool = True
) -> dict[str, Any]:
    """Counts per member, stacked by series: (legend label, colour, counts). With `equal`,
    the equal share (the total over n) is marked."""
    return {
        "kind": "stack",
        "title": title,
        "equal": equal,
        "series": [
            {"label": label, "colour": colour, "values": [int(v) for v in counts]}
            for label, colour, counts in series
        ],
    }


def _panels(
    rows: Sequence[ChartRow],
    airtime: str,
    labour: str,
    kinds: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The power map's own panels, in words already translated."""
    return [
        share_panel(airtime, [r.words_share for r in rows]),
        stack_panel(
            labour,
            [
                ((kinds or {}).get(kind, kind), colour, [r.labour.get(kind, 0) for r in rows])
                for kind, colour in KIND_COLOURS.items()
            ],
        ),
    ]


def powermap_panels(rows: Sequence[ChartRow]) -> list[dict[str, Any]]:
    """The power map's panels (airtime share, labour by kind), translated: call in the
    collective's context."""
    return _panels(rows, _(AIRTIME_TITLE), _(LABOUR_TITLE), {k: kind_word(k) for k in KIND_COLOURS})


def short_labels(names: Sequence[str], width: int = LABEL_WIDTH) -> list[str]:
    """Names to show beside the bars: on one line, at most `width` characters (a longer one
    cut with "…"), and still told apart ("… (2)") when cutting makes two alike (or when
    two are alike already)."""

    def cut(text: str, room: int) -> str:
        return text if len(text) <= room else text[: max(1, room - 1)].rstrip() + "…"

    labels: list[str] = []
    for name in names:
        # On one line, without what cannot be drawn (controls, zero-width and bidi marks).
        flat = " ".join("".join(ch for ch in name if ch.isprintable() or ch.isspace()).split())
        label, n = cut(flat, width), 1
        while label in labels:
            n += 1
            suffix = f" ({n})"
            label = cut(flat, width - len(suffix)) + suffix
        labels.append(label)
    return labels


def _drawn(text: str) -> str:
    return text.replace("$", r"\$")  # `$` would start matplotlib's math mode


def figure(
    title: str, names: Sequence[str], panels: Sequence[Mapping[str, Any]], note: str, equal: str
) -> Any:
    """The chart as a matplotlib figure (the caller closes it): one panel per measure side
    by side, members in the order given (by name, never ranked), the legend and the note
    below the panels, outside them. Every word is drawn as given (already translated)."""
    plt, MaxNLocator = _matplotlib()
    n, ys, cols = len(names), list(range(len(names))), max(1, len(panels))
    tallest = max([n] + [len(p.get("rows", [])) for p in panels if p.get("kind") == "group"])
    bars, key = max(2.4, 0.42 * tallest + 1.0), 0.45  # inches: the panels, the legend's row
    fig = plt.figure(figsize=(4.6 * cols + 1.6, bars + key + 1.0), dpi=100, layout="constrained")
    grid = fig.add_gridspec(2, cols, height_ratios=(bars, key))
    # Member panels share the members' names (drawn once, beside the first of them); a
    # group panel has its own rows.
    axes: list[Any] = []
    first: Any = None
    for i, panel in enumerate(panels or [{"kind": "share"}]):
        member = panel.get("kind", "share") in MEMBER_KINDS
        ax = fig.add_subplot(grid[0, i], sharey=first if member else None)
        if member and first is None:
            first = ax
        elif member:
            ax.tick_params(labelleft=False)
        axes.append(ax)
    legend: dict[str, Any] = {}
    for ax, panel in zip(axes, panels, strict=False):
        if panel.get("kind") == "share":
            shares = ([100 * float(v) for v in panel.get("values", [])] + [0.0] * n)[:n]
            ax.barh(ys, shares, color=SHARE_COLOUR)
            ax.set_xlim(0, 100)
            if n:
                ax.axvline(100 / n, color=EQUAL_COLOUR, linestyle="--", label=_drawn(equal))
        elif panel.get("kind") == "stack":
            offsets = [0] * n
            for series in panel.get("series", []):
                counts = ([int(v) for v in series.get("values", [])] + [0] * n)[:n]
                ax.barh(ys, counts, left=offsets, color=str(series.get("colour", "#888888")),
                        label=_drawn(str(series.get("label", ""))))  # fmt: skip
                offsets = [o + c for o, c in zip(offsets, counts, strict=True)]
            if panel.get("equal") and n and sum(offsets):
                ax.axvline(
                    sum(offsets) / n, color=EQUAL_COLOUR, linestyle="--", label=_drawn(equal)
                )
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        elif panel.get("kind") == "group":
            _group(ax, [(str(r[0]), int(r[1]), int(r[2])) for r in panel.get("rows", [])])
        ax.set_title(_drawn(str(panel.get("title", ""))), fontsize="medium")
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    if first is not None:
        first.set_yticks(ys, [_drawn(label) for label in short_labels(names)])
        first.invert_yaxis()
    # The legend in a row of its own below the panels: never over a bar, whatever the names.
    below = fig.add_subplot(grid[1, :])
    below.axis("off")
    if legend:
        below.legend(list(legend.values()), list(legend), loc="center",
                     ncols=min(len(legend), 5), fontsize="small", frameon=False)  # fmt: skip
    fig.suptitle(_drawn(title))
    fig.supxlabel(_drawn(note), fontsize="small")
    return fig


def _group(ax: Any, rows: Sequence[tuple[str, int, int]]) -> None:
    """A group panel: each figure as the share of its whole (0-100%), "part/whole" written
    at the bar's end, "-" where there is no whole to share yet."""
    ys = list(range(len(rows)))
    shares = [100 * part / whole if whole > 0 else 0.0 for _label, part, whole in rows]
    ax.barh(ys, shares, height=0.5, color=GROUP_COLOUR)
    ax.set_xlim(0, 100)
    for y, share, (_label, part, whole) in zip(ys, shares, rows, strict=True):
        text = f"{part}/{whole}" if whole > 0 else "-"
        inside = share > 80
        ax.text(share - 1 if inside else share + 1, y, text, va="center",
                ha="right" if inside else "left", fontsize="small")  # fmt: skip
    labels = [textwrap.fill(label, 24) for label, _part, _whole in rows]
    ax.set_yticks(ys, [_drawn(label) for label in labels], fontsize="small")
    ax.invert_yaxis()


def draw(
    title: str, names: Sequence[str], panels: Sequence[Mapping[str, Any]], note: str, equal: str
) -> tuple[bytes, int, int]:
    """PNG bytes and their pixel size (see `figure`)."""
    plt, _locator = _matplotlib()
    fig = figure(title, names, panels, note, equal)
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        width, height_px = (int(v) for v in fig.get_size_inches() * fig.dpi)
    finally:
        plt.close(fig)
    return buffer.getvalue(), width, height_px


def render(
    title: str,
    rows: list[ChartRow],
    *,
    airtime: str = AIRTIME_TITLE,
    labour: str = LABOUR_TITLE,
    note: str = NOTE,
    kinds: Mapping[str, str] | None = None,
    equal: str = EQUAL,
) -> tuple[bytes, int, int]:
    """The power map's chart of `rows` (its own two panels): PNG bytes and pixel size."""
    return draw(title, [r.name for r in rows], _panels(rows, airtime, labour, kinds), note, equal)


def _matplotlib() -> tuple[Any, Any]:
    """pyplot (on the Agg backend) and MaxNLocator, imported on first use."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    return plt, MaxNLocator


def spec(title: str, rows: Sequence[ChartRow], extra: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """The chart as JSON, rendered later by `render_spec` (in the sender, off the loop): the
    power map's panels, then `extra` ones. Called in the collective's context: its words
    are translated now and kept in the spec (`title` comes translated from the caller)."""
    return json.dumps(
        {
            "title": title,
            "note": _(NOTE),
            "equal": _(EQUAL),
            "names": [r.name for r in rows],
            "panels": [*powermap_panels(rows), *extra],
        }
    ).encode()


def render_spec(data: bytes) -> tuple[bytes, int, int]:
    raw = json.loads(data)
    if "panels" in raw:
        names = [str(n) for n in raw["names"]]
        note, equal = str(raw.get("note", NOTE)), str(raw.get("equal", EQUAL))
        return draw(str(raw["title"]), names, list(raw["panels"]), note, equal)
    rows = [  # a spec queued before panels were kept
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


# --- The chart in words: the image's body, its alt text ------------------------------------


def _number(value: float) -> str:
    from babel.numbers import format_decimal

    return str(format_decimal(round(value, 1), locale=locale_name()))


def _namespaced(template: str, key: str) -> str:
    """A translated sentence with its placeholders renamed for one panel (`{rows}` ->
    `{<key>_rows}`), so several panels' sentences share one message."""
    return re.sub(r"\{(\w+)\}", lambda m: "{" + f"{key}_{m.group(1)}" + "}", template)


def _in_words(panel: Mapping[str, Any], n: int) -> tuple[list[str], str | None]:
    """One panel's figure for each of `n` members, in words, and its equal share (None
    when it marks none)."""
    if panel.get("kind") == "share":
        shares = ([float(v) for v in panel.get("values", [])] + [0.0] * n)[:n]
        return [percent(v, 1) for v in shares], percent(1, n) if n else None
    if panel.get("kind") != "stack":
        return [], None
    figures, total = [], 0
    series = [(str(s.get("label", "")), list(s.get("values", []))) for s in panel.get("series", [])]
    for member in range(n):
        counts = [(label, int(vs[member]) if member < len(vs) else 0) for label, vs in series]
        mine = sum(c for _label, c in counts)
        total += mine
        # TRANSLATORS: a count and what it counts, in a chart's description ("2 care").
        shown = ", ".join(_("{n} {what}").format(n=c, what=label) for label, c in counts if c)
        figures.append(f"{mine} ({shown})" if shown else str(mine))
    return figures, _number(total / n) if panel.get("equal") and n and total else None


def describe(
    caption: str, rows: Sequence[ChartRow], extra: Sequence[Mapping[str, Any]] = ()
) -> tuple[str, dict[str, object]]:
    """The chart's figures in words (the image's body, read by screen readers and by whoever
    does not see the image), as a template and values for `post_image`: the same panels
    as `spec`, each member by name with their figure, and the equal share. Called in the
    collective's context."""
    names = [r.name for r in rows]
    parts = ["{caption}."]
    values: dict[str, object] = {"caption": caption, "note": _(NOTE)}
    for i, panel in enumerate([*powermap_panels(rows), *extra]):
        key = f"p{i}"
        figures, equal = _in_words(panel, len(names))
        items = [{"who": w, "value": f} for w, f in zip(names, figures, strict=False)]
        if panel.get("kind") == "group":
            items = [
                {"who": str(label), "value": _("{part} of {whole}").format(part=p, whole=w)}
                for label, p, w in panel.get("rows", [])
            ]
        values[f"{key}_title"] = str(panel.get("title", ""))
        # TRANSLATORS: a member and their figure, in a chart's description ("Alice 40%").
        values[f"{key}_rows"] = Rows(_("{who} {value}"), items, sep=", ") if items else _("nobody")
        parts.append(_namespaced(_("{title}: {rows}."), key))
        if equal is not None:
            values[f"{key}_equal"] = equal
            parts.append(_namespaced(_("An equal share is {equal}."), key))
    parts.append("{note}")
    return " ".join(parts), values


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
