"""The decision rules as pure functions: what each rule makes of a tally, and when voting
closes on the collective's wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.decisions.rules import closing_time, verdict
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
