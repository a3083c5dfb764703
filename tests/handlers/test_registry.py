"""One declaration gives parsing and usage; bad input is a UsageError with a clear sentence."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.arguments import Name, Number, Tag, Text, Word, normalise
from handlers.context import Context
from handlers.errors import UsageError
from handlers.registry import Practice, Registry

practice = Practice("Demo")
# These kinds of argument never look at the context.
NO_CONTEXT = cast(Context, None)


async def _noop(ctx: Context, **kwargs: object) -> None:
    return None


practice.command(
    "task done", Name("name"), Tag("kind", ("visible", "invisible", "care")), summary="s"
)(_noop)
practice.command("agree", Number("proposal"), summary="s")(_noop)
practice.command(
    "airtime", Word("period", optional=True, choices=("7d", "30d", "month")), summary="s"
)(_noop)
practice.command("note", Text("text", max_length=20), summary="s")(_noop)
practice.command("abstain", Number("proposal"), Text("reason", optional=True), summary="s")(_noop)
registry = Registry([practice])


def parse(line: str) -> dict[str, object]:
    match = registry.find(line)
    assert match.command is not None
    return asyncio.run(match.command.parse(NO_CONTEXT, match.rest))


def test_usage_lines_come_from_the_declaration() -> None:
    assert (
        registry.commands["task done"].usage("!") == "!task done <name> [#visible|#invisible|#care]"
    )
    assert registry.commands["airtime"].usage("?") == "?airtime [7d|30d|month]"


def test_name_is_normalised_and_a_tag_counts_only_as_the_last_word() -> None:
    assert parse("task done   Flyers  FOR the Demo ") == {
        "name": "flyers for the demo",
        "kind": None,
    }
    assert parse("TASK DONE minutes #Invisible") == {"name": "minutes", "kind": "invisible"}
    assert parse("task done #care welcoming Ana") == {"name": "#care welcoming ana", "kind": None}
    assert parse("task done update #frontpage") == {"name": "update #frontpage", "kind": None}
    assert parse("task done flyers #care #visible") == {"name": "flyers #care", "kind": "visible"}


def test_text_keeps_its_spacing_and_follows_a_number() -> None:
    assert parse("abstain 3 not  my\ncall") == {"proposal": 3, "reason": "not  my\ncall"}
    assert parse("abstain #3") == {"proposal": 3, "reason": None}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("task done", "Missing name"),
        ("task done #care", "Missing name"),
        ("task done flyers #invisble", "Unknown tag `#invisble`; use one of #visible"),
        ("task done " + "x" * 81, "too long"),
        ("task done fly\x00ers", "control character"),
        ("agree", "Missing proposal"),
        ("agree soon", "not a number"),
        ("agree 0", "at least 1"),
        ("agree 3 4", "Unexpected extra text"),
        ("agree ١٢", "not a number"),
        ("airtime year", "not one of: 7d, 30d, month"),
        ("note " + "y" * 21, "too long"),
    ],
)
def test_bad_input_says_what_is_wrong(line: str, message: str) -> None:
    with pytest.raises(UsageError) as err:
        parse(line)
    assert message in str(err.value)


def test_numbers_accept_a_hash() -> None:
    assert parse("agree #12") == {"proposal": 12}


def test_unicode_names() -> None:
    parsed = parse("task done  Flyer-Verteilung   Straße ")
    assert parsed == {"name": "flyer-verteilung strasse", "kind": None}
    assert parse("task done 食事 の 準備")["name"] == "食事 の 準備"
    assert parse("task done fly\u200bers\u202e")["name"] == "flyers"


def test_suggestions() -> None:
    assert registry.suggest("tsk") == "task"
    assert registry.suggest("agre") == "agree"
    assert registry.suggest("qqqqqq") is None


@given(st.text())
def test_normalise_is_idempotent_and_trimmed(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert once == once.strip()
    assert "  " not in once


def test_duplicate_declaration_is_refused() -> None:
    p = Practice("Dup")
    p.command("ping", summary="a")(_noop)
    with pytest.raises(ValueError):
        Registry([p, p])
