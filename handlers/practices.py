"""Every practice the bot runs, in the order `!help` lists them: the one place to add one."""

from __future__ import annotations

from handlers import (
    airtime,
    checkins,
    decisions,
    entry,
    experiments,
    gallery,
    general,
    groups,
    knowledge,
    ledger,
    meetings,
    membership,
    powermap,
    reflection,
    roles,
    rotation_jobs,
    seconds,
    sprints,
    tasks,
)
from handlers.registry import Practice


def practices() -> list[Practice]:
    return [
        general.practice,
        membership.practice,
        tasks.practice,
        knowledge.practice,
        roles.practice,
        rotation_jobs.practice,
        airtime.practice,
        powermap.practice,
        meetings.practice,
        decisions.practice,
        ledger.practice,
        reflection.practice,
        checkins.practice,
        entry.practice,
        gallery.practice,
        groups.practice,
        experiments.practice,
        sprints.practice,
        seconds.practice,
    ]
