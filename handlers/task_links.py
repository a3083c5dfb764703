"""What a labour line can say after the task's name: `with @a @b` (joint work, one ledger
entry for each person) and `for #N` (the decision the task carries out), in either order,
before an optional `#kind` tag:

    !task done flyers with @bob @carol for #4 #care
    !task add book the hall for #4

`with` counts only when every word after it names a current member (display names,
user ids, `@localpart`, separated by spaces, commas or "and"); otherwise the words stay
part of the task's name, and when one of them starts with `@` the member is told who
was not found instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from handlers import names
from handlers.arguments import Name, find_member, normalise
from handlers.context import FORMER, Context, Mention
from handlers.errors import UsageError
from handlers.i18n import _
from storage import decisions
from storage.models import Decision

MAX_PARTNERS = 10
MAX_WITH_WORDS = 30  # past this, `with ...` is taken as part of a (too long) name
MAX_NAME_WORDS = 6  # the longest display name tried as one person
_NUMBER = re.compile(r"#[0-9]{1,9}")
_AND = ("and", "&")


@dataclass(frozen=True)
class TaskLine:
    """A task's name and what followed it."""

    name: str
    partners: tuple[Mention, ...] = ()
    decision: int | None = None  # the #N typed, not yet looked up
    unmatched: str | None = None  # `with ...` words that named no member, kept in the name


def together(labels: list[str]) -> str:
    """`Alice`, `Alice and Bob`, `Alice, Bob and Carol`."""
    if len(labels) < 2:
        return "".join(labels)
    return _("{names} and {last}").format(names=", ".join(labels[:-1]), last=labels[-1])


async def _bot_named(ctx: Context, text: str) -> str | None:
    """The name of the other bot `text` names, if it names one."""
    wanted = names.fold(text.strip().removeprefix("@"))
    if not wanted:
        return None
    members = await ctx.quiet_names()
    for user_id, m in (await ctx.everyone()).items():
        if user_id in members:
            continue
        local = names.fold(user_id[1:].split(":", 1)[0])
        if text.strip() == user_id or wanted in (local, names.fold(m.name or "")):
            return m.label
    return None


async def _one(ctx: Context, text: str) -> Mention | None:
    memo: dict[str, Mention | None] = ctx.memo.setdefault("partners", {})
    if text not in memo:
        try:
            memo[text] = await find_member(ctx, text)
        except UsageError:
            memo[text] = None
    return memo[text]


async def partners(ctx: Context, words: list[str]) -> list[Mention]:
    """The members the words name, each once, the sender left out; or a UsageError saying
    which word names nobody (or names a bot)."""
    found: dict[str, Mention] = {}
    for chunk in " ".join(words).split(","):
        part = chunk.split()
        at = 0
        while at < len(part):
            for width in range(min(len(part) - at, MAX_NAME_WORDS), 0, -1):
                member = await _one(ctx, " ".join(part[at : at + width]))
                if member is not None:
                    found.setdefault(member.user_id, member)
                    at += width
                    break
            else:
                if part[at].casefold() in _AND:
                    at += 1
                    continue
                bot = await _bot_named(ctx, part[at])
                if bot is not None:
                    raise UsageError(
                        _("{name} is a bot: only members can share work.").format(name=bot[:60]),
                        final=True,
                    )
                await find_member(ctx, part[at])  # raises, saying what was not found
                raise UsageError(_("No current member matches `{text}`.").format(text=part[at]))
    found.pop(ctx.author, None)
    if len(found) > MAX_PARTNERS:
        raise UsageError(
            _("At most {most} people can share one piece of work.").format(most=MAX_PARTNERS),
            final=True,
        )
    return list(found.values())


@dataclass(frozen=True)
class TaskWords(Name):
    """A task's name, then `with @a @b` (when `joint`) and `for #N`, in either order."""

    joint: bool = True

    def usage(self) -> str:
        if self.label:
            return self.label
        if self.joint:
            return f"<{self.name}> [with @member ...] [for #N]"
        return f"<{self.name}> [for #N]"

    async def convert(self, ctx: Context, text: str) -> Any:
        words = text.split()
        decision: int | None = None
        shared: list[Mention] = []
        unmatched: str | None = None
        took_for, took_with = False, not self.joint
        changed = True
        while changed:
            changed = False
            if (
                not took_for
                and len(words) >= 2
                and words[-2].casefold() == "for"
                and _NUMBER.fullmatch(words[-1])
            ):
                decision, words = int(words[-1][1:]), words[:-2]
                took_for = changed = True
            at = max((i for i, w in enumerate(words) if w.casefold() == "with"), default=-1)
            if took_with or at < 0 or not 0 < len(words) - at - 1 <= MAX_WITH_WORDS:
                continue
            clause = words[at + 1 :]
            took_with = True
            try:
                shared = await partners(ctx, clause)
            except UsageError as error:
                if error.final or any(w.startswith("@") for w in clause):
                    error.final = True
                    raise
                unmatched = " ".join(words[at:])
                continue
            words, changed = words[:at], True
        name = self._check(normalise(" ".join(words)))
        if not name:
            raise UsageError(_("Missing {name}.").format(name=self.name))
        return TaskLine(name, tuple(shared), decision, unmatched)


def unmatched_note(line: TaskLine) -> str:
    """A `with ...` that named nobody stayed in the name: say so (with a leading space)."""
    if not line.unmatched:
        return ""
    return " " + _(
        "(`{words}` names no current member, so it is part of the name; "
        "write `with @name` for joint work.)"
    ).format(words=line.unmatched[:60])


async def decision_for(ctx: Context, line: TaskLine) -> tuple[bool, Decision | None]:
    """The decision `for #N` names: (True, it) or (True, None) when none was named;
    (False, None) after telling the member that #N does not exist."""
    if line.decision is None:
        return True, None
    found = await decisions.by_number(ctx.session, ctx.collective_id, line.decision)
    if found is None:
        await ctx.reply(
            _(
                "There is no proposal or decision #{n} to tie **{name}** to. "
                "`{p}decisions` lists them."
            ),
            n=line.decision,
            name=line.name,
            p=ctx.prefix,
        )
        return False, None
    return True, found


def labels(shown: dict[str, Mention], user_ids: list[str | None]) -> list[str]:
    """How the people of a piece of joint work are named (a former member as such)."""
    return [(shown[u].label if u in shown else u) if u is not None else _(FORMER) for u in user_ids]
