"""Command declarations: one declaration gives the parser, the usage line and the help text.

A practice module makes a `Practice`, and decorates its handlers with
`@practice.command("task done", Name("name"), Tag("kind", KINDS), ...)`. The
dispatcher in `bot/` finds the command, `parse()` turns the rest of the line into
keyword arguments or raises `UsageError` with a sentence for the member.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.context import Context
from handlers.settings import CollectiveSettings

MAX_NAME = 80
MAX_TEXT = 1000

Handler = Callable[..., Awaitable[None]]
JobHandler = Callable[[Context], Awaitable[None]]


@dataclass(frozen=True)
class Said:
    """A member's text message, as passive listeners see it: counts, never the body."""

    event_id: str
    sender: str
    words: int
    at: datetime
    command: bool  # a line addressed to the bot, not to the group


MessageListener = Callable[[Context, Said], Awaitable[None]]
RedactionListener = Callable[[Context, str], Awaitable[None]]


class UsageError(ValueError):
    """Input that does not fit a command; the message is shown to the member."""


def normalise(text: str) -> str:
    """Names of tasks, roles and areas: trimmed, lower-cased, inner white space folded."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Param:
    name: str
    optional: bool = field(default=False, kw_only=True)
    label: str | None = field(default=None, kw_only=True)  # the usage text, when not the name

    def usage(self) -> str:
        if self.label:
            return self.label
        return f"[{self.name}]" if self.optional else f"<{self.name}>"


@dataclass(frozen=True)
class Word(Param):
    """One word, optionally one of fixed choices."""

    choices: tuple[str, ...] = ()

    def convert(self, token: str) -> Any:
        if self.choices and token.casefold() not in self.choices:
            raise UsageError(f"`{token[:40]}` is not one of: {', '.join(self.choices)}.")
        return token.casefold() if self.choices else token

    def usage(self) -> str:
        if self.label:
            return self.label
        inner = "|".join(self.choices) if self.choices else self.name
        return f"[{inner}]" if self.optional else f"<{inner}>"


@dataclass(frozen=True)
class Number(Param):
    minimum: int = 1

    def convert(self, token: str) -> Any:
        try:
            value = int(token.lstrip("#")) if len(token) < 12 else -1
            if value < 0:
                raise ValueError
        except ValueError:
            raise UsageError(f"`{token[:40]}` is not a number.") from None
        if value < self.minimum:
            raise UsageError(f"{self.name} must be at least {self.minimum}.")
        return value


@dataclass(frozen=True)
class Text(Param):
    """The rest of the line, as typed (only trimmed)."""

    max_length: int = MAX_TEXT

    def convert(self, text: str) -> Any:
        text = text.strip()
        if len(text) > self.max_length:
            raise UsageError(
                f"{self.name} is too long ({len(text)} characters; at most {self.max_length})."
            )
        return text


@dataclass(frozen=True)
class Name(Text):
    """The rest of the line as a normalised name."""

    max_length: int = MAX_NAME

    def convert(self, text: str) -> Any:
        name = normalise(text)
        if len(name) > self.max_length:
            raise UsageError(
                f"{self.name} is too long ({len(name)} characters; at most {self.max_length})."
            )
        return name


@dataclass(frozen=True)
class Tag(Param):
    """A `#tag` anywhere on the line, one of fixed choices."""

    choices: tuple[str, ...] = ()
    optional: bool = field(default=True, kw_only=True)

    def usage(self) -> str:
        return "[" + "|".join(f"#{c}" for c in self.choices) + "]"


@dataclass(frozen=True)
class Command:
    name: str
    params: tuple[Param, ...]
    summary: str
    practice: str
    handler: Handler
    examples: tuple[str, ...] = ()
    direct_ok: bool = False  # may be used in a direct chat with the bot

    def usage(self, prefix: str) -> str:
        parts = [f"{prefix}{self.name}", *(p.usage() for p in self.params)]
        return " ".join(parts)

    def parse(self, rest: str) -> dict[str, Any]:
        """Turn the text after the command words into keyword arguments."""
        tags = [p for p in self.params if isinstance(p, Tag)]
        values: dict[str, Any] = {t.name: None for t in tags}
        tokens: list[str] = []
        for token in re.split(r"\s+", rest):
            word = token
            if tags and word.startswith("#") and len(word) > 1 and not word[1:].isdigit():
                label = word[1:].casefold()
                owner = next((t for t in tags if label in t.choices), None)
                if owner is None:
                    known = ", ".join(f"#{c}" for t in tags for c in t.choices)
                    raise UsageError(f"Unknown tag `{word[:40]}`; use one of {known}.")
                if values[owner.name] is not None:
                    raise UsageError(f"Give only one {owner.name} tag.")
                values[owner.name] = label
                continue
            tokens.append(token)
        remaining = " ".join(tokens).strip()
        for param in self.params:
            if isinstance(param, Tag):
                continue
            if isinstance(param, Text):
                value = param.convert(remaining) if remaining else ""
                remaining = ""
                if not value:
                    if not param.optional:
                        raise UsageError(f"Missing {param.name}.")
                    value = None
                values[param.name] = value
                continue
            head, _, remaining = remaining.partition(" ")
            remaining = remaining.strip()
            if not head:
                if not param.optional:
                    raise UsageError(f"Missing {param.name}.")
                values[param.name] = None
                continue
            assert isinstance(param, Word | Number)
            values[param.name] = param.convert(head)
        if remaining:
            raise UsageError(f"Unexpected extra text: `{remaining[:40]}`.")
        return values


@dataclass(frozen=True)
class Job:
    """A scheduled ritual: a cron expression (from the settings) in the collective's zone."""

    name: str
    schedule: Callable[[CollectiveSettings], str]
    handler: JobHandler


@dataclass
class Practice:
    """One practice's commands and scheduled jobs, declared next to their handlers."""

    title: str
    blurb: str = ""
    commands: list[Command] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    message_listeners: list[MessageListener] = field(default_factory=list)
    redaction_listeners: list[RedactionListener] = field(default_factory=list)

    def on_message(self, func: MessageListener) -> MessageListener:
        self.message_listeners.append(func)
        return func

    def on_redaction(self, func: RedactionListener) -> RedactionListener:
        self.redaction_listeners.append(func)
        return func

    def command(
        self,
        name: str,
        *params: Param,
        summary: str,
        examples: Sequence[str] = (),
        direct_ok: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(func: Handler) -> Handler:
            self.commands.append(
                Command(
                    name=name,
                    params=tuple(params),
                    summary=summary,
                    practice=self.title,
                    handler=func,
                    examples=tuple(examples),
                    direct_ok=direct_ok,
                )
            )
            return func

        return register

    def job(
        self, name: str, schedule: str | Callable[[CollectiveSettings], str]
    ) -> Callable[[JobHandler], JobHandler]:
        """`schedule`: a `[schedule]` key, or a function deriving the cron from the settings."""

        def by_key(settings: CollectiveSettings, key: str = str(schedule)) -> str:
            return settings.schedule[key]

        cron = by_key if isinstance(schedule, str) else schedule

        def register(func: JobHandler) -> JobHandler:
            self.jobs.append(Job(name=name, schedule=cron, handler=func))
            return func

        return register


@dataclass
class Match:
    command: Command | None
    rest: str
    group: list[Command] = field(default_factory=list)  # when only a group word matched


class Registry:
    def __init__(self, practices: Iterable[Practice]) -> None:
        self.practices = list(practices)
        self.commands: dict[str, Command] = {}
        for practice in self.practices:
            for cmd in practice.commands:
                if cmd.name in self.commands:
                    raise ValueError(f"command {cmd.name!r} declared twice")
                self.commands[cmd.name] = cmd
        self.jobs = [job for p in self.practices for job in p.jobs]
        self.message_listeners = [f for p in self.practices for f in p.message_listeners]
        self.redaction_listeners = [f for p in self.practices for f in p.redaction_listeners]

    def words(self) -> set[str]:
        return {name.split()[0] for name in self.commands}

    def group(self, word: str) -> list[Command]:
        return [c for n, c in self.commands.items() if n.split()[0] == word]

    def find(self, line: str) -> Match:
        """Longest declared name that the line starts with (two words, then one)."""
        parts = line.split(None, 2)
        if not parts:
            return Match(None, "")
        first = parts[0].casefold()
        if len(parts) >= 2:
            two = f"{first} {parts[1].casefold()}"
            if two in self.commands:
                return Match(self.commands[two], parts[2] if len(parts) > 2 else "")
        rest = line.split(None, 1)[1] if len(parts) > 1 else ""
        if first in self.commands:
            return Match(self.commands[first], rest)
        return Match(None, rest, self.group(first))

    def suggest(self, word: str) -> str | None:
        close = difflib.get_close_matches(word.casefold(), sorted(self.words()), n=1, cutoff=0.5)
        return close[0] if close else None
