"""Decisions and transparency: proposals answered by members and closed under the
collective's rule (`commands.py`), the log, withdrawals and the hourly jobs (`log.py`),
the rules' arithmetic (`rules.py`) and how a proposal is shown (`views.py`)."""

from handlers.decisions import log
from handlers.decisions.commands import practice

__all__ = ["log", "practice"]
