"""The power map's chart, readable: the legend below the bars (never over them), the equal
share marked on each share panel, long names cut to one width and still told apart, and the
same figures in words for the image's body."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers import chart
from handlers.i18n import speaking
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness

LONG = [f"Member number {i} with a very long display name indeed" for i in range(12)]


def rows(names: list[str]) -> list[chart.ChartRow]:
    n = len(names)
    return [
        chart.ChartRow(name, (i + 1) / (n * (n + 1) / 2), {"visible": i, "care": 12 - i})
        for i, name in enumerate(names)
    ]


def _overlap(a: Any, b: Any) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_twelve_long_names_render_with_the_legend_off_the_bars() -> None:
    with speaking("en"):
        data = chart.spec("Power map, March 2026", rows(LONG))
    png, width, height = chart.render_spec(data)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and width > 0 and height > 0

    raw = json.loads(data)
    plt, _locator = chart._matplotlib()
    fig = chart.figure(raw["title"], raw["names"], raw["panels"], raw["note"], raw["equal"])
    try:
        fig.canvas.draw()  # the layout is made when drawn
        renderer = fig.canvas.get_renderer()
        axes = [ax for ax in fig.get_axes() if ax.axison]  # the panels
        assert len(axes) == 2
        [legend] = [ax.get_legend() for ax in fig.get_axes() if ax.get_legend() is not None]
        box = legend.get_window_extent(renderer)
        for ax in axes:
            assert not _overlap(box, ax.get_window_extent(renderer))  # the bars' area
            assert ax.get_legend() is None  # no legend inside any panel
        for words in (fig._suptitle, fig._supxlabel):  # nor over the title or the note
            assert not _overlap(box, words.get_window_extent(renderer))
        labels = [t.get_text() for t in legend.get_texts()]
        assert labels == ["equal share", "visible", "invisible", "care"]
        # The equal share: a dashed line at 1/n (in %) on the share panel, total/n on labour.
        share, labour = axes
        [line] = [ln for ln in share.get_lines() if ln.get_label() == "equal share"]
        assert line.get_xdata()[0] == pytest.approx(100 / 12)
        [line] = [ln for ln in labour.get_lines() if ln.get_label() == "equal share"]
        assert line.get_xdata()[0] == pytest.approx(12)
        ticks = [t.get_text() for t in share.get_yticklabels()]
        assert len(ticks) == 12 and len(set(ticks)) == 12
        assert all(len(t) <= chart.LABEL_WIDTH for t in ticks)
        assert ticks[0].endswith("…")
    finally:
        plt.close(fig)


def test_cut_names_stay_unique_and_short_ones_stay_whole() -> None:
    names = ["Ada", "Ada", "Alexandria Featherstonehaugh-Smythe", "Alexandria Featherstonehaugh"]
    labels = chart.short_labels([*names, "line\nbreak\u202e\x00"], width=12)
    assert labels[0] == "Ada" and labels[1] == "Ada (2)"
    assert labels[2] == "Alexandria…" and labels[3] == "Alexand… (2)"
    assert labels[4] == "line break"
    assert len(set(labels)) == len(labels) and all(len(x) <= 12 for x in labels)


def test_odd_specs_still_draw() -> None:
    # A spec queued before panels were kept (rows and words), and one with no member.
    old = {"title": "Old $x$", "rows": [["A", 0.5, {"care": 1}], ["B", 0.5, {}]], "kinds": {}}
    assert chart.render_spec(json.dumps(old).encode())[0].startswith(b"\x89PNG")
    with speaking("en"):
        empty = chart.spec("Nobody", [])
    assert chart.render_spec(empty)[0].startswith(b"\x89PNG")
    # Another measure's panel, added to the list, is drawn beside the others.
    extra = chart.share_panel("Held $power$", [1.0, 0.0])
    with speaking("en"):
        data = chart.spec("Three panels", rows(["A", "B"]), [extra])
    raw = json.loads(data)
    assert [p["kind"] for p in raw["panels"]] == ["share", "stack", "share"]
    plt, _locator = chart._matplotlib()
    fig = chart.figure(raw["title"], raw["names"], raw["panels"], raw["note"], raw["equal"])
    try:
        assert len([ax for ax in fig.get_axes() if ax.axison]) == 3
    finally:
        plt.close(fig)


def test_the_description_says_the_figures() -> None:
    with speaking("en"):
        template, values = chart.describe(
            "Power map chart, March 2026",
            [
                chart.ChartRow("Alice", 0.75, {"visible": 1, "care": 2}),
                chart.ChartRow("Bob", 0.25, {}),
            ],
        )
    from bot.formatter import render

    body, _html, _mentions = render(template, values)
    assert body == (
        "Power map chart, March 2026. Airtime: share of words (%): Alice 75%, Bob 25%. "
        "An equal share is 50%. Labour: tasks logged, by kind: Alice 3 (1 visible, 2 care), "
        "Bob 0. An equal share is 1.5. A mirror for the group, not a score for people."
    )


async def test_the_image_body_carries_the_figures(bot: Harness) -> None:
    bot.members[ROOM] = {ALICE: "Alice", BOB: "Bob", CAROL: "Carol"}
    now = int(bot.clock.now().timestamp() * 1000)
    talk = [bot.message("one two three", ALICE), bot.message("four", BOB)]
    await bot.process([dataclasses.replace(e, timestamp_ms=now) for e in talk])
    await bot.send("!task done flyers", BOB)
    _text, image = await bot.send("!powermap")
    body = image.content["body"]
    assert image.content["msgtype"] == "m.image"
    assert image.content["filename"].startswith("powermap-")
    assert image.content["filename"].endswith(".png")
    assert body.startswith("Power map chart, March 2026 so far. Airtime: share of words (%): ")
    assert "Alice 75%, Bob 25%, Carol 0%. An equal share is 33%." in body
    assert "Alice 0, Bob 1 (1 visible), Carol 0. An equal share is 0.3." in body
    # The sovereignty lens is a panel of its own, said in words too.
    assert (
        "Shared sovereignty: members who called a meeting 0 of 3, members who put an agenda "
        "item forward 0 of 3, resources held by two or "
        "more 0 of 0, adopted decisions with a task 0 of 0, proposals that ran their full "
        "time 0 of 0." in body
    )
    _room, _data, mimetype = bot.transport.uploads[0]
    assert mimetype == "image/png"


NAMES = st.lists(
    st.sampled_from(
        ["a", "E", " ", "\n", "\u200b", "\u202e", "\x00", "@room", "$", "*", "`", "é", "{x}"]
    ),
    min_size=0,
    max_size=40,
).map("".join)


@settings(max_examples=10, deadline=None)
@given(names=st.lists(NAMES, max_size=8))
def test_any_names_draw_and_stay_told_apart(names: list[str]) -> None:
    labels = chart.short_labels(names)
    assert len(set(labels)) == len(labels)
    assert all(len(label) <= chart.LABEL_WIDTH and "\n" not in label for label in labels)
    with speaking("en"):
        data = chart.spec("Power map, $x$", rows(names) if names else [])
        template, values = chart.describe("Power map chart", rows(names) if names else [])
    png, _width, _height = chart.render_spec(data)
    assert png.startswith(b"\x89PNG")
    from bot.formatter import render

    body, _html, _mentions = render(template, values)
    assert body.startswith("Power map chart. ") and not re.search(r"@room\b", body)


def test_a_group_panel_has_its_own_rows_beside_the_members() -> None:
    group = {
        "kind": "group",
        "title": "Shared sovereignty",
        "rows": [["members who called a meeting", 2, 8], ["adopted decisions with a task", 0, 0]],
    }
    with speaking("en"):
        data = chart.spec("Power map", rows(["Alice", "Bob"]), [group])
        template, values = chart.describe("Chart", rows(["Alice", "Bob"]), [group])
    assert chart.render_spec(data)[0].startswith(b"\x89PNG")
    raw = json.loads(data)
    plt, _locator = chart._matplotlib()
    fig = chart.figure(raw["title"], raw["names"], raw["panels"], raw["note"], raw["equal"])
    try:
        share, _labour, lens = [ax for ax in fig.get_axes() if ax.axison]
        assert [t.get_text() for t in share.get_yticklabels()] == ["Alice", "Bob"]
        assert [t.get_text() for t in lens.get_yticklabels()] == [
            "members who called a\nmeeting",
            "adopted decisions with a\ntask",
        ]
        assert [p.get_width() for p in lens.patches] == [25.0, 0.0]
        assert [t.get_text() for t in lens.texts] == ["2/8", "-"]
    finally:
        plt.close(fig)
    from bot.formatter import render

    body, _html, _mentions = render(template, values)
    assert (
        "Shared sovereignty: members who called a meeting 2 of 8, adopted decisions with a "
        "task 0 of 0." in body
    )
