"""An iCalendar file (RFC 5545) for one called meeting, so members put it in their calendars.

One VEVENT with a stable UID (the same meeting keeps the same UID, so a cancellation
replaces it in the calendar that imported it), times in UTC (`...Z`, which every calendar
reads without a VTIMEZONE), text escaped, lines folded at 75 octets and ended with CRLF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//Flattening//Meetings//EN"
FOLD = 75  # octets per line, the line break not counted
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    sequence: int = 0
    cancelled: bool = False


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    """TEXT values: backslash, semicolon and comma escaped, line breaks as `\\n`, and no
    other control character."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text.replace("\t", " "))
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets, never inside a character;
    every piece after the first starts with one space (which counts)."""
    pieces: list[str] = []
    current, size, limit = "", 0, FOLD
    for ch in line:
        width = len(ch.encode())
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, FOLD - 1
        current += ch
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def calendar(event: Event, now: datetime) -> bytes:
    """The whole file, UTF-8 with CRLF line endings."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if event.cancelled else 'PUBLISH'}",
        "BEGIN:VEVENT",
        f"UID:{escape(event.uid)}",
        f"DTSTAMP:{stamp(now)}",
        f"DTSTART:{stamp(event.start)}",
        f"DTEND:{stamp(event.end)}",
        f"SEQUENCE:{event.sequence}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        f"SUMMARY:{escape(event.summary)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape(event.description)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines).encode()


def unfold(data: bytes) -> list[str]:
    """The content lines of a file, unfolded: for tests and for reading one back."""
    text = data.decode().replace("\r\n ", "").replace("\r\n\t", "")
    return [line for line in text.split("\r\n") if line]
