"""Hidden answers (`[decisions] answers = "hidden"`, kept by each proposal when it opens):
members answer in their direct chat with the bot, the room sees only the counts until the
proposal closes, then who said what, as with any proposal.

An answer typed in the room to a hidden proposal is not taken, and the reply does not repeat
it; the member gets a direct message saying how to answer there. In the direct chat,
`!agree 3` is for the member's one group with a hidden proposal #3 open (or, when several
have one, the group `!for` chose)."""

from __future__ import annotations

from handlers.context import Context
from handlers.i18n import _
from storage import collectives, decisions, direct
from storage.decisions import PROPOSAL
from storage.models import Decision


async def refuse_in_room(ctx: Context, found: Decision) -> None:
    """The answer stays untaken; the room hears only where to answer, not what was said."""
    await ctx.reply(
        _(
            "Proposal #{n} takes its answers in private: answer in your direct chat with me "
            "(I sent you a message there). Nothing was recorded here."
        ),
        n=found.number,
    )
    await ctx.dm(
        ctx.author,
        _(
            "Proposal #{n} ({group}) takes its answers here, in private: `{p}agree {n}`, "
            "`{p}abstain {n} [reason]`, `{p}object {n} <reason>` or `{p}block {n} <reason>`. "
            "The room sees only the counts until it closes; then who said what."
        ),
        n=found.number,
        group=ctx.collective.name or ctx.collective.room_id,
        p=ctx.prefix,
    )


async def in_direct_chat(ctx: Context, number: int) -> tuple[Context, Decision] | None:
    """The group and hidden proposal #`number` a direct-chat answer is for, with a context
    of that group answering back here; None after telling the member why there is none."""
    mine = await collectives.memberships(ctx.session, ctx.author, ctx.runtime.user_id)
    found = []
    for collective in mine:
        d = await decisions.by_number(ctx.session, collective.id, number)
        if d is not None and d.kind == PROPOSAL and d.status == "open" and d.hidden:
            found.append((collective, d))
    if not found or ctx.elsewhere is None:
        await ctx.reply(
            _(
                "None of your groups has an open proposal #{n} answered in private. Other "
                "proposals are answered in the group's room."
            ),
            n=number,
        )
        return None
    if len(found) > 1:
        chat = await direct.chat(ctx.session, ctx.author, ctx.runtime.user_id)
        focus = chat.focus_collective_id if chat else None
        chosen = [(c, d) for c, d in found if c.id == focus]
        if not chosen:
            names = [c.name or c.room_id for c, _d in found]
            await ctx.reply(
                _(
                    "More than one of your groups has an open proposal #{n}: {groups}. Nothing "
                    "was recorded. Say which group your answers here are for with `{p}for "
                    "<group>`, then answer again."
                ),
                n=number,
                groups=", ".join(names),
                p=ctx.prefix,
            )
            return None
        found = chosen
    [(collective, d)] = found[:1]
    return ctx.elsewhere(collective), d
