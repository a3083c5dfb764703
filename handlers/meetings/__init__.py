"""Live meetings: the progressive speaking stack and random go-rounds (`stack.py`), calling
meetings with a calendar file and a reminder (`calls.py`), the agenda (`agenda.py`) and the
minute tick that keeps time (`tick.py`), all on the one `practice`."""

from handlers.meetings import agenda as agenda
from handlers.meetings import calls as calls
from handlers.meetings import tick as tick
from handlers.meetings import timing as timing
from handlers.meetings.stack import practice

__all__ = ["practice"]
