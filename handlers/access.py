"""The access register: who holds access to which of the collective's resources (the bank
account, the domain registrar, the space's keys, the Instagram account), so access is
shared on purpose and nobody is locked out when one member leaves.

A resource with one holder is a single point of access; `!spof` names it beside single
points of knowledge. The register keeps names and member ids, never the access itself: a
line that looks like a password, a key, a token, a card number or an IBAN is refused
before anything of it is read further, and the refusal does not repeat it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, ClassVar

from handlers import names
from handlers.arguments import MAX_NAME, Param, find_member, normalise
from handlers.context import Context, Mention, Rows
from handlers.errors import UsageError
from handlers.i18n import N_, _, ngettext
from handlers.registry import Practice
from storage import access

LIST_LIMIT = 60
MAX_HOLDERS = 10
HOLDER_WORDS = 12  # words one holder's name may take

practice = Practice(
    N_("Access"),
    N_("Who holds access to what (accounts, keys, registrars): never the access itself."),
)

# What a refused line looked like, for the reply (never the line itself).
KIND_PASSWORD = N_("a password or PIN")
KIND_KEY = N_("a key")
KIND_TOKEN = N_("a token or a generated password")
KIND_CARD = N_("a card number")
KIND_IBAN = N_("an IBAN")
KIND_URL = N_("a web address with a password in it")

_KEY_MARKERS = ("-----begin", "begin openssh", "ssh-rsa", "ssh-ed25519", "ssh-dss", "ecdsa-sha2-")
_LABELLED = re.compile(
    r"\b(?:passwor[dt]|passwd|passcode|passphrase|pass|pw|pwd|pin|secret|token|"
    r"api[ _-]?key|key|login|code)\s*(?:[:=]|\bis\b)\s*\S",
    re.IGNORECASE,
)
_DIGITS_AFTER = re.compile(r"\b(?:pin|code|pw|pwd|passwor[dt])\s*#?\s*\d{3,}", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/@:]+:[^\s/@]+@", re.IGNORECASE)
_IBAN = re.compile(r"\b[a-z]{2}\d{2}(?:\s?[a-z0-9]){10,30}\b", re.IGNORECASE)
_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_USER_ID = re.compile(r"^@[^\s:]+:[a-z0-9.-]+(?::\d+)?[,;:]?$", re.IGNORECASE)  # a holder
_COMMON_PUNCTUATION = set("'’‘-–.,&()/:!?\"“”")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _varied(word: str) -> bool:
    """A word that reads like a generated secret: long and mixed letters and digits, or
    several kinds of characters, or many different ones."""
    letters = any(c.isalpha() for c in word)
    digits = any(c.isdigit() for c in word)
    if len(word) >= 12 and letters and digits:
        return True
    kinds = [
        any(c.islower() for c in word),
        any(c.isupper() for c in word),
        digits,
        any(not c.isalnum() and c not in _COMMON_PUNCTUATION for c in word),
    ]
    if len(word) >= 8 and sum(kinds) >= 3 and (kinds[2] or kinds[3]):
        return True
    return len(word) >= 20 and len(set(word.casefold())) >= 15


def secret_kind(text: str) -> str | None:
    """What a line looks like when it looks like a secret (an `N_` phrase), else None.
    Invisible characters are dropped and look-alike forms (full-width digits) folded
    first, so they cannot hide one."""
    folded = unicodedata.normalize("NFKC", text)
    plain = "".join(c for c in folded if unicodedata.category(c) not in ("Cf", "Cc"))
    lowered = plain.casefold()
    if any(marker in lowered for marker in _KEY_MARKERS):
        return KIND_KEY
    if _URL_CREDENTIALS.search(plain):
        return KIND_URL
    if _LABELLED.search(plain) or _DIGITS_AFTER.search(plain):
        return KIND_PASSWORD
    for found in _IBAN.finditer(plain):
        if sum(c.isdigit() for c in found.group()) >= 10:
            return KIND_IBAN
    for found in _CARD.finditer(plain):
        digits = re.sub(r"\D", "", found.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            return KIND_CARD
    if any(_varied(word) for word in plain.split() if not _USER_ID.match(word)):
        return KIND_TOKEN
    return None


def refuse_secrets(ctx: Context, text: str) -> None:
    """Refuse a line that looks like a secret, saying why but not what it said."""
    kind = secret_kind(text)
    if kind is None:
        return
    raise UsageError(
        _(
            "That looks like {kind}, so nothing of it was kept: the register records who "
            "holds access, never the access itself. Name the resource in plain words, e.g. "
            "`{p}access add bank account`. If it was a real secret, delete your message and "
            "change the secret: the room keeps what was sent."
        ).format(kind=_(kind), p=ctx.prefix),
        final=True,
    )


def _resource(text: str) -> str:
    name = normalise(text)
    if not name:
        raise UsageError(_("Missing resource: name it in visible words."), final=True)
    if len(name) > MAX_NAME:
        raise UsageError(
            _("resource is too long ({n} characters; at most {most}).").format(
                n=len(name), most=MAX_NAME
            ),
            final=True,
        )
    return name


async def _lookup(ctx: Context) -> dict[str, set[str]]:
    """Every way a current member may be named (display name, user id, its local part),
    folded, to the user ids it names."""
    table: dict[str, set[str]] = {}
    everyone = await ctx.everyone()
    for user_id, mention in (await ctx.quiet_names()).items():
        shown = everyone[user_id].name if user_id in everyone else mention.name
        keys = {names.fold(user_id), names.fold(user_id[1:].split(":", 1)[0])}
        if shown:
            keys.add(names.fold(shown))
        for key in keys - {""}:
            table.setdefault(key, set()).add(user_id)
    return table


def _key(chunk: str) -> str:
    """How a typed holder is looked up: a user id whole, a name without its `@`."""
    return names.fold(chunk if ":" in chunk else chunk.removeprefix("@"))


def _holder_chunks(ctx: Context, words: list[str], table: dict[str, set[str]]) -> list[str] | None:
    """Split words into holders: each an `@name`, a user id, or a name the message
    mentions (a pill); None when they do not split so."""
    n = len(words)
    best: list[list[str] | None] = [None] * n + [[]]
    for i in range(n - 1, -1, -1):
        for j in range(i + 1, min(n, i + HOLDER_WORDS) + 1):
            rest = best[j]
            if rest is None:
                continue
            chunk = " ".join(words[i:j]).strip(",;:")
            found = table.get(_key(chunk), set())
            if found and (chunk.startswith("@") or found & set(ctx.mentions)):
                best[i] = [chunk, *rest]
                break
    return best[0]


@dataclass(frozen=True)
class ResourceAndHolders(Param):
    """`<resource> [@holder ...]`: a resource's name and the members it is about (none
    given: the sender). Checked for secrets before anything else."""

    greedy: ClassVar[bool] = True

    def usage(self) -> str:
        return self.label or "<resource> [@holder ...]"

    async def convert(self, ctx: Context, text: str) -> Any:
        table = await _lookup(ctx)
        # An `@name` of a current member is a holder, however random their name looks.
        named = [w for w in text.split() if w.startswith("@") and _key(w.strip(",;:")) in table]
        refuse_secrets(ctx, " ".join(w for w in text.split() if w not in named))
        words = [w for w in text.split() if w.strip(",;:")]
        ats = [i for i, w in enumerate(words) if w.startswith("@")]
        last = ats[0] if ats else len(words)
        for k in range(1, last + 1):
            chunks = [] if k == len(words) else _holder_chunks(ctx, words[k:], table)
            if chunks is not None:
                return _resource(" ".join(words[:k])), await _members(ctx, chunks)
        if last == 0:
            raise UsageError(_("Missing resource: name it before the holders."), final=True)
        # Words from the first `@` on did not read as members: say which did not.
        pieces: list[list[str]] = []
        for word in words[last:]:
            if word.startswith("@") or not pieces:
                pieces.append([])
            pieces[-1].append(word)
        for piece in pieces:
            await find_member(ctx, " ".join(piece).strip(",;:"))
        raise UsageError(
            _("The holders must be members, each written `@name` or mentioned."), final=True
        )


async def _members(ctx: Context, chunks: list[str]) -> list[Mention]:
    found: list[Mention] = []
    for chunk in chunks:
        member = await find_member(ctx, chunk)
        if member.user_id not in {m.user_id for m in found}:
            found.append(member)
    if len(found) > MAX_HOLDERS:
        raise UsageError(_("At most {most} holders at once.").format(most=MAX_HOLDERS), final=True)
    return found


@dataclass(frozen=True)
class Resource(Param):
    """A resource's name, checked for secrets first."""

    greedy: ClassVar[bool] = True

    async def convert(self, ctx: Context, text: str) -> Any:
        refuse_secrets(ctx, text)
        return _resource(text)


def _label(names_now: dict[str, Mention], user_id: str) -> str:
    if user_id in names_now:
        return names_now[user_id].label
    return _("{id} (left the room)").format(id=user_id)


def _holders(names_now: dict[str, Mention], users: list[str]) -> Rows:
    """Members by name, in name order (a register, not a ranking); those who left last."""
    ordered = sorted(users, key=lambda u: (u not in names_now, _label(names_now, u).casefold()))
    return Rows("{item}", [_label(names_now, u) for u in ordered], sep=", ")


EXAMPLES = ("!access add bank account", "!access add domain registrar @alex @sam")


@practice.command(
    "access add",
    ResourceAndHolders("resource"),
    summary=N_("Record who holds access to a resource (you, unless you name members)."),
    examples=EXAMPLES,
)
async def access_add(ctx: Context, resource: tuple[str, list[Mention]]) -> None:
    name, given = resource
    holders = given or [await ctx.mention(ctx.author, ping=False)]
    added = []
    for holder in holders:
        if await access.add(
            ctx.session, ctx.collective_id, name, holder.user_id, ctx.author, ctx.now()
        ):
            added.append(holder)
    if added:
        await ctx.audit(
            "access.added",
            members={f"holders.{i}": m.user_id for i, m in enumerate(added)},
            resource=name,
            n=len(added),
        )
    names_now = await ctx.quiet_names()
    held = await access.holders(ctx.session, ctx.collective_id, name)
    lines = [
        ngettext(
            "Noted: **{resource}** has {n} holder: {holders}.",
            "Noted: **{resource}** has {n} holders: {holders}.",
            len(held),
        )
    ]
    if len(added) < len(holders):
        lines.append(_("(Already listed: {already}.)"))
    if len(held) == 1:
        lines.append(
            _(
                "⚠ **Single point of access**: who else should hold it? "
                "`{p}access add {resource} @someone`."
            )
        )
    lines.append(_("Never post the password itself here."))
    already = [_label(names_now, m.user_id) for m in holders if m not in added]
    await ctx.reply(
        " ".join(lines),
        resource=name,
        n=len(held),
        holders=_holders(names_now, held),
        already=Rows("{item}", already, sep=", "),
        p=ctx.prefix,
    )


@practice.command(
    "access drop",
    ResourceAndHolders("resource"),
    summary=N_("Record that members (you, unless named) no longer hold access to a resource."),
    examples=("!access drop bank account", "!access drop instagram @sam"),
)
async def access_drop(ctx: Context, resource: tuple[str, list[Mention]]) -> None:
    name, given = resource
    holders = given or [await ctx.mention(ctx.author, ping=False)]
    dropped = [
        m for m in holders if await access.drop(ctx.session, ctx.collective_id, name, m.user_id)
    ]
    names_now = await ctx.quiet_names()
    if not dropped:
        await ctx.reply(
            _("Nobody named was listed for **{resource}**; nothing changed."), resource=name
        )
        return
    await ctx.audit(
        "access.dropped",
        members={f"holders.{i}": m.user_id for i, m in enumerate(dropped)},
        resource=name,
        n=len(dropped),
    )
    held = await access.holders(ctx.session, ctx.collective_id, name)
    dropped_names = Rows("{item}", [_label(names_now, m.user_id) for m in dropped], sep=", ")
    if not held:
        template = _(
            "Removed {dropped}: **{resource}** has no holder listed now. Whoever holds it: "
            "`{p}access add {resource}`."
        )
    elif len(held) == 1:
        template = _(
            "Removed {dropped}. ⚠ **Single point of access**: only {holders} holds "
            "**{resource}** now."
        )
    else:
        template = _("Removed {dropped}. **{resource}** is held by {holders}.")
    await ctx.reply(
        template,
        dropped=dropped_names,
        resource=name,
        holders=_holders(names_now, held),
        p=ctx.prefix,
    )


@practice.command(
    "access",
    Resource("resource", optional=True),
    summary=N_("The access register: each resource and who holds it; single holders flagged."),
    examples=("!access", "!access bank account"),
    read_only=True,
)
async def access_register(ctx: Context, resource: str | None) -> None:
    held = await access.register(ctx.session, ctx.collective_id)
    names_now = await ctx.quiet_names()
    if resource is not None:
        users = held.get(resource, [])
        if not users:
            template = _(
                "Nobody is listed for **{resource}**. Whoever holds it: `{p}access add {resource}`."
            )
        elif len(users) == 1:
            template = _("**{resource}**: {holders}. ⚠ **Single point of access**.")
        else:
            template = _("**{resource}**: {holders}.")
        await ctx.reply(
            template, resource=resource, holders=_holders(names_now, users), p=ctx.prefix
        )
        return
    if not held:
        await ctx.reply(
            _(
                "The access register is empty. Record who holds access to something with "
                "`{p}access add <resource> [@holder ...]`: its name only, never a password."
            ),
            p=ctx.prefix,
        )
        return
    rows = [
        {
            "resource": r,
            "holders": _holders(names_now, users),
            "flag": _(" ⚠ single point of access") if len(users) == 1 else "",
        }
        for r, users in held.items()
    ]
    single = sum(1 for users in held.values() if len(users) == 1)
    await ctx.reply(
        ngettext(
            "**Access register** ({n} resource, {single} with a single holder)",
            "**Access register** ({n} resources, {single} with a single holder)",
            len(held),
        )
        + "\n{rows}\n"
        + _("Share one: `{p}access add <resource> @someone`. Names only, never passwords."),
        n=len(held),
        single=single,
        rows=Rows(_("- **{resource}**: {holders}{flag}"), rows, limit=LIST_LIMIT),
        p=ctx.prefix,
    )


async def spof_section(ctx: Context) -> tuple[str, dict[str, object]] | None:
    """The single points of access, for `!spof` (handlers/knowledge.py): a template to
    append and its values, or None when there are none."""
    singles = await access.single_holders(ctx.session, ctx.collective_id)
    if not singles:
        return None
    names_now = await ctx.quiet_names()
    rows = [{"resource": r, "holder": _label(names_now, u)} for r, u in singles]
    template = (
        _("**Resources with a single holder** ({access_n}): single points of access")
        + "\n{access_rows}\n"
        + _("Share one: `{p}access add {access_example} @someone`.")
    )
    return template, {
        "access_n": len(singles),
        "access_rows": Rows(
            _("- **{resource}**: only {holder} holds access"), rows, limit=LIST_LIMIT
        ),
        "access_example": singles[0][0],
    }
