"""Command arguments, declared on the command and converted with the context, as
discord.py's converters are: each kind knows how many words it takes, how it reads
them (looking members and roles up where it must), and how it shows in the usage line.

    @practice.command("spend", Amount("amount"), Text("what"), summary=...)
    async def spend(ctx: Context, amount: Decimal, what: str) -> None: ...

One-word arguments before the first multi-word one are read from the left, those
after the last from the right (so a `#kind` tag or a `since` counts only as the last
word); what lies between belongs to the multi-word arguments.
"""

from __future__ import annotations

import difflib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from handlers import names
from handlers.context import Context, Mention
from handlers.errors import Mismatch, UsageError
from handlers.i18n import N_, _
from handlers.known_roles import ensure_roles
from handlers.timeparse import interval, looks_like_since, parse_month, since, until

MAX_NAME = 80
MAX_TEXT = 1000
MAX_AREAS = 10

# Invisible characters that make two names look alike: zero-width ones and bidi controls.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def normalise(text: str) -> str:
    """Names of tasks, roles and areas: invisible characters dropped, trimmed, lower-cased,
    inner white space folded."""
    return " ".join(_INVISIBLE.sub("", text).split()).casefold()


# The names of arguments as usage lines show them (`!spend <amount> <what>`): members type
# values, never these words, so they are in the collective's language.
ARG_WORDS = {
    "amount": N_("amount"), "area": N_("area"), "change": N_("change"),
    "command": N_("command"), "count": N_("count"), "decision": N_("decision"),
    "duration": N_("duration"), "entry": N_("entry"), "group": N_("group"),
    "kind": N_("kind"), "member": N_("member"), "minutes": N_("minutes"), "name": N_("name"),
    "note": N_("note"), "notes": N_("notes"), "number": N_("number"),
    "outcome": N_("outcome"), "period": N_("period"), "proposal": N_("proposal"),
    "reason": N_("reason"), "request": N_("request"), "role": N_("role"),
    "scope": N_("scope"), "size": N_("size"), "term": N_("term"), "text": N_("text"),
    "what": N_("what"), "words": N_("words"), "resource": N_("resource"),
    "holder": N_("holder"), "experiment": N_("experiment"), "how": N_("how"),
}  # fmt: skip
LABELS = {
    "<duration e.g. 1w|2w>": N_("<duration e.g. 1w|2w>"),
    "<term e.g. 1w|2w|1m>": N_("<term e.g. 1w|2w|1m>"),
    "[handover notes]": N_("[handover notes]"),
    "<question>; <option>; <option> ...": N_("<question>; <option>; <option> ..."),
}


def arg_word(name: str) -> str:
    return _(ARG_WORDS[name]) if name in ARG_WORDS else name


def label_words(label: str) -> str:
    return _(LABELS[label]) if label in LABELS else label


@dataclass(frozen=True)
class Param(ABC):
    """One argument. `width`: how many words a one-word kind takes; multi-word kinds are
    `greedy` and take what the others leave."""

    name: str
    optional: bool = field(default=False, kw_only=True)
    label: str | None = field(default=None, kw_only=True)  # the usage text, when not the name

    greedy: ClassVar[bool] = False
    width: ClassVar[int] = 1
    most_words: ClassVar[int | None] = None  # a multi-word kind that cannot be longer

    @property
    def hint(self) -> str:
        return arg_word(self.name)

    def usage(self) -> str:
        if self.label:
            return label_words(self.label)
        return f"[{self.hint}]" if self.optional else f"<{self.hint}>"

    @abstractmethod
    async def convert(self, ctx: Context, text: str) -> Any:
        """The value of this argument from its words, or a UsageError saying what is wrong."""


@dataclass(frozen=True)
class Word(Param):
    """One word, optionally one of fixed choices."""

    choices: tuple[str, ...] = ()

    @property
    def hint(self) -> str:
        return "|".join(self.choices) if self.choices else arg_word(self.name)

    async def convert(self, ctx: Context, text: str) -> Any:
        if self.choices and text.casefold() not in self.choices:
            raise UsageError(
                _("`{text}` is not one of: {choices}.").format(
                    text=text[:40], choices=", ".join(self.choices)
                )
            )
        return text.casefold() if self.choices else text


@dataclass(frozen=True)
class Number(Param):
    """A whole number (`12` or `#12`), at least `minimum`."""

    minimum: int = 1

    async def convert(self, ctx: Context, text: str) -> Any:
        digits = text.removeprefix("#")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
            raise UsageError(_("`{text}` is not a number.").format(text=text[:40]))
        value = int(digits)
        if value < self.minimum:
            raise UsageError(
                _("{name} must be at least {minimum}.").format(name=self.name, minimum=self.minimum)
            )
        return value


_AMOUNT = re.compile(r"^([0-9]{1,12})(?:[.,]([0-9]{1,2}))?$")


@dataclass(frozen=True)
class Amount(Param):
    """An exact amount of money, more than zero, with at most two decimal places."""

    async def convert(self, ctx: Context, text: str) -> Any:
        match = _AMOUNT.match(text)
        value = Decimal(f"{match.group(1)}.{match.group(2) or '0'}") if match else None
        if value is None or value <= 0:
            raise UsageError(
                _(
                    "`{text}` is not an amount; write it like 12, 12.5, 12.50 or 12,50 "
                    "(more than zero, at most two decimal places, no thousands separators)."
                ).format(text=text[:40])
            )
        return value.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Duration(Param):
    """`3d`, `2w`, `1m`, `1y`: an `Interval` (as typed, and its calendar step)."""

    async def convert(self, ctx: Context, text: str) -> Any:
        return interval(text)


@dataclass(frozen=True)
class KeywordDuration(Param):
    """`for 2w`: a duration introduced by a keyword, two words, read from the right. When the
    last two words are not the keyword and something that starts like a duration, they are
    left to the argument before (`!experiment a timekeeper for meetings`); `for 5x` is
    refused as a duration that is not one."""

    keyword: str = "for"
    width: ClassVar[int] = 2

    def usage(self) -> str:
        if self.label:
            return label_words(self.label)
        inner = f"{self.keyword} <{arg_word(self.name)}>"
        return f"[{inner}]" if self.optional else inner

    async def convert(self, ctx: Context, text: str) -> Any:
        words = text.split()
        if len(words) != 2 or words[0].casefold() != self.keyword or not words[1][:1].isdigit():
            raise Mismatch(
                _("Missing `{keyword} <{name}>`, e.g. `{keyword} 2w`.").format(
                    keyword=self.keyword, name=self.name
                )
            )
        return interval(words[1])


@dataclass(frozen=True)
class Since(Param):
    """A start: a duration back from now (`30d`) or a date (`2026-11-01`), as UTC."""

    @property
    def hint(self) -> str:
        # TRANSLATORS: a usage hint; 30d and 2026-11-01 are typed as they are.
        return _("since: 30d|2026-11-01")

    async def convert(self, ctx: Context, text: str) -> Any:
        if not looks_like_since(text):
            raise Mismatch(
                _("`{text}` is neither a date (2026-11-01) nor a duration (30d).").format(
                    text=text[:40]
                )
            )
        return since(text, ctx.now(), ctx.settings.timezone)


@dataclass(frozen=True)
class Until(Param):
    """An end: a duration from now (`2w`) or through a date (`2026-12-24`), as UTC."""

    @property
    def hint(self) -> str:
        # TRANSLATORS: a usage hint.
        return _("until: date or duration")

    async def convert(self, ctx: Context, text: str) -> Any:
        return until(text, ctx.now(), ctx.settings.timezone)


@dataclass(frozen=True)
class Month(Param):
    """A calendar month: `2026-10`, `last` or `this`."""

    @property
    def hint(self) -> str:
        # TRANSLATORS: a usage hint; 2026-10 and the keyword last are typed as they are.
        return _("month e.g. 2026-10|last")

    async def convert(self, ctx: Context, text: str) -> Any:
        return parse_month(text, ctx.now().astimezone(ctx.settings.timezone).date())


@dataclass(frozen=True)
class Tag(Param):
    """A `#tag`, one of fixed choices; only ever the last word of the line."""

    choices: tuple[str, ...] = ()
    optional: bool = field(default=True, kw_only=True)

    def usage(self) -> str:
        return "[" + "|".join(f"#{c}" for c in self.choices) + "]"

    def listed(self) -> str:
        return ", ".join(f"#{c}" for c in self.choices)

    async def convert(self, ctx: Context, text: str) -> Any:
        label = text.removeprefix("#").casefold()
        if not text.startswith("#") or not label:
            raise Mismatch(_("Use one of {tags}.").format(tags=self.listed()))
        if label in self.choices:
            return label
        if difflib.get_close_matches(label, self.choices, n=1, cutoff=0.7):
            raise UsageError(
                _("Unknown tag `{text}`; use one of {tags}.").format(
                    text=text[:40], tags=self.listed()
                ),
                final=True,
            )
        raise Mismatch(
            _("Unknown tag `{text}`; use one of {tags}.").format(text=text[:40], tags=self.listed())
        )

    def stray(self, name: str) -> str | None:
        """A last word that looks like a tag but is none of ours, so it stayed in the name."""
        last = name.rsplit(" ", 1)[-1]
        return last if last.startswith("#") and len(last) > 1 else None


@dataclass(frozen=True)
class Text(Param):
    """Several words, as typed (only trimmed)."""

    max_length: int = MAX_TEXT
    greedy: ClassVar[bool] = True

    def _check(self, text: str) -> str:
        if len(text) > self.max_length:
            raise UsageError(
                _("{name} is too long ({n} characters; at most {most}).").format(
                    name=self.name, n=len(text), most=self.max_length
                )
            )
        return text

    async def convert(self, ctx: Context, text: str) -> Any:
        return self._check(text.strip())


@dataclass(frozen=True)
class Name(Text):
    """A normalised name of a task, role or area."""

    max_length: int = MAX_NAME

    async def convert(self, ctx: Context, text: str) -> Any:
        return self._check(normalise(text))


@dataclass(frozen=True)
class Names(Text):
    """Comma-separated names, each normalised, without repeats."""

    most: int = MAX_AREAS
    max_length: int = MAX_NAME

    def usage(self) -> str:
        word = arg_word(self.name)
        return label_words(self.label) if self.label else f"<{word}>[, <{word}>...]"

    async def convert(self, ctx: Context, text: str) -> Any:
        names: list[str] = []
        for part in text.split(","):
            name = self._check(normalise(part))
            if name and name not in names:
                names.append(name)
        if not names:
            raise UsageError(_("Missing {name}.").format(name=self.name))
        if len(names) > self.most:
            raise UsageError(
                _("At most {most} {name}s at once.").format(most=self.most, name=self.name)
            )
        return names


@dataclass(frozen=True)
class Role(Param):
    """One of the collective's roles, by name: the `Role` record."""

    greedy: ClassVar[bool] = True
    most_words: ClassVar[int | None] = MAX_NAME // 2

    async def convert(self, ctx: Context, text: str) -> Any:
        wanted = normalise(text)
        if "roles" not in ctx.memo:  # one lookup however many readings are tried
            ctx.memo["roles"] = {r.name: r for r in await ensure_roles(ctx)}
        known = ctx.memo["roles"]
        if wanted in known:
            return known[wanted]
        names = ", ".join(sorted(known)) or _("none yet")
        raise UsageError(
            _("There is no role `{role}`. Roles: {roles}.").format(
                role=wanted[:MAX_NAME] or _("(none)"), roles=names
            )
        )


@dataclass(frozen=True)
class Member(Param):
    """A current member: a mention pill, a display name or a user id. A `Mention` that
    does not notify; the handler decides whether to ping."""

    bots: bool = False  # other bots in the room count too
    greedy: ClassVar[bool] = True
    most_words: ClassVar[int | None] = 40  # a display name is at most 255 characters

    @property
    def hint(self) -> str:
        return f"@{arg_word(self.name)}"

    async def convert(self, ctx: Context, text: str) -> Any:
        return await find_member(ctx, text, bots=self.bots)


def _localpart(user_id: str) -> str:
    return names.fold(user_id[1:].split(":", 1)[0])


def _who(mentions: list[Mention]) -> str:
    return ", ".join(f"{m.label} ({m.user_id})" for m in sorted(mentions, key=lambda m: m.user_id))


async def find_member(ctx: Context, text: str, *, bots: bool = False) -> Mention:
    """The member someone meant. A pill (listed in the event's `m.mentions`) settles it; a
    name two members share is refused with both user ids; nothing close names the nearest."""
    wanted = text.strip()
    everyone = await ctx.everyone()  # display names as set, to compare with what was typed
    shown = await ctx.quiet_names()  # as replies show them: alike names with their user ids
    members = {u: m for u, m in everyone.items() if bots or u in shown}

    told = names.shown((u, m.name) for u, m in everyone.items())  # for other bots

    def found_one(m: Mention) -> Mention:
        """As replies show it: alike names (`handlers.names`) with their user ids."""
        return shown.get(m.user_id) or Mention(m.user_id, told.get(m.user_id), ping=False)

    if wanted in members:
        return found_one(members[wanted])
    folded = names.fold(wanted.removeprefix("@"))
    by_name = [m for m in members.values() if folded and names.fold(m.name or "") == folded]
    by_local = [m for m in members.values() if _localpart(m.user_id) == folded]
    for found in (by_name, by_local):
        pilled = [m for m in found if m.user_id in ctx.mentions]
        if len(pilled) == 1 or len(found) == 1:
            return found_one((pilled or found)[0])
        if found:
            raise UsageError(
                _("`{text}` could be any of {who}: write the user id instead.").format(
                    text=wanted[:60], who=_who(found)
                )
            )
    labels = {names.fold(m.name): m for m in members.values() if m.name and names.fold(m.name)}
    labels.update({_localpart(m.user_id): m for m in members.values()})
    close = difflib.get_close_matches(folded, list(labels), n=1, cutoff=0.5)
    if close:
        near = labels[close[0]]
        raise UsageError(
            _("No current member matches `{text}`. Did you mean {name} ({id})?").format(
                text=wanted[:60], name=near.label, id=near.user_id
            )
        )
    raise UsageError(_("No current member matches `{text}`.").format(text=wanted[:60]))
