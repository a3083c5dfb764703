"""The room's power as its room version grants it, kept in `collectives.power_levels`.

The snapshot is JSON: `{"levels": <m.room.power_levels, as plain data>, "creators": [...],
"version": "12"}`, the creators and version read from the room's `m.room.create` event
(its sender and `additional_creators`; `room_version`, "1" when absent). From room version
12 on, the creators hold unlimited power and are not listed in the power levels' `users`:
whatever counts power asks `RoomPower.level`, never `users` alone. An older snapshot is
the power levels alone (no creators known): it reads as such.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CREATORS_PRIVILEGED_FROM = 12  # the first room version whose creators hold every power
_NUMERIC = re.compile(r"[0-9]{1,6}")


def creators_privileged(version: str | None) -> bool:
    """Whether the creators of a room of this version hold unlimited power: version 12 and
    every later numeric version; an unknown (non-numeric) version is taken as not."""
    return (
        isinstance(version, str)
        and _NUMERIC.fullmatch(version) is not None
        and int(version) >= CREATORS_PRIVILEGED_FROM
    )


def _level(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _mapping(value: object) -> dict[str, object]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


@dataclass(frozen=True)
class RoomPower:
    """Who holds what power in a room, and what each action needs."""

    levels: Mapping[str, object] = field(default_factory=dict)
    creators: tuple[str, ...] = ()
    version: str | None = None  # None: the create event was never seen

    @property
    def privileged(self) -> tuple[str, ...]:
        """The creators holding unlimited power (none before room version 12)."""
        return self.creators if creators_privileged(self.version) else ()

    @property
    def users(self) -> dict[str, object]:
        return _mapping(self.levels.get("users"))

    def level(self, user_id: str) -> float:
        """The user's power level; unlimited (infinity) for a privileged creator."""
        if user_id in self.privileged:
            return math.inf
        default = _level(self.levels.get("users_default"), 0)
        return _level(self.users.get(user_id), default)

    def need(self, action: str, default: int = 50) -> int:
        """The level an action needs: `invite`, `kick`, `ban`, `redact`, ..."""
        return _level(self.levels.get(action), default)

    def need_state(self, event_type: str) -> int:
        """The level needed to send this state event (`m.room.power_levels`: settings)."""
        events = _mapping(self.levels.get("events"))
        return _level(events.get(event_type), _level(self.levels.get("state_default"), 50))

    def holders(self) -> list[str]:
        """Everyone the room names as holding power: listed users and privileged creators."""
        return list(dict.fromkeys([*self.privileged, *self.users]))


def snapshot(levels: Mapping[str, Any], creators: Iterable[str], version: str | None) -> str:
    """The JSON kept in `collectives.power_levels` (stable: equal power, equal text)."""
    return json.dumps(
        {"levels": dict(levels), "creators": list(dict.fromkeys(creators)), "version": version},
        sort_keys=True,
    )


def read(raw: str | None) -> RoomPower | None:
    """The snapshot's power, or None when the room's power levels were never seen. A
    snapshot from before creators were kept (the power levels alone) reads with none."""
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    levels = data.get("levels")
    if not isinstance(levels, dict):  # the older form: the power levels themselves
        return RoomPower(data)
    creators = data.get("creators")
    version = data.get("version")
    return RoomPower(
        levels,
        tuple(c for c in creators if isinstance(c, str)) if isinstance(creators, list) else (),
        version if isinstance(version, str) else None,
    )


def creation(content: Mapping[str, Any], sender: str) -> tuple[tuple[str, ...], str]:
    """The creators and room version an `m.room.create` event states: its sender, then its
    `additional_creators` (strings only), and `room_version` ("1" when absent)."""
    extra = content.get("additional_creators")
    others = [c for c in extra if isinstance(c, str) and c] if isinstance(extra, list) else []
    version = content.get("room_version")
    return tuple(dict.fromkeys([sender, *others])), version if isinstance(version, str) else "1"
