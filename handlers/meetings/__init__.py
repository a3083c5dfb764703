"""Live meetings: the progressive speaking stack and random go-rounds (`stack.py`). The
meetings' other tools (agenda, minutes, timers, polls) come as modules of their own here,
registering on the same `practice`."""

from handlers.meetings import polls as polls
from handlers.meetings.stack import practice

__all__ = ["practice"]
