"""General commands: help, liveness, the privacy statement and the audit log."""

from __future__ import annotations

import random
from datetime import timedelta

from handlers import audit_actions
from handlers.arguments import Number, Text
from handlers.context import Context, File, Rows
from handlers.i18n import N_, _, ngettext
from handlers.job_names import job_word
from handlers.personal import SHORT, declared, document
from handlers.registry import Command, Practice
from storage import audit, collectives, direct, outbox, personal

practice = Practice(N_("General"), N_("Help, liveness and what the bot keeps."))

# What each table holds, in plain words; tests/handlers/test_general.py checks this covers
# every table and column that exists, so `!privacy` stays exactly true.
KEPT = {
    "collectives": "the room: its id, name, power levels, whether it is a direct chat, "
    "and when the bot joined, left and introduced itself",
    "members": "each member: user id, display name, when first seen and last changed, "
    "absences, and whether they are a bot (marked, or only ever sent notices)",
    "airtime_days": "per member and day: how many messages and words they sent here",
    "counted_messages": "for 30 days after a message is counted: its event id, sender, day "
    "and word count (never its text), so a deleted message can be taken back out",
    "processed_events": "for 30 days: the ids of events already handled, direct chats "
    "included, so nothing is acted on twice",
    "tasks": "tasks on the list: name, kind, status, who added and claimed them, when",
    "task_completions": "work logged: task, kind, who, when",
    "knowledge": "who knows or is learning which area, since when",
    "access_holdings": "who holds access to which resource, who recorded it, when (never "
    "the access itself)",
    "roles": "roles: name, scope, term, who created them, when",
    "role_terms": "who held which role when, how they got it, handover notes, reminders",
    "role_swaps": "swap requests: role, from whom, to whom, who asked, when",
    "meetings": "meetings: who started them, when they started and ended",
    "stack_entries": "the speaking stack: who asked for the floor, when, when called",
    "meeting_calls": "meetings called ahead: when, the topic, who called and who cancelled "
    "them, the calendar file's id, whether the reminder went out",
    "agenda_items": "agenda items: the item, planned minutes, who put it forward or dropped "
    "it, when it was taken up and closed",
    "decisions": "proposals and decisions: number, text, author, rule, dates, outcome, tally",
    "decision_answers": "answers to proposals: who, which answer, the reason given, when",
    "dissents": "dissent attached to decisions: who, the reason, when",
    "notes": "meeting notes: number, text, author, meeting, when; an erased note keeps only "
    "its number, author and time, who erased it and when (its text is blanked)",
    "budget_entries": "budget entries: amount, currency, what for, who, when; an erased entry "
    "keeps only its number, kind, author and date, who erased it and when (its amount and "
    "description are blanked)",
    "second_requests": "requests waiting for a second member: what, who asked, who seconded, when",
    "audit_log": "a log of who changed which shared record, and when: the member's user "
    "id, what was done as a key (never a sentence with names in it) and its numbers or the "
    "name of the thing changed, worded with today's display names when read",
    "audit_members": "the user ids of the members an audit log entry concerns (whom a "
    "role went to, whose request was seconded)",
    "outbox": "the bot's own messages until the homeserver has accepted them (for a direct "
    "message: to whom)",
    "sync_tokens": "where the bot is in the room's history",
    "occurrences": "when each scheduled ritual ran",
    "job_anchors": "since when each scheduled ritual applies",
    "direct_chats": "for each person the bot has a direct chat with: the room, and which "
    "group their answers there are for when they said so",
    "reflection_rounds": "reflection rounds: when each opened and closes, the prompts, "
    "whether the reminder went out, and once closed how many answered and whether the "
    "answers were posted",
    "reflection_asked": "while a round is open: who was asked and how many answers each "
    "gave, never which; deleted when the round closes",
    "reflection_answers": "reflection answers: the text and its round, with no name, no "
    "time and no order; while the round is open the text is sealed (encrypted with a key "
    "kept outside the database, padded to one length); deleted unread when a round has "
    "too few",
    "campaigns": "campaigns: name, when they started and ended",
    "checkins": "check-ins: when, after which campaign, and the counts of each answer",
    "checkin_answers": "who was asked at a check-in and their answer (green, yellow or "
    "red), until two weeks after it closes",
    "entry_sprints": "newcomers' entry sprints: who, when they start and end, when the "
    "group looked back",
    "forget_requests": "who asked to be forgotten, for the minutes until they confirm",
    "gallery_walks": "gallery walks: who started one (or that the schedule did), the period "
    "its patterns cover, when it started and ends, who closed it early, and once it ended "
    "how many members put dots",
    "gallery_patterns": "the patterns of each gallery walk: the bot's own sentences about the "
    "group (counts, no names), the event id of each pattern's message, and once the walk "
    "ended how many members put each colour on it",
    "gallery_marks": "while a gallery walk is open: who put which coloured dot on which "
    "pattern, with the reaction's event id (so a removed one is taken back); deleted when "
    "the walk ends, leaving only the counts",
    "experiments": "structural experiments: number, the change as written, how long it "
    "runs, who started it, when, the number of the proposal that reviews it, and its result",
    "trust_sprints": "trust audit sprints: name, who started and ended them, when",
}

PRIVACY = N_(
    "**What Flattening keeps, in plain words**\n"
    "- It never stores what you write to the group. It counts your messages and words "
    "here, per day. For 30 days after counting a message it also keeps the message's id, "
    "sender, day and word count (not its text), so a deleted message can be uncounted.\n"
    "- It keeps what you give it in commands: tasks, roles and handover notes, knowledge "
    "areas, who holds access to which resource (never a password), absences, the speaking "
    "stack, proposals, answers and their reasons, dissent, "
    "decisions, notes, budget entries, requests for a second member, structural "
    "experiments, trust audit sprints, campaigns and newcomers' entry sprints. Every "
    "command that changes a shared record is in `{prefix}audit`, which keeps user ids, "
    "never names: it reads with today's display names.\n"
    "- It keeps the room's members (user id, display name, when first seen, absences, "
    "whether a bot), the room's name and its power levels (who can invite, kick, change "
    "settings), and which room is your direct chat with it.\n"
    "- For 30 days it keeps the ids of events it has handled, direct chats included, so "
    "nothing is acted on twice; it never counts what you write in a direct chat with it. "
    "Its own messages, direct messages included, are kept only until the homeserver has "
    "them.\n"
    "- Reflection answers you write in your direct chat with it are kept with no name, no "
    "time and no order. While a round is open they are sealed: encrypted with a key kept "
    "outside the database and padded to one size, so even a copy of the database shows "
    "neither what you wrote nor how long it was. Who has answered is kept apart, only to "
    "limit how many answers each gives, and deleted when the round closes; then the "
    "answers are opened, shuffled and posted, or deleted unread when too few answered.\n"
    "- Check-in answers (green, yellow, red) are kept with your name until two weeks "
    "after the check-in closes; the room sees only the counts, and only when enough "
    "members answered that nobody's answer shows.\n"
    "- While a gallery walk is open it keeps who put which coloured dot (a reaction) on "
    "which pattern, so each member counts once per colour and a removed dot is taken back; "
    "when the walk ends only the counts stay, and the room is never told who put a dot.\n"
    "- A `{prefix}forgetme` request is kept for the 10 minutes you have to confirm it. "
    "`{prefix}mydata` sends you everything it keeps about you in the groups you are or "
    "were in; `{prefix}forgetme` erases it (shared records such as decisions, notes and "
    "the ledger keep their text, with you shown as a former member). Both find you by "
    "your user id, never by your name.\n"
    "- Rituals of a room it has left are closed and pruned like any other.\n"
    "- The numbers are mirrors for the group, not scores for people."
)

INTRO = N_(
    "Hello! I'm **Flattening**, a helper for keeping power shared in this group. "
    "I keep a labour ledger, rotate roles fairly, map who knows what, run a fair speaking "
    "stack in meetings, and hold up mirrors (who talks, who works, who holds power) for "
    "your reflection. I also run anonymous reflection rounds and check-ins after intense "
    "campaigns by direct message, and welcome newcomers. For the circle of shadows I hold "
    "silent gallery walks through the group's patterns and draw reflection groups, and I "
    "keep track of structural experiments and trust audit sprints."
)
CLOSING = N_(
    "Every member has the same commands; there is no admin. Type `{prefix}help` to see them."
)


def _ago(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return _("{days}d {hours}h").format(days=days, hours=hours)
    if hours:
        return _("{hours}h {minutes}m").format(hours=hours, minutes=minutes)
    if minutes:
        return _("{minutes}m {seconds}s").format(minutes=minutes, seconds=seconds)
    return _("{seconds}s").format(seconds=seconds)


@practice.on_join
async def introduce(ctx: Context) -> None:
    """Posted once when the bot first finds itself in a collective's room."""
    await ctx.say("\n\n".join((_(INTRO), _(PRIVACY), _(CLOSING))), prefix=ctx.prefix)


def _usages(ctx: Context, commands: list[Command]) -> Rows:
    return Rows(
        "- `{usage}`: {summary}",
        [{"usage": c.usage(ctx.prefix), "summary": _(c.summary)} for c in commands],
    )


@practice.command(
    "help",
    Text("command", optional=True),
    summary=N_("List every command by practice, or explain one command with examples."),
    examples=("!help", "!help task"),
    direct_ok=True,
    read_only=True,
)
async def help_(ctx: Context, command: str | None) -> None:
    registry = ctx.runtime.registry
    if command is None:
        listed = [p for p in registry.practices if p.commands]
        await ctx.reply(
            _(
                "**Flattening commands** (every member has all of them; prefix `{prefix}`)\n"
                "{practices}\n\nType `{prefix}help <command>` for details and examples."
            ),
            prefix=ctx.prefix,
            practices=Rows(
                "\n**{title}**\n{commands}",
                [{"title": _(p.title), "commands": _usages(ctx, p.commands)} for p in listed],
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
        _("**{p}{w}** ({practice})\n{cmds}")
        + ("\n" + _("Examples:\n{examples}") if examples else ""),
        p=ctx.prefix,
        w=word,
        practice=_(group[0].practice),
        cmds=_usages(ctx, group),
        examples=Rows("- `{item}`", examples),
    )


@practice.command(
    "ping",
    summary=N_("Check that the bot is alive: answers pong, its version and uptime."),
    examples=("!ping",),
    direct_ok=True,
    read_only=True,
)
async def ping(ctx: Context) -> None:
    uptime = (ctx.now() - ctx.runtime.started_at).total_seconds()
    await ctx.reply(
        _("pong (Flattening {version}, up {uptime})"),
        version=ctx.runtime.version,
        uptime=_ago(uptime),
    )


@practice.command(
    "status",
    summary=N_("Version, uptime and the next scheduled ritual runs in this room."),
    examples=("!status",),
    direct_ok=True,
    read_only=True,
)
async def status(ctx: Context) -> None:
    uptime = (ctx.now() - ctx.runtime.started_at).total_seconds()
    lines = [_("**Flattening {version}**, up {uptime}, time zone {zone}.")]
    values: dict[str, object] = {
        "version": ctx.runtime.version,
        "uptime": _ago(uptime),
        "zone": str(ctx.settings.timezone),
    }
    runs = sorted(ctx.runtime.next_runs.items(), key=lambda kv: kv[1])
    if runs:
        lines.append(_("Next scheduled runs:\n{runs}"))
        values["runs"] = Rows(
            "- {job}: {at}", [{"job": job_word(j), "at": ctx.time(t)} for j, t in runs]
        )
    else:
        lines.append(_("No scheduled rituals are set up yet."))
    waiting = await outbox.waiting(ctx.session, ctx.room_id)
    problems = [*ctx.runtime.problems]
    if waiting:
        problems.append(
            ngettext(
                "{n} message to this room waits to be delivered",
                "{n} messages to this room wait to be delivered",
                waiting,
            ).format(n=waiting)
        )
    if problems:
        lines.append(_("What went wrong here since the start:\n{problems}"))
        values["problems"] = Rows("- {item}", problems)
    await ctx.reply("\n".join(lines), **values)


@practice.command(
    "privacy",
    summary=N_("What the bot counts, what it keeps, and what it never stores."),
    examples=("!privacy",),
    direct_ok=True,
    read_only=True,
)
async def privacy(ctx: Context) -> None:
    await ctx.reply(_(PRIVACY), prefix=ctx.prefix)


@practice.command(
    "audit",
    Number("count", optional=True),
    summary=N_("The latest state-changing actions: who did what, when (default 10, at most 50)."),
    examples=("!audit", "!audit 25"),
    read_only=True,
)
async def audit_log(ctx: Context, count: int | None) -> None:
    limit = min(count or 10, 50)
    entries = await audit.latest(ctx.session, ctx.collective_id, limit)
    if not entries:
        await ctx.reply(_("The audit log is empty: nothing shared has been changed yet."))
        return
    rows = [await audit_actions.row(ctx, entry) for entry in entries]
    await ctx.reply(
        ngettext("**Latest {n} change**\n{rows}", "**Latest {n} changes**\n{rows}", len(entries)),
        n=len(entries),
        rows=Rows("- {at}: {who} {action}", rows),
    )


FORGET_WINDOW = timedelta(minutes=10)


@practice.command(
    "mydata",
    summary=N_("Everything the bot keeps about you, sent to you in a direct message."),
    examples=("!mydata",),
    direct_ok=True,
)
async def mydata(ctx: Context) -> None:
    doc = await document(ctx, await personal.about(ctx.session, ctx.author))
    here = ctx.is_direct
    if len(doc) <= SHORT:
        if here:
            await ctx.reply("{doc}", doc=doc)
        else:
            await ctx.dm(ctx.author, "{doc}", doc=doc)
    else:
        name = "flattening-mydata.md"
        file = File(doc.encode("utf-8"), name, "text/markdown")
        summary = ngettext(
            "Everything I keep about you, as a Markdown file ({n} character).",
            "Everything I keep about you, as a Markdown file ({n} characters).",
            len(doc),
        )
        if here:
            await ctx.post_file(file, summary, n=len(doc))
        else:
            await ctx.dm_file(ctx.author, file, summary, n=len(doc))
    if not here:
        await ctx.reply(
            _("I sent {who} what I keep about them in a direct message."),
            who=await ctx.mention(ctx.author, ping=False),
        )


@practice.command(
    "forgetme",
    summary=N_("Erase what the bot keeps about you (it asks you to confirm first)."),
    examples=("!forgetme",),
    direct_ok=True,
)
async def forgetme(ctx: Context) -> None:
    until = ctx.now() + FORGET_WINDOW
    await personal.ask_to_forget(ctx.session, ctx.author, until)
    await ctx.reply(
        _(
            "This erases what I keep about you in the groups you are or were in, and our "
            "direct chat:\n{declared}\nYour reflection answers cannot be found or deleted: "
            "nothing links them to you. Nothing is ever found by your name, only by your user "
            "id. To go ahead, answer `{p}forgetme confirm` before {until}."
        ),
        declared=declared(),
        p=ctx.prefix,
        until=ctx.time(until),
    )


@practice.command(
    "forgetme confirm",
    summary=N_("Confirm `!forgetme` within 10 minutes: your records are erased."),
    examples=("!forgetme confirm",),
    direct_ok=True,
)
async def forgetme_confirm(ctx: Context) -> None:
    if not await personal.may_forget(ctx.session, ctx.author, ctx.now()):
        minutes = int(FORGET_WINDOW.total_seconds() // 60)
        await ctx.reply(
            ngettext(
                "Nothing to confirm: type `{p}forgetme` first; a request lasts {m} minute.",
                "Nothing to confirm: type `{p}forgetme` first; a request lasts {m} minutes.",
                minutes,
            ),
            p=ctx.prefix,
            m=minutes,
        )
        return
    done = await personal.forget(ctx.session, ctx.author, ctx.now(), random.SystemRandom())
    await ctx.reply(
        _(
            "Done: I erased what I kept about you{changed}. Shared records now show a former "
            "member where they named you."
        ),
        changed=" (" + ", ".join(f"{_(kind)}: {n}" for kind, n in done.items()) + ")"
        if done
        else "",
    )


@practice.command(
    "for",
    Text("group", optional=True, max_length=255),
    summary=N_("In your direct chat with the bot: which group your answers there are for."),
    examples=("!for", "!for Tenants union"),
    direct_ok=True,
)
async def answers_for(ctx: Context, group: str | None) -> None:
    if not ctx.is_direct:
        await ctx.reply(_("`{p}for` works in your direct chat with me."), p=ctx.prefix)
        return
    mine = await collectives.memberships(ctx.session, ctx.author, ctx.runtime.user_id)
    names = [c.name or c.room_id for c in mine]
    listed = Rows("{n}. {name}", [{"n": i, "name": n} for i, n in enumerate(names, start=1)])
    if not mine:
        await ctx.reply(_("You are not in any of the groups I serve now."))
        return
    if group is None:
        chat = await direct.chat(ctx.session, ctx.author, ctx.runtime.user_id)
        focus = next((c for c in mine if chat and c.id == chat.focus_collective_id), None)
        await ctx.reply(
            _("Your groups:\n{groups}")
            + "\n"
            + (_("Answers here are for **{focus}**.") if focus else _("No group is chosen."))
            + " "
            + _("`{p}for <number or name>` chooses one."),
            groups=listed,
            focus=(focus.name or focus.room_id) if focus else "",
            p=ctx.prefix,
        )
        return
    wanted = " ".join(group.split()).casefold()
    chosen = [
        c for i, c in enumerate(mine, 1) if wanted in (str(i), (c.name or c.room_id).casefold())
    ]
    if not chosen:
        chosen = [c for c in mine if wanted in (c.name or c.room_id).casefold()]
    if len(chosen) != 1:
        await ctx.reply(
            _("`{g}` does not name one of your groups:\n{groups}\nWrite its number or name."),
            g=group[:60],
            groups=listed,
        )
        return
    await direct.set_focus(ctx.session, ctx.author, chosen[0].id, ctx.runtime.user_id)
    await ctx.reply(
        _("Your answers here are for **{name}** from now on."),
        name=chosen[0].name or chosen[0].room_id,
    )
