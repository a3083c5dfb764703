"""From a command line to a handler: lookup, parsing, usage errors, and the apology on a crash."""

from __future__ import annotations

import logging

from handlers.context import Context
from handlers.registry import Registry, UsageError

log = logging.getLogger(__name__)

APOLOGY = (
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
            await ctx.reply("Type `{p}help` to see the commands.", p=prefix)
        elif match.group:
            usages = "\n".join(f"- `{{u{i}}}`" for i in range(len(match.group)))
            values: dict[str, object] = {
                f"u{i}": c.usage(prefix) for i, c in enumerate(match.group)
            }
            sub = match.rest.split(None, 1)[0][:40] if match.rest.strip() else ""
            lead = "Unknown `{p}{w}` subcommand `{s}`." if sub else "`{p}{w}` needs a subcommand."
            await ctx.reply(f"{lead} Use one of:\n{usages}", p=prefix, w=word, s=sub, **values)
        else:
            hint = registry.suggest(word)
            if hint:
                await ctx.reply(
                    "Unknown command `{p}{w}`. Did you mean `{p}{h}`?",
                    p=prefix,
                    w=word[:40],
                    h=hint,
                )
            else:
                await ctx.reply(
                    "Unknown command `{p}{w}`. Type `{p}help` to see the commands.",
                    p=prefix,
                    w=word[:40],
                )
        return
    if ctx.is_direct and not cmd.direct_ok:
        await ctx.reply("`{p}{c}` works in the collective's room, not here.", p=prefix, c=cmd.name)
        return
    try:
        kwargs = cmd.parse(match.rest)
    except UsageError as exc:
        await ctx.reply("{error} Usage: `{usage}`", error=str(exc), usage=cmd.usage(prefix))
        return
    try:
        async with ctx.session.begin_nested():
            await cmd.handler(ctx, **kwargs)
    except UsageError as exc:  # input found wrong only once looked up (a date, a member)
        await ctx.reply("{error} Usage: `{usage}`", error=str(exc), usage=cmd.usage(prefix))
    except Exception:
        log.exception("command %r failed on event %s in %s", cmd.name, ctx.event_id, ctx.room_id)
        await ctx.reply(APOLOGY, line=f"{prefix}{cmd.name}")
