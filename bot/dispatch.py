"""From a command line to a handler: lookup, parsing, usage errors, and the apology on a crash."""

from __future__ import annotations

import logging

from bot.outgoing import QueuedOutgoing
from handlers.context import Context, Rows
from handlers.errors import UsageError
from handlers.i18n import N_, _
from handlers.registry import Command, Registry
from storage.engine import refuses_writes

log = logging.getLogger(__name__)

APOLOGY = N_(
    "Sorry, something went wrong while handling `{line}`. Nothing was changed. "
    "The error was logged for whoever runs the bot."
)


async def dispatch(ctx: Context, registry: Registry, line: str) -> None:
    """Run one command; every outcome, including failure, is an answer."""
    prefix = ctx.prefix
    line = line.strip()
    match = registry.find(line)
    word = line.split(None, 1)[0].casefold() if line else ""
    cmd = match.command
    if cmd is None:
        if not word:
            await ctx.reply(_("Type `{p}help` to see the commands."), p=prefix)
        elif match.group:
            sub = match.rest.split(None, 1)[0][:40] if match.rest.strip() else ""
            hint = registry.suggest_sub(word, sub) if sub else None
            if hint:
                await ctx.reply(
                    _("Unknown `{p}{w}` subcommand `{s}`. Did you mean `{p}{h}`?"),
                    p=prefix, w=word, s=sub, h=hint,
                )  # fmt: skip
                return
            lead = (
                _("Unknown `{p}{w}` subcommand `{s}`. Use one of:\n{usages}")
                if sub
                else _("`{p}{w}` needs a subcommand. Use one of:\n{usages}")
            )
            usages = Rows("- `{item}`", [c.usage(prefix) for c in match.group])
            await ctx.reply(lead, p=prefix, w=word, s=sub, usages=usages)
        else:
            template, values = registry.unknown(word, prefix)
            await ctx.reply(template, **values)
        return
    if ctx.is_direct and not cmd.direct_ok:
        await ctx.reply(
            _("`{p}{c}` works in the collective's room, not here."), p=prefix, c=cmd.name
        )
        return
    # A command that changes nothing is answered before the batch commits (`bot/sender.py`).
    early = ctx.outgoing if isinstance(ctx.outgoing, QueuedOutgoing) else None
    if early is not None and cmd.read_only and not ctx.is_direct:
        early.hold()
    try:
        await _run(ctx, cmd, match.rest)
    finally:
        if early is not None:
            early.release()


async def _run(ctx: Context, cmd: Command, rest: str) -> None:
    prefix = ctx.prefix
    try:
        async with ctx.session.begin_nested():
            kwargs = await cmd.parse(ctx, rest)
            await cmd.handler(ctx, **kwargs)
    except UsageError as exc:
        await ctx.reply(_("{error} Usage: `{usage}`"), error=str(exc), usage=cmd.usage(prefix))
    except Exception as exc:
        if refuses_writes(exc):
            raise  # the host's, not the command's: the whole batch waits for writes
        log.exception("command %r failed on event %s in %s", cmd.name, ctx.event_id, ctx.room_id)
        await ctx.reply(_(APOLOGY), line=f"{prefix}{cmd.name}")
