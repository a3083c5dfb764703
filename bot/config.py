"""The TOML configuration: loaded once, validated whole, and resolved per collective.

Every problem is reported as one `ConfigError` naming the file and the key, so a
host sees what to fix instead of a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy.engine import make_url

from bot.config_checks import (
    _answers,
    _cron,
    _cron_or_off,
    _currency,
    _database,
    _days,
    _duration,
    _homeserver,
    _inviter,
    _language,
    _lead,
    _min_answers,
    _minutes,
    _order,
    _prefix,
    _prompts,
    _question,
    _quorum,
    _rule,
    _short_duration,
    _standing,
    _user_id,
    _user_ids,
    _zone,
)
from handlers.settings import DEFAULT_CARE, DEFAULT_INVISIBLE, DEFAULT_PROMPTS, CollectiveSettings
from handlers.timeparse import duration, lead_time
from storage.engine import StorageError, check_url

ROOM_ID = re.compile(r"^![^:\s]+:[^\s]+$")


class ConfigError(Exception):
    """A configuration problem, worded for the person hosting the bot."""


@dataclass(frozen=True)
class MatrixConfig:
    homeserver: str
    user_id: str
    password: str
    access_token: str
    device_name: str
    store_path: Path


@dataclass(frozen=True)
class Config:
    path: Path
    matrix: MatrixConfig
    database_url: str
    allowed_inviters: tuple[str, ...]
    defaults: CollectiveSettings
    overrides: dict[str, CollectiveSettings] = field(default_factory=dict)

    def for_room(self, room_id: str) -> CollectiveSettings:
        return self.overrides.get(room_id, self.defaults)

    def may_invite(self, user_id: str) -> bool:
        """Allowed inviters are user ids, or `:server` entries admitting a whole server."""
        server = user_id.partition(":")[2]
        for entry in self.allowed_inviters:
            if entry == user_id or (entry.startswith(":") and entry[1:] == server):
                return True
        return False


_STARTS = [datetime(2001 + m // 12, m % 12 + 1, 1) for m in range(48)]


def _longer(a: relativedelta, b: relativedelta) -> bool:
    """True when `a` runs past `b` for a term starting in some month."""
    return any(start + a > start + b for start in _STARTS)


def _check_term(path: Path, where: str, roles: Mapping[str, Any]) -> None:
    """A term may never run longer than max_term, whichever month it starts in."""
    term, longest = roles["term"], roles["max_term"]
    if _longer(duration(term), duration(longest)):
        raise ConfigError(
            f"{path}: [{where}] term = {term!r} is longer than max_term = {longest!r} "
            "(raise max_term, or shorten the term)"
        )


@dataclass(frozen=True)
class Key:
    kind: type
    default: Any = None
    required: bool = False
    check: Callable[[Any], None] | None = None
    item: type | None = None
    clean: Callable[[Any], Any] | None = None  # applied once the value passed its check


def _lower(value: str) -> str:
    return value.strip().casefold()


SCHEMA: dict[str, dict[str, Key]] = {
    "matrix": {
        "homeserver": Key(str, required=True, check=_homeserver),
        "user_id": Key(str, required=True, check=_user_id),
        "password": Key(str, ""),
        "access_token": Key(str, ""),
        "device_name": Key(str, "flattening"),
        "store_path": Key(str, "./store"),
    },
    "storage": {
        "database_url": Key(str, "sqlite+aiosqlite:///flattening.db", check=_database),
    },
    "bot": {
        "command_prefix": Key(str, "!", check=_prefix),
        "allowed_inviters": Key(list, [], item=str, check=None),
        "bots": Key(list, [], item=str, check=_user_ids),
        "timezone": Key(str, "UTC", check=_zone),
    },
    "schedule": {
        "rotation": Key(str, "0 10 * * MON", check=_cron),
        "powermap": Key(str, "0 18 1 * *", check=_cron),
        "reflection": Key(str, "0 18 1 * *", check=_cron),
        "gallery": Key(str, "", check=_cron_or_off),
        "pairs": Key(str, "0 * * * *", check=_cron),
        "circle": Key(str, "", check=_cron_or_off),
    },
    "rituals": {
        "reflection_open_days": Key(int, 7, check=_days(1)),
        "reflection_min_answers": Key(int, 3, check=_min_answers),
        "reflection_prompts": Key(list, list(DEFAULT_PROMPTS), item=str, check=_prompts),
        "checkin_after_days": Key(int, 3, check=_days(0)),
        "entry_sprint_days": Key(int, 14, check=_days(0)),
        "pair_reminder_days": Key(int, 14, check=_days(0)),
        "circle_gallery_minutes": Key(int, 15, check=_minutes),
        "circle_groups_minutes": Key(int, 20, check=_minutes),
        "circle_experiments_minutes": Key(int, 15, check=_minutes),
    },
    "roles": {
        "default": Key(list, ["facilitation", "notes", "agenda"], item=str),
        "term": Key(str, "1w", check=_duration, clean=_lower),
        "max_term": Key(str, "3m", check=_duration, clean=_lower),
        "fairness_window": Key(str, "6m", check=_duration, clean=_lower),
        "order": Key(str, "fair", check=_order, clean=_lower),
    },
    "decisions": {
        "rule": Key(str, "consent", check=_rule),
        "open_days": Key(int, 7, check=_days(1)),
        "quorum": Key(float, 0.5, check=_quorum),
        "remind_before": Key(str, "24h", check=_lead, clean=_lower),
        "answers": Key(str, "open", check=_answers, clean=_lower),
    },
    "meetings": {
        "remind_before": Key(str, "1h", check=_short_duration, clean=_lower),
        "standing_agenda": Key(list, [], item=str, check=_standing),
        "opening_round": Key(str, "", check=_question),
        "closing_round": Key(str, "", check=_question),
        "poll_days": Key(int, 3, check=_days(1)),
    },
    "labour": {
        "invisible": Key(list, list(DEFAULT_INVISIBLE), item=str),
        "care": Key(list, list(DEFAULT_CARE), item=str),
    },
    "budget": {
        "currency": Key(str, "EUR", check=_currency),
    },
    "i18n": {
        "language": Key(str, "en", check=_language, clean=_lower),
    },
}
# Sections a collective may override; the connection and storage are the host's alone,
# and so is [bot] allowed_inviters.
PER_COLLECTIVE = (
    "bot", "schedule", "rituals", "roles", "decisions", "meetings", "labour", "budget", "i18n"
)  # fmt: skip


def _shown(key: str, value: Any) -> Any:
    """A value as it may appear in an error: never a database password."""
    if key == "database_url":
        try:
            return make_url(value).render_as_string(hide_password=True)
        except Exception:
            return "(unparseable URL)"
    return value


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _section(
    path: Path, where: str, name: str, raw: Any, base: Mapping[str, Any] | None
) -> dict[str, Any]:
    schema = SCHEMA[name]
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [{where}] must be a table of keys")
    for key in raw:
        if key not in schema:
            known = ", ".join(schema)
            raise ConfigError(f"{path}: [{where}] has unknown key '{key}' (known keys: {known})")
    values: dict[str, Any] = {}
    for key, spec in schema.items():
        value: Any
        if key in raw:
            value = raw[key]
        elif base is not None:
            value = base[key]
        elif spec.required:
            raise ConfigError(f"{path}: [{where}] {key} is missing")
        else:
            value = spec.default
        if spec.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # `quorum = 1` is a share too
        if (spec.kind is int and isinstance(value, bool)) or not isinstance(value, spec.kind):
            raise ConfigError(
                f"{path}: [{where}] {key} must be a {spec.kind.__name__}, not {value!r}"
            )
        if spec.item is not None and not all(isinstance(v, spec.item) for v in _items(value)):
            raise ConfigError(f"{path}: [{where}] {key} must be a list of strings")
        try:
            if spec.check is not None:
                spec.check(value)
            if name == "bot" and key == "allowed_inviters":
                for entry in _items(value):
                    _inviter(entry)
        except ValueError as exc:
            raise ConfigError(f"{path}: [{where}] {key} = {_shown(key, value)!r} {exc}") from exc
        values[key] = spec.clean(value) if spec.clean is not None else value
    return values


def _settings(sections: Mapping[str, Mapping[str, Any]]) -> CollectiveSettings:
    def names(items: list[str]) -> tuple[str, ...]:
        return tuple(" ".join(i.split()).lower() for i in items)

    bot, rituals = sections["bot"], sections["rituals"]
    return CollectiveSettings(
        command_prefix=bot["command_prefix"],
        bots=tuple(bot["bots"]),
        timezone=ZoneInfo(bot["timezone"]),
        schedule=dict(sections["schedule"]),
        reflection_open_days=rituals["reflection_open_days"],
        reflection_min_answers=rituals["reflection_min_answers"],
        reflection_prompts=tuple(p.strip() for p in rituals["reflection_prompts"] if p.strip()),
        checkin_after_days=rituals["checkin_after_days"],
        entry_sprint_days=rituals["entry_sprint_days"],
        pair_reminder_days=rituals["pair_reminder_days"],
        circle_gallery_minutes=rituals["circle_gallery_minutes"],
        circle_groups_minutes=rituals["circle_groups_minutes"],
        circle_experiments_minutes=rituals["circle_experiments_minutes"],
        roles=names(sections["roles"]["default"]),
        role_term=sections["roles"]["term"],
        max_term=sections["roles"]["max_term"],
        fairness_window=sections["roles"]["fairness_window"],
        role_order=sections["roles"]["order"],
        poll_days=sections["meetings"]["poll_days"],
        decision_rule=sections["decisions"]["rule"],
        decision_open_days=sections["decisions"]["open_days"],
        decision_quorum=sections["decisions"]["quorum"],
        decision_remind_before=lead_time(sections["decisions"]["remind_before"]),
        decision_answers=sections["decisions"]["answers"],
        remind_before=sections["meetings"]["remind_before"],
        standing_agenda=tuple(i.strip() for i in sections["meetings"]["standing_agenda"]),
        opening_round=sections["meetings"]["opening_round"].strip(),
        closing_round=sections["meetings"]["closing_round"].strip(),
        invisible_keywords=names(sections["labour"]["invisible"]),
        care_keywords=names(sections["labour"]["care"]),
        currency=sections["budget"]["currency"],
        language=sections["i18n"]["language"],
    )


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def _database_url(base: Path, url: str) -> str:
    """Relative SQLite paths are taken relative to the config file, not the shell's cwd."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        db = _resolve(base, parsed.database)
        return parsed.set(database=str(db)).render_as_string(hide_password=False)
    return url


def parse(
    text: str, path: Path, env: Mapping[str, str] | None = None, *, login: bool = True
) -> Config:
    """`login=False`: the caller reads the database only (`flattening export`), so the
    bot's password or access token is not required."""
    env = os.environ if env is None else env
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    allowed = (*SCHEMA, "collectives")
    for key in raw:
        if key not in allowed:
            raise ConfigError(
                f"{path}: unknown section [{key}] (known sections: {', '.join(allowed)})"
            )
    if "matrix" not in raw:
        raise ConfigError(f"{path}: [matrix] section is missing")
    sections = {name: _section(path, name, name, raw.get(name, {}), None) for name in SCHEMA}
    _check_term(path, "roles", sections["roles"])

    matrix = dict(sections["matrix"])
    matrix["password"] = env.get("FLATTENING_PASSWORD") or matrix["password"]
    matrix["access_token"] = env.get("FLATTENING_ACCESS_TOKEN") or matrix["access_token"]
    if login and not matrix["password"] and not matrix["access_token"]:
        raise ConfigError(
            f"{path}: [matrix] password or access_token is missing "
            "(or set FLATTENING_PASSWORD / FLATTENING_ACCESS_TOKEN)"
        )
    base = path.parent.resolve()
    database_url = env.get("FLATTENING_DATABASE_URL") or sections["storage"]["database_url"]
    try:
        check_url(database_url)
    except StorageError as exc:
        raise ConfigError(f"{path}: [storage] database_url {exc}") from exc

    overrides: dict[str, CollectiveSettings] = {}
    collectives = raw.get("collectives", {})
    if not isinstance(collectives, dict):
        raise ConfigError(
            f'{path}: [collectives] must hold tables like [collectives."!room:server"]'
        )
    for room_id, room_raw in collectives.items():
        if not ROOM_ID.match(room_id) or not isinstance(room_raw, dict):
            raise ConfigError(
                f'{path}: [collectives."{room_id}"] must be named by a room id '
                'like "!abc:example.org"'
            )
        merged = dict(sections)
        for name, section_raw in room_raw.items():
            if name not in PER_COLLECTIVE:
                raise ConfigError(
                    f'{path}: [collectives."{room_id}".{name}] cannot be set per collective '
                    f"(allowed: {', '.join(PER_COLLECTIVE)})"
                )
            where = f'collectives."{room_id}".{name}'
            if (
                name == "bot"
                and isinstance(section_raw, dict)
                and "allowed_inviters" in section_raw
            ):
                raise ConfigError(
                    f"{path}: [{where}] allowed_inviters cannot be set per collective: "
                    "an invitation comes before its collective exists; "
                    "set it once in [bot] allowed_inviters"
                )
            merged[name] = _section(path, where, name, section_raw, sections[name])
        _check_term(path, f'collectives."{room_id}".roles', merged["roles"])
        overrides[room_id] = _settings(merged)

    return Config(
        path=path,
        matrix=MatrixConfig(
            homeserver=matrix["homeserver"].rstrip("/"),
            user_id=matrix["user_id"],
            password=matrix["password"],
            access_token=matrix["access_token"],
            device_name=matrix["device_name"],
            store_path=_resolve(base, matrix["store_path"]),
        ),
        database_url=_database_url(base, database_url),
        allowed_inviters=tuple(sections["bot"]["allowed_inviters"]),
        defaults=_settings(sections),
        overrides=overrides,
    )


def load(path: Path, env: Mapping[str, str] | None = None, *, login: bool = True) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: no such file (copy config.example.toml there, or pass --config PATH)"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return parse(text, path, env, login=login)


def with_database(config: Config, url: str) -> Config:
    return replace(config, database_url=url)
