"""Who is a member of the collective: the room's joined users, other bots excluded.

A bot is marked by any member (audited), or taken for one when it has only ever sent
notices; rotation, airtime, go-rounds and meeting summaries then leave it out.
"""

from __future__ import annotations

from handlers.arguments import Member
from handlers.context import Context, Mention
from handlers.registry import Practice
from storage import collectives

practice = Practice("Members", "Who counts as a member: other bots in the room do not.")


@practice.command(
    "bot",
    Member("member", bots=True),
    summary="Mark a user in the room as a bot: left out of rotation, airtime and go-rounds.",
    examples=("!bot @reminders:example.org",),
)
async def mark_bot(ctx: Context, member: Mention) -> None:
    await collectives.mark(ctx.session, ctx.collective_id, member.user_id, "bot")
    await ctx.audit("marked as a bot", member.user_id)
    await ctx.reply(
        "{who} marked {m} ({id}) as a bot: it is left out of rotation, airtime, go-rounds and "
        "meeting summaries. `{p}notbot {id}` undoes it.",
        who=await ctx.mention(ctx.author, ping=False),
        m=member.label,
        id=member.user_id,
        p=ctx.prefix,
    )


@practice.command(
    "notbot",
    Member("member", bots=True),
    summary="Mark a user as a person, not a bot (for one who only ever sent notices).",
    examples=("!notbot @ana:example.org",),
)
async def mark_human(ctx: Context, member: Mention) -> None:
    await collectives.mark(ctx.session, ctx.collective_id, member.user_id, "human")
    await ctx.audit("marked as a person", member.user_id)
    await ctx.reply(
        "{who} marked {m} ({id}) as a person and a member, not a bot.",
        who=await ctx.mention(ctx.author, ping=False),
        m=member.label,
        id=member.user_id,
    )
