"""Native Matrix polls on the wire (MSC3381): the start and end events the bot sends, with
the unstable names Element sends and shows, and the members' responses it reads, with
either name (`org.matrix.msc3381.poll.response`, or the stable `m.poll.response`).

Only the unstable start is sent: a second, stable `m.poll.start` event would show every
poll twice in clients that know both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

START = "org.matrix.msc3381.poll.start"
END = "org.matrix.msc3381.poll.end"
RESPONSE = "org.matrix.msc3381.poll.response"
STARTS = (START, "m.poll.start")
RESPONSES = (RESPONSE, "m.poll.response")
MARKED = ("m.room.message", *STARTS)  # the bot's own events that may carry a marker
TEXT = "org.matrix.msc1767.text"
DISCLOSED = "org.matrix.msc3381.poll.disclosed"
MAX_ANSWERS = 20  # MSC3381: only the first 20 options count
MAX_ID = 100  # a longer answer id names no option of ours


def answer_id(number: int) -> str:
    """An option's id in the poll event: its number, as members see it."""
    return str(number)


def start(question: str, options: Sequence[str]) -> dict[str, Any]:
    """An `m.poll.start` (unstable names), a single choice whose results show as they come,
    with a plain-text fallback for clients that show no polls."""
    fallback = "\n".join([question, *(f"{i}. {text}" for i, text in enumerate(options, 1))])
    return {
        START: {
            "kind": DISCLOSED,
            "max_selections": 1,
            "question": {TEXT: question},
            "answers": [{"id": answer_id(i), TEXT: text} for i, text in enumerate(options, 1)],
        },
        TEXT: fallback,
        "body": fallback,  # clients that know neither polls nor extensible events
        "m.mentions": {},  # a poll notifies no one by its words (`@room` in a question)
    }


def end(start_event_id: str, text: str) -> dict[str, Any]:
    """An `m.poll.end` (unstable names) relating to the start event."""
    return {
        "m.relates_to": {"rel_type": "m.reference", "event_id": start_event_id},
        END: {},
        TEXT: text,
        "body": text,
        "m.mentions": {},
    }


def response(event_type: str, content: dict[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """(the poll's start event id, the answer ids chosen) of a member's response, or None
    when it relates to no event. An empty tuple takes the answer back; so does a spoiled
    one (no list), as MSC3381 asks; which ids name an option is the poll's to say."""
    if event_type not in RESPONSES:
        return None
    relates = content.get("m.relates_to")
    if not isinstance(relates, dict) or relates.get("rel_type") != "m.reference":
        return None
    target = relates.get("event_id")
    if not isinstance(target, str) or not target.startswith("$") or len(target) > 255:
        return None
    block = content.get(event_type)
    chosen = block.get("answers") if isinstance(block, dict) else None
    if chosen is None:
        chosen = content.get("m.selections")  # the stable shape
    if not isinstance(chosen, list):
        return target, ()
    # An entry that is no string, or too long to be an id of ours, names no option ("").
    return target, tuple(
        a if isinstance(a, str) and len(a) <= MAX_ID else "" for a in chosen[:MAX_ANSWERS]
    )
