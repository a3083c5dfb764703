"""Live meetings: the progressive speaking stack and random go-rounds (`stack.py`), calling
meetings with a calendar file and a reminder (`calls.py`), the agenda (`agenda.py`), time
kept in a meeting (`timing.py`, `tick.py`) and minutes (`minutes.py`, `record.py`), all on
the one `practice`. `handlers/practices.py` imports the modules that add commands to it;
this package's import stays light, so the export can read a meeting's record."""

from handlers.meetings import polls as polls
from handlers.meetings.stack import practice

__all__ = ["practice"]
