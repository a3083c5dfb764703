"""General commands: help, liveness, the privacy statement and the audit log."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Context
from handlers.registry import Command, Number, Practice, Text
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


def _when(ctx: Context, at: datetime) -> str:
    return ctx.local(at).strftime("%Y-%m-%d %H:%M %Z")


async def introduce(ctx: Context) -> None:
    """Posted once when the bot first finds itself in a collective's room."""
    await ctx.say(INTRO, prefix=ctx.prefix)


def _help_line(cmd: Command, prefix: str) -> tuple[str, str]:
    return cmd.usage(prefix), cmd.summary


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
        lines = ["**Flattening commands** (every member has all of them; prefix `{prefix}`)"]
        values: dict[str, object] = {"prefix": ctx.prefix}
        n = 0
        for p in registry.practices:
            if not p.commands:
                continue
            lines.append(f"\n**{p.title}**")
            for cmd in p.commands:
                usage, summary = _help_line(cmd, ctx.prefix)
                lines.append(f"- `{{u{n}}}`: {{s{n}}}")
                values[f"u{n}"], values[f"s{n}"] = usage, summary
                n += 1
        lines.append("\nType `{prefix}help <command>` for details and examples.")
        await ctx.reply("\n".join(lines), **values)
        return
    word = command.split()[0].removeprefix(ctx.prefix).casefold()
    group = registry.group(word)
    if not group:
        hint = registry.suggest(word)
        if hint:
            await ctx.reply(
                "There is no command `{p}{w}`. Did you mean `{p}{h}`?", p=ctx.prefix, w=word, h=hint
            )
        else:
            await ctx.reply(
                "There is no command `{p}{w}`. Type `{p}help` for the list.", p=ctx.prefix, w=word
            )
        return
    lines = [f"**{{p}}{{w}}** ({group[0].practice})"]
    values = {"p": ctx.prefix, "w": word}
    for i, cmd in enumerate(group):
        usage, summary = _help_line(cmd, ctx.prefix)
        lines.append(f"- `{{u{i}}}`: {{s{i}}}")
        values[f"u{i}"], values[f"s{i}"] = usage, summary
    examples = [e for cmd in group for e in cmd.examples]
    if examples:
        lines.append("Examples:")
        for i, example in enumerate(examples):
            lines.append(f"- `{{e{i}}}`")
            values[f"e{i}"] = example.replace("!", ctx.prefix, 1)
    await ctx.reply("\n".join(lines), **values)


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
        lines.append("Next scheduled runs:")
        for i, (job, at) in enumerate(runs):
            lines.append(f"- {{j{i}}}: {{t{i}}}")
            values[f"j{i}"], values[f"t{i}"] = job, _when(ctx, at)
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
    lines = ["**Latest {n} changes**"]
    values: dict[str, object] = {"n": len(entries)}
    for i, entry in enumerate(entries):
        lines.append(f"- {{t{i}}}: {{who{i}}} {{a{i}}} {{d{i}}}")
        values[f"t{i}"] = _when(ctx, entry.at)
        values[f"who{i}"] = await ctx.mention(entry.actor, ping=False)
        values[f"a{i}"] = entry.action
        values[f"d{i}"] = entry.detail
    await ctx.reply("\n".join(lines), **values)
