"""The two-member rule: erasing or overriding a shared record is only requested by one member
and carried out when another answers `!second N` within 24 hours; both names go into the
audit log, and a request that lapses says so in the room once.

A practice declares each such operation with `@practice.overwrite("delete note")` and asks
for it with `ask_second(ctx, "delete note", {...}, "delete note #3")`.
"""

from __future__ import annotations

from typing import Any

from handlers.arguments import Number
from handlers.audit_actions import request as request_words
from handlers.context import Context
from handlers.i18n import N_, _
from handlers.registry import Practice
from storage import seconds

# `ctx.memo` key: while an overwrite is carried out, the member who asked for it.
ASKER = "second.asker"

practice = Practice(
    N_("Two-member rule"), N_("Erasing or overriding a shared record waits for a second member.")
)


async def ask_second(
    ctx: Context,
    action: str,
    payload: dict[str, Any],
    what: str,
    *,
    about: str | None = None,
    template: str | None = None,
) -> None:
    """Record the request and tell the room how a second member confirms it.

    `about`: the member the request acts against, who cannot be its second member either.
    `template`: the reply (translated by the caller), when the usual one does not say why;
    it gets the same values (`n`, `who`, `what`, `p`, `until`). `what` is shown as given:
    the caller words it in the current language."""
    if about is not None:
        payload = {**payload, seconds.ABOUT: about}
    request = await seconds.create(
        ctx.session, ctx.collective_id, action, payload, ctx.author, ctx.now()
    )
    await ctx.audit("second.asked", number=request.number, request=action)
    await ctx.reply(
        template
        or _(
            "Request **#{n}** from {who}: {what}. It changes a shared record, so it waits for "
            "a second member: `{p}second {n}` before {until}."
        ),
        n=request.number,
        who=await ctx.mention(ctx.author, ping=False),
        what=what,
        p=ctx.prefix,
        until=ctx.time(request.expires_at),
    )


@practice.command(
    "second",
    Number("request"),
    summary=N_("Confirm another member's request to erase or override a shared record."),
    examples=("!second 3",),
)
async def second(ctx: Context, request: int) -> None:
    found = await seconds.by_number(ctx.session, ctx.collective_id, request)
    if found is None:
        await ctx.reply(_("There is no request #{n}."), n=request)
        return
    state = seconds.state(found, ctx.now())
    if state != "pending":
        await ctx.reply(
            _("Request #{n} ({what}) has been carried out already; nothing changed.")
            if state == "carried out"
            else _("Request #{n} ({what}) has lapsed; nothing changed."),
            n=request,
            what=request_words(found.action),
        )
        return
    if found.requested_by == ctx.author:
        await ctx.reply(
            _("{who} asked for request #{n}, so another member has to second it."),
            who=await ctx.mention(ctx.author, ping=False),
            n=request,
        )
        return
    if seconds.payload(found).get(seconds.ABOUT) == ctx.author:
        await ctx.reply(
            _(
                "Request #{n} is about {who}, so a member other than {who} and the one who "
                "asked has to second it."
            ),
            who=await ctx.mention(ctx.author, ping=False),
            n=request,
        )
        return
    carry = ctx.runtime.registry.overwrites[found.action]
    await seconds.mark_seconded(ctx.session, found, ctx.author, ctx.now())
    ctx.memo[ASKER] = found.requested_by  # an overwrite that records both members reads it
    done = await carry(ctx, seconds.payload(found))
    await seconds.mark_carried_out(ctx.session, found, ctx.now())
    asker = found.requested_by
    await ctx.audit("second.done", members={"asker": asker}, number=request, request=found.action)
    await ctx.reply(
        _("{who} seconded request #{n} from {asker}: {done}."),
        who=await ctx.mention(ctx.author, ping=False),
        n=request,
        asker=await ctx.mention(asker, ping=False),
        done=done,
    )


@practice.job("second-lapse", lambda settings: "0 * * * *")
async def announce_lapsed(ctx: Context) -> None:
    """Hourly: each request whose 24 hours ran out unseconded is announced once."""
    for request in await seconds.lapsed_unannounced(ctx.session, ctx.now(), ctx.collective_id):
        await seconds.mark_lapsed(ctx.session, request, ctx.now())
        await ctx.audit(
            "second.lapsed", automatic=True, number=request.number, request=request.action
        )
        await ctx.say(
            _(
                "Request #{n} ({what}) lapsed: nobody seconded it within 24 hours, so nothing "
                "changed. Ask again if it is still wanted."
            ),
            n=request.number,
            what=request_words(request.action),
        )
