"""Roles: bounded roles and their commands (`commands.py`), who could take one and when a
term ends (`rotation.py`), the fairness rule (`fairness.py`), and the weekly rotation with
its reminder (`jobs.py`, a practice of its own in `!help`)."""

from handlers.roles import jobs, recall
from handlers.roles.commands import practice

__all__ = ["jobs", "practice", "recall"]
