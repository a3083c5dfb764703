"""Every practice the bot runs, in the order `!help` lists them: the one place to add one."""

from __future__ import annotations

from handlers import (
    access,
    airtime,
    general,
    knowledge,
    ledger,
    meetings,
    membership,
    pairs,  # noqa: F401  (its commands join the knowledge practice)
    powermap,
    roles,
    seconds,
    tasks,
)
from handlers.decisions import log as decision_log  # noqa: F401  (its commands join the practice)
from handlers.decisions.commands import practice as decisions
from handlers.meetings import agenda, calls, minutes, tick, timing  # noqa: F401  (they add commands)
from handlers.registry import Practice
from handlers.rituals import (
    checkins,
    circle,
    entry,
    experiments,
    gallery,
    groups,
    reflection,
    review,  # noqa: F401  (its commands join the experiments practice)
    sprints,
)


def practices() -> list[Practice]:
    return [
        general.practice,
        membership.practice,
        tasks.practice,
        knowledge.practice,  # with handlers/pairs.py's commands
        access.practice,
        roles.practice,
        roles.jobs.practice,
        airtime.practice,
        powermap.practice,
        meetings.practice,
        decisions,
        ledger.practice,
        reflection.practice,
        checkins.practice,
        entry.practice,
        gallery.practice,
        circle.practice,
        groups.practice,
        experiments.practice,
        sprints.practice,
        seconds.practice,
    ]
