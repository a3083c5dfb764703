"""Every practice the bot runs, in the order `!help` lists them: the one place to add one."""

from __future__ import annotations

from handlers import (
    airtime,
    decisions,
    general,
    knowledge,
    meetings,
    powermap,
    roles,
    rotation_jobs,
    seconds,
    tasks,
)
from handlers.registry import Practice


def practices() -> list[Practice]:
    return [
        general.practice,
        tasks.practice,
        knowledge.practice,
        roles.practice,
        rotation_jobs.practice,
        airtime.practice,
        powermap.practice,
        meetings.practice,
        decisions.practice,
        seconds.practice,
    ]
