"""The decision rules as pure functions: what each rule makes of a tally, and when voting
closes on the collective's wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.decisions.rules import (
    Electorate,
    closing_time,
    everyone_answered,
    missing,
    needed,
    needs,
    verdict,
)
from handlers.timeparse import lead_time
from storage.decisions import Tally

BERLIN = ZoneInfo("Europe/Berlin")
OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin
CLOSES = OPENED + timedelta(days=7)


@pytest.mark.parametrize(
    ("rule", "tally", "adopted"),
    [
        ("consent", Tally(), True),  # silence over the whole open period is consent
        ("consent", Tally(objected=2, abstained=1), True),  # objections do not stop consent
        ("consent", Tally(agreed=5, blocked=1), False),
        ("majority", Tally(), False),
        ("majority", Tally(agreed=2, objected=1, abstained=4), True),
        ("majority", Tally(agreed=2, objected=2), False),  # a tie is no majority
        ("majority", Tally(agreed=3, blocked=1), False),  # a block is never adopted
        ("unanimity", Tally(), False),
        ("unanimity", Tally(agreed=3), True),
        ("unanimity", Tally(agreed=3, abstained=1), False),  # abstaining is not agreeing
        ("unanimity", Tally(agreed=3, objected=1), False),
    ],
)
def test_the_rules(rule: str, tally: Tally, adopted: bool) -> None:
    assert verdict(rule, tally).adopted is adopted


def test_closing_time_is_rounded_up_to_the_hour_on_the_local_clock() -> None:
    assert closing_time(OPENED, 7, BERLIN) == CLOSES
    late = datetime(2026, 3, 2, 9, 23, 5, tzinfo=UTC)
    assert closing_time(late, 7, BERLIN) == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    # Across the switch to summer time (29 March) the local hour is kept: 10:23 -> 11:00.
    spring = datetime(2026, 3, 25, 9, 23, tzinfo=UTC)
    assert closing_time(spring, 7, BERLIN).astimezone(BERLIN).hour == 11
    kolkata = ZoneInfo("Asia/Kolkata")  # +05:30: the full local hour is half past in UTC
    assert closing_time(OPENED, 1, kolkata) == datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


# --- the rules over members: rule x quorum x blocks x away members x early close ---------
# A room of 5; `away` of them are away (and did not answer), so the rule counts 5 - away.
# Columns: rule, quorum, away, tally, adopted, closed as "no quorum", early close allowed.
def tally(**answers: int) -> Tally:
    return Tally(**answers)


RULE_TABLE = [
    # consent: a quorum of answers and no block
    ("consent", 0.5, 0, tally(agreed=3), True, False, False),
    ("consent", 0.5, 0, tally(agreed=2), False, True, False),  # 2 of 5 < half
    ("consent", 0.5, 0, tally(), False, True, False),  # silence is no longer consent
    ("consent", 0.5, 2, tally(agreed=2), True, False, False),  # 2 of 3 present
    ("consent", 0.5, 0, tally(objected=3), True, False, False),  # objections do not stop it
    ("consent", 0.5, 0, tally(agreed=4, blocked=1), False, False, True),
    ("consent", 0.0, 0, tally(), True, False, False),  # no quorum set: silence is consent
    ("consent", 1.0, 0, tally(agreed=4), False, True, False),
    ("consent", 1.0, 0, tally(agreed=4, abstained=1), True, False, True),
    ("consent", 0.5, 5, tally(), False, True, True),  # everyone away: nothing passes
    # majority: quorum, then more than half of those who answered agree
    ("majority", 0.5, 0, tally(agreed=2, objected=1), True, False, False),
    ("majority", 0.5, 0, tally(agreed=2, objected=1, abstained=1), False, False, False),
    ("majority", 0.5, 0, tally(agreed=3, objected=2), True, False, True),
    ("majority", 0.5, 0, tally(agreed=2), False, True, False),
    ("majority", 0.5, 3, tally(agreed=1, objected=1), False, False, True),  # a tie
    ("majority", 0.5, 3, tally(agreed=2), True, False, True),
    ("majority", 0.5, 0, tally(agreed=4, blocked=1), False, False, True),
    ("majority", 0.0, 0, tally(), False, False, False),
    # unanimity: every member not away agrees or stands aside
    ("unanimity", 0.5, 0, tally(agreed=5), True, False, True),
    ("unanimity", 0.5, 0, tally(agreed=3, abstained=2), True, False, True),
    ("unanimity", 0.5, 0, tally(agreed=4), False, False, False),  # one silent member
    ("unanimity", 0.5, 1, tally(agreed=4), True, False, True),  # the silent one is away
    ("unanimity", 0.5, 0, tally(agreed=4, objected=1), False, False, True),
    ("unanimity", 0.5, 0, tally(agreed=4, blocked=1), False, False, True),
    ("unanimity", 0.5, 0, tally(abstained=5), False, False, True),  # nobody agrees
    ("unanimity", 0.5, 0, tally(agreed=1), False, True, False),
    ("unanimity", 0.0, 0, tally(), False, False, False),
]


@pytest.mark.parametrize(
    ("rule", "quorum", "away", "t", "adopted", "no_quorum", "early"), RULE_TABLE
)
def test_the_rules_over_members(
    rule: str, quorum: float, away: int, t: Tally, adopted: bool, no_quorum: bool, early: bool
) -> None:
    members = Electorate(5 - away, quorum)
    judged = verdict(rule, t, members)
    assert (judged.adopted, judged.no_quorum) == (adopted, no_quorum), judged.why
    assert everyone_answered(t, members) is early
    # What an open proposal lacks is empty exactly when it would be adopted.
    assert (missing(rule, t, members) == []) is adopted


@pytest.mark.parametrize("rule", ["consent", "majority", "unanimity"])
@pytest.mark.parametrize("members", range(0, 8))
@pytest.mark.parametrize("quorum", [0.0, 0.25, 0.5, 2 / 3, 1.0])
def test_no_rule_passes_by_silence_below_quorum_or_over_a_block(
    rule: str, members: int, quorum: float
) -> None:
    e = Electorate(members, quorum)
    for agreed in range(members + 1):
        for blocked in range(members + 1 - agreed):
            t = Tally(agreed=agreed, blocked=blocked)
            judged = verdict(rule, t, e)
            if blocked or t.total < needed(e):
                assert not judged.adopted
            assert judged.no_quorum == (not blocked and t.total < needed(e))
            if rule == "unanimity" and judged.adopted:
                assert t.total == members  # nobody silent
    assert needed(Electorate(3, 0.5)) == 2 and needed(Electorate(4, 0.5)) == 2
    assert needed(Electorate(0, 0.5)) == 1 and needed(Electorate(9, 0.0)) == 0


def test_proposals_closed_before_keep_the_old_reading() -> None:
    """No members counted (closed before the rules counted them): the answers alone."""
    assert verdict("unanimity", Tally(agreed=1)).adopted  # as it was recorded then
    assert verdict("consent", Tally()).adopted


def test_what_a_proposal_needs_is_said_with_its_numbers() -> None:
    e = Electorate(5, 0.5)
    assert needs("consent", e) == (
        "It needs answers from at least 3 of the 5 members (the quorum), and no block."
    )
    assert missing("majority", Tally(agreed=1, objected=2), e) == [
        "2 more members agreeing, for more than half"
    ]
    assert missing("unanimity", Tally(agreed=2, objected=1, blocked=1), e) == [
        "1 block to be lifted",
        "1 member still to agree or stand aside",
        "1 objection to be withdrawn",
    ]


def test_lead_times_for_reminders() -> None:
    assert lead_time("30min") == timedelta(minutes=30)
    assert lead_time(" 24H ") == timedelta(hours=24) == lead_time("1d")
    for bad in ("", "0h", "1w", "24", "-1h", "61d", "1.5h"):
        with pytest.raises(ValueError):
            lead_time(bad)
