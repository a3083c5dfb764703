"""Who is a member of the collective: the room's joined users, other bots excluded.

A bot is marked by a member (audited), or taken for one when it has only ever sent
notices; rotation, airtime, go-rounds and meeting summaries then leave it out, and the
bot ignores its commands. Marking someone who has written text in the room silences them,
so it needs a second member (`!second N`, `handlers/seconds.py`), never the one marked;
one who never wrote any (only notices, or nothing) is marked at once. Whoever is marked
can always say they are a person (`!notbot`).
"""

from __future__ import annotations

from typing import Any

from handlers.arguments import Member
from handlers.context import Context, Mention
from handlers.i18n import N_, _
from handlers.registry import Practice
from handlers.seconds import ask_second
from storage import collectives

practice = Practice(N_("Members"), N_("Who counts as a member: other bots in the room do not."))

MARK_BOT = "mark bot"


def _name(member: Mention) -> str:
    """The name as shown, for a reply that adds the user id itself (not twice)."""
    return member.label.removesuffix(f" ({member.user_id})")


@practice.command(
    "bot",
    Member("member", bots=True),
    summary=N_("Mark a user in the room as a bot: left out of rotation, airtime and go-rounds."),
    examples=("!bot @reminders:example.org",),
)
async def mark_bot(ctx: Context, member: Mention) -> None:
    found = await collectives.member(ctx.session, ctx.collective_id, member.user_id)
    if found is not None and found.marked == "bot":
        await ctx.reply(
            _("{m} ({id}) is marked as a bot already. `{p}notbot {id}` undoes it."),
            m=_name(member),
            id=member.user_id,
            p=ctx.prefix,
        )
        return
    if found is not None and found.sent_text and member.user_id != ctx.author:
        await ask_second(
            ctx,
            MARK_BOT,
            {"user": member.user_id},
            _("mark {name} ({id}) as a bot").format(name=_name(member), id=member.user_id),
            about=member.user_id,
            template=_(
                "Request **#{n}** from {who}: {what}. They have written in this room, and the "
                "bot would ignore their commands, so one member's word is not enough: a second "
                "member (not the one to be marked) confirms with `{p}second {n}` before {until}. "
                "Until then nothing changes."
            ),
        )
        return
    await collectives.mark(ctx.session, ctx.collective_id, member.user_id, "bot")
    await ctx.audit("member.marked_bot", members={"user": member.user_id})
    await ctx.reply(
        _(
            "{who} marked {m} ({id}) as a bot: it is left out of rotation, airtime, go-rounds "
            "and meeting summaries. `{p}notbot {id}` undoes it."
        ),
        who=await ctx.mention(ctx.author, ping=False),
        m=_name(member),
        id=member.user_id,
        p=ctx.prefix,
    )


@practice.overwrite(MARK_BOT)
async def carry_out_marking(ctx: Context, payload: dict[str, Any]) -> str:
    """A second member agreed: the user is marked as a bot (if still in the room)."""
    user_id = payload.get("user")
    if not isinstance(user_id, str):  # they asked to be forgotten meanwhile
        return _("the member asked to be forgotten, so nothing changed")
    found = await collectives.member(ctx.session, ctx.collective_id, user_id)
    if found is None or not found.joined:
        return _("{id} is no longer in the room, so nothing changed").format(id=user_id)
    label = (await ctx.everyone()).get(user_id, Mention(user_id)).label
    await collectives.mark(ctx.session, ctx.collective_id, user_id, "bot")
    return _(
        "{name} ({id}) is marked as a bot: left out of rotation, airtime, go-rounds and "
        "meeting summaries, and its commands are ignored except {p}notbot"
    ).format(name=label, id=user_id, p=ctx.prefix)


@practice.command(
    "notbot",
    Member("member", bots=True, optional=True),
    summary=N_(
        "Mark a user (or, with no name, yourself) as a person, not a bot: anyone marked "
        "as a bot can always do this about themselves."
    ),
    examples=("!notbot @ana:example.org", "!notbot"),
    from_bots=True,
)
async def mark_human(ctx: Context, member: Mention | None) -> None:
    if member is None:
        member = (await ctx.everyone()).get(ctx.author) or Mention(ctx.author, ping=False)
    if member.user_id != ctx.author and await collectives.is_bot(
        ctx.session, ctx.collective_id, ctx.author
    ):
        return  # one taken for a bot speaks only for itself; its other commands are ignored
    await collectives.mark(ctx.session, ctx.collective_id, member.user_id, "human")
    await ctx.audit("member.marked_person", members={"user": member.user_id})
    await ctx.reply(
        _("{who} marked {m} ({id}) as a person and a member, not a bot."),
        who=await ctx.mention(ctx.author, ping=False),
        m=_name(member),
        id=member.user_id,
    )
