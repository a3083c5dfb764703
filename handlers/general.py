"""General commands: help, liveness, the privacy statement and the audit log."""

from __future__ import annotations

from handlers.arguments import Number, Text
from handlers.context import Context, Rows
from handlers.registry import Command, Practice
from storage import audit

practice = Practice("General", "Help, liveness and what the bot keeps.")

PRIVACY = (
    "**What Flattening keeps, in plain words**\n"
    "- It counts how many messages and words each member sends here, per day. "
    "It never stores what you write.\n"
    "- It keeps what you give it in commands: tasks, roles and their hand-over notes, "
    "knowledge areas, absences, the speaking stack, and a log of who changed what.\n"
    "- It never counts what you write to it in a direct chat.\n"
    "- The numbers are mirrors for the group, not scores for people."
)

INTRO = (
    "Hello! I'm **Flattening**, a helper for keeping power shared in this group. "
    "I keep a labour ledger, rotate roles fairly, map who knows what, run a fair speaking "
    "stack in meetings, and hold up mirrors (who talks, who works, who holds power) for "
    "your reflection.\n\n" + PRIVACY + "\n\nEvery member has the same commands; there is no admin. "
    "Type `{prefix}help` to see them."
)


def _ago(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


@practice.on_join
async def introduce(ctx: Context) -> None:
    """Posted once when the bot first finds itself in a collective's room."""
    await ctx.say(INTRO, prefix=ctx.prefix)


def _usages(ctx: Context, commands: list[Command]) -> Rows:
    return Rows(
        "- `{usage}`: {summary}",
        [{"usage": c.usage(ctx.prefix), "summary": c.summary} for c in commands],
    )


@practice.command(
    "help",
    Text("command", optional=True),
    summary="List every command by practice, or explain one command with examples.",
    examples=("!help", "!help task"),
    direct_ok=True,
)
async def help_(ctx: Context, command: str | None) -> None:
    registry = ctx.runtime.registry
    if command is None:
        listed = [p for p in registry.practices if p.commands]
        await ctx.reply(
            "**Flattening commands** (every member has all of them; prefix `{prefix}`)\n"
            "{practices}\n\nType `{prefix}help <command>` for details and examples.",
            prefix=ctx.prefix,
            practices=Rows(
                "\n**{title}**\n{commands}",
                [{"title": p.title, "commands": _usages(ctx, p.commands)} for p in listed],
            ),
        )
        return
    word = command.split()[0].removeprefix(ctx.prefix).casefold()
    group = registry.group(word)
    if not group:
        template, values = registry.unknown(word, ctx.prefix)
        await ctx.reply(template, **values)
        return
    examples = [e.replace("!", ctx.prefix, 1) for cmd in group for e in cmd.examples]
    await ctx.reply(
        "**{p}{w}** ({practice})\n{cmds}" + ("\nExamples:\n{examples}" if examples else ""),
        p=ctx.prefix,
        w=word,
        practice=group[0].practice,
        cmds=_usages(ctx, group),
        examples=Rows("- `{item}`", examples),
    )


@practice.command(
    "ping",
    summary="Check that the bot is alive: answers pong, its version and uptime.",
    examples=("!ping",),
    direct_ok=True,
)
async def ping(ctx: Context) -> None:
    uptime = (ctx.now() - ctx.runtime.started_at).total_seconds()
    await ctx.reply(
        "pong (Flattening {version}, up {uptime})", version=ctx.runtime.version, uptime=_ago(uptime)
    )


@practice.command(
    "status",
    summary="Version, uptime and the next scheduled ritual runs in this room.",
    examples=("!status",),
    direct_ok=True,
)
async def status(ctx: Context) -> None:
    uptime = (ctx.now() - ctx.runtime.started_at).total_seconds()
    lines = ["**Flattening {version}**, up {uptime}, time zone {zone}."]
    values: dict[str, object] = {
        "version": ctx.runtime.version,
        "uptime": _ago(uptime),
        "zone": str(ctx.settings.timezone),
    }
    runs = sorted(ctx.runtime.next_runs.items(), key=lambda kv: kv[1])
    if runs:
        lines.append("Next scheduled runs:\n{runs}")
        values["runs"] = Rows("- {job}: {at}", [{"job": j, "at": ctx.time(t)} for j, t in runs])
    else:
        lines.append("No scheduled rituals are set up yet.")
    await ctx.reply("\n".join(lines), **values)


@practice.command(
    "privacy",
    summary="What the bot counts, what it keeps, and what it never stores.",
    examples=("!privacy",),
    direct_ok=True,
)
async def privacy(ctx: Context) -> None:
    await ctx.reply(PRIVACY, prefix=ctx.prefix)


@practice.command(
    "audit",
    Number("count", optional=True),
    summary="The latest state-changing actions: who did what, when (default 10, at most 50).",
    examples=("!audit", "!audit 25"),
)
async def audit_log(ctx: Context, count: int | None) -> None:
    limit = min(count or 10, 50)
    entries = await audit.latest(ctx.session, ctx.collective_id, limit)
    if not entries:
        await ctx.reply("The audit log is empty: nothing shared has been changed yet.")
        return
    rows = [
        {
            "at": ctx.time(entry.at),
            "who": await ctx.mention(entry.actor, ping=False),
            "action": entry.action,
            "detail": entry.detail,
        }
        for entry in entries
    ]
    await ctx.reply(
        "**Latest {n} changes**\n{rows}",
        n=len(entries),
        rows=Rows("- {at}: {who} {action} {detail}", rows),
    )
