"""User text is escaped and cannot ping the room; mentions are deliberate."""

from __future__ import annotations

import unicodedata

import pytest

from bot.formatter import content, render
from handlers.context import Mention


def test_template_markdown_becomes_html_with_plain_body() -> None:
    body, html, mentions = render("**Done**: `{task}`\n- one\n- two\nend", {"task": "flyers"})
    assert body == "**Done**: `flyers`\n- one\n- two\nend"
    assert (
        html == "<strong>Done</strong>: <code>flyers</code><br><ul><li>one</li><li>two</li></ul>end"
    )
    assert mentions == []


def test_user_text_is_escaped_not_interpreted() -> None:
    evil = "<b>x</b> **bold** `code` <a href='javascript:1'>"
    body, html, _ = render("Task {t}", {"t": evil})
    assert body == f"Task {evil}"
    assert "<b>" not in html and "<strong>" not in html and "<a " not in html
    assert "&lt;b&gt;x&lt;/b&gt; **bold** `code`" in html


def test_room_ping_is_defused_in_body_and_html() -> None:
    body, html, mentions = render("{t}", {"t": "@room hey @ROOM"})
    assert "@room" not in body.lower()
    assert "@room" not in html.lower()
    assert body.replace("\u2060", "") == "@room hey @ROOM"
    assert mentions == []


def test_mentions_are_links_and_listed() -> None:
    body, html, mentions = render("for {who}", {"who": Mention("@a:x.org", "Alice <3")})
    assert body == "for Alice <3"
    assert html == 'for <a href="https://matrix.to/#/@a:x.org">Alice &lt;3</a>'
    assert mentions == ["@a:x.org"]


def test_quiet_mentions_name_without_pinging() -> None:
    _, html, mentions = render("by {who}", {"who": Mention("@a:x.org", "Alice", ping=False)})
    assert html == "by Alice"
    assert mentions == []


def test_content_is_a_notice_reply_with_explicit_empty_mentions() -> None:
    c = content("pong", {}, reply_to="$abc")
    assert c["msgtype"] == "m.notice"
    assert c["m.relates_to"] == {"m.in_reply_to": {"event_id": "$abc"}}
    assert c["m.mentions"] == {}
    assert c["format"] == "org.matrix.custom.html"


def test_missing_value_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        render("{nope}", {})


def test_text_that_could_turn_a_line_around_is_isolated() -> None:
    body, formatted, _ = render(
        "{who} holds **{role}**.",
        {"who": Mention("@m:x.org", "Mallory\u202e", ping=False), "role": "notes"},
    )
    assert body == "\u2068Mallory\u2069 holds **notes**."  # isolated, its override dropped
    assert "\u2068Mallory\u2069 holds" in formatted
    plain, _, _ = render("{name}", {"name": "نور"})
    assert plain == "\u2068نور\u2069"
    assert render("{name}", {"name": "Ana"})[0] == "Ana"


EXPLICIT = {"RLE", "RLO", "LRE", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"}


@pytest.mark.parametrize(
    "name",
    [
        "Mallory\u2069\u202eevil",  # closes the isolate early, then overrides the rest
        "Mallory\u2067",  # an isolate left open would swallow the closing one
        "\u202b\u2066\u2069\u2069\u202c\u202dنور",
    ],
)
def test_a_name_cannot_leave_its_isolate(name: str) -> None:
    body, formatted, _ = render("{who} holds notes.", {"who": Mention("@m:x.org", name)})
    for text in (body, formatted):
        head, _, tail = text.partition("\u2068")
        inner, _, rest = tail.rpartition("\u2069")
        assert "\u2068" not in head and inner and rest.endswith(" holds notes.")
        assert not any(unicodedata.bidirectional(ch) in EXPLICIT for ch in inner)


def test_long_lists_are_shortened_to_fit_as_sent_and_nothing_is_dropped() -> None:
    from bot.formatter import MAX_EVENT, size
    from handlers.context import Rows

    # Control characters are one byte raw and six in JSON: the measure must see that.
    scope = "\x01" * 400
    rows = Rows("- **{role}** ({scope})", [{"role": f"r{i}", "scope": scope} for i in range(300)])
    result = content("**Roles**\n{rows}\nThe end.", {"rows": rows})
    assert size(result) <= MAX_EVENT
    assert "… and " in result["body"] and result["body"].endswith("The end.")
    huge = content("{x}", {"x": "\x02" * 100_000})
    assert size(huge) <= MAX_EVENT and huge["body"].endswith("(cut: too long)")
