"""Circle of shadows: the silent gallery walk (`walk.py`) through the group's patterns
(`patterns.py`)."""

from handlers.rituals.gallery.walk import practice

__all__ = ["practice"]
