"""One module per practice. Each declares its commands and scheduled jobs in a `Practice`."""

from __future__ import annotations

from handlers import airtime, general, knowledge, meetings, roles, tasks
from handlers import powermap as _powermap  # noqa: F401  (joins the airtime practice)
from handlers import rotation_jobs as _rotation_jobs  # noqa: F401  (its jobs join roles.practice)
from handlers.registry import Practice


def practices() -> list[Practice]:
    """Every practice, in the order `!help` lists them."""
    return [
        general.practice,
        tasks.practice,
        knowledge.practice,
        roles.practice,
        airtime.practice,
        meetings.practice,
    ]
