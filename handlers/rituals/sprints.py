"""Trust audit sprints: `!sprint start <name>` / `!sprint end` mark a cycle of deliberately
widened participation (guests, newcomers). At the end the bot compares the sprint with the
period of the same length just before it, as text and then a chart:

- airtime spread: the share of words written by the most active fifth, the Gini
  coefficient, and how many members were silent (counted by day, so both periods are
  whole days, as many before as during; among today's members who were in the room by
  the period's end);
- labour by kind, and how many members did it;
- how many different members' proposals were adopted;
- decisions taken under time pressure: proposals closed early, decisions recorded
  without a proposal;
- newcomers who took part: people who first joined the room in the period or the 30 days
  before it (not those already there when the bot arrived) and who spoke, logged work or
  made a proposal in it.

Counts of the group only, never a name: a mirror, not a score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from handlers import chart, sovereignty
from handlers.arguments import Text, normalise
from handlers.context import Context, Image, Rows
from handlers.errors import UsageError
from handlers.i18n import N_, _, ngettext
from handlers.labour_kinds import KINDS, kind_word
from handlers.registry import Practice
from handlers.stats import gini, percent, top_fifth
from storage import airtime, collectives, decision_log, decisions, labour, sprints

practice = Practice(
    N_("Trust audit sprints"),
    N_("Cycles of widened participation, compared with the period before."),
)

MAX_NAME = 100
NEWCOMER_WINDOW = timedelta(days=30)
MIRROR = N_(
    "A mirror, not a score: counts of the group in this room, never a verdict on anyone. "
    "Use it to ask whether the sprint widened who takes part."
)


@dataclass
class Mirror:
    """The group's participation over one period."""

    first: date
    last: date
    members: int = 0
    messages: int = 0
    fifth_size: int = 0
    fifth_share: float = 0.0
    gini: float = 0.0
    silent: int = 0
    tasks: dict[str, int] = field(default_factory=dict)  # kind -> tasks
    doers: dict[str, int] = field(default_factory=dict)  # kind -> members who did it
    workers: int = 0  # members who logged any work
    made: int = 0
    adopted: int = 0
    adopters: int = 0  # different members whose proposals were adopted
    early: int = 0
    recorded: int = 0
    newcomers: int = 0
    newcomers_in: int = 0  # newcomers who took part
    lens: sovereignty.Lens | None = None  # who called meetings, whose suggestions became action

    @property
    def pressure(self) -> int:
        return self.early + self.recorded


async def mirror(ctx: Context, start: datetime, end: datetime, first: date, last: date) -> Mirror:
    """Participation in [start, end) (airtime: the days first..last)."""
    m = Mirror(first, last)
    # Airtime among the current members who were already in the room by the period's end,
    # so someone who came later is not counted as silent before they were there.
    there = [
        p.user_id
        for p in await collectives.members(ctx.session, ctx.collective_id)
        if p.first_seen_at <= end
    ]
    spoke = await airtime.totals(ctx.session, ctx.collective_id, first, last)
    words = [spoke.get(u, (0, 0))[1] for u in there]
    m.members = len(there)
    m.messages = sum(spoke.get(u, (0, 0))[0] for u in there)
    m.silent = sum(1 for u in there if not spoke.get(u, (0, 0))[0])
    m.fifth_size, m.fifth_share = top_fifth(words)
    m.gini = gini(words)
    work = await labour.by_member_and_kind(ctx.session, ctx.collective_id, start, end)
    m.tasks = {k: sum(w.get(k, 0) for w in work.values()) for k in KINDS}
    m.doers = {k: sum(1 for w in work.values() if w.get(k)) for k in KINDS}
    m.workers = sum(1 for w in work.values() if any(w.values()))
    influence = await decision_log.influence(ctx.session, ctx.collective_id, start, end)
    m.made = sum(i.made for i in influence.values())
    m.adopted = sum(i.adopted for i in influence.values())
    m.adopters = sum(1 for i in influence.values() if i.adopted)
    decided = await decision_log.decided_between(ctx.session, ctx.collective_id, start, end)
    m.early = sum(1 for d in decided if d.closed_early)
    m.recorded = sum(1 for d in decided if d.kind == decisions.RECORD)
    # Newcomers: first seen in the room in the period or shortly before it, and not among
    # those who were there when the bot arrived (nothing says when they came).
    arrived = ctx.collective.joined_at
    newcomers = {
        p.user_id
        for p in await collectives.everyone(ctx.session, ctx.collective_id)
        if not p.is_bot
        and p.first_seen_at > arrived
        and start - NEWCOMER_WINDOW <= p.first_seen_at < end
    }
    active = {u for u, (messages, _words) in spoke.items() if messages}
    active |= {u for u in work if u}
    active |= {u for u, i in influence.items() if u and i.made}
    m.newcomers = len(newcomers)
    m.newcomers_in = len(newcomers & active)
    m.lens = await sovereignty.measure(ctx, m.members, start, end)
    return m


def _lens(m: Mirror) -> sovereignty.Lens:
    return m.lens or sovereignty.Lens(m.members)


def _arrow(before: object, during: object) -> str:
    return f"{before} → {during}"


def _work(m: Mirror, kind: str) -> str:
    tasks, doers = m.tasks.get(kind, 0), m.doers.get(kind, 0)
    return ngettext("{tasks} by {n} member", "{tasks} by {n} members", doers).format(
        tasks=ngettext("{n} task", "{n} tasks", tasks).format(n=tasks), n=doers
    )


def _adopted(m: Mirror) -> str:
    return ngettext(
        "{adopted} from {n} member", "{adopted} from {n} different members", m.adopters
    ).format(adopted=m.adopted, n=m.adopters)


def comparison(before: Mirror, during: Mirror) -> tuple[str, dict[str, object]]:
    """The comparison's lines, before → during, the group's counts only."""

    def row(what: str, b: object, d: object) -> dict[str, object]:
        return {"what": what, "change": _arrow(b, d)}

    def of(part: int, whole: int) -> str:
        return _("{part} of {whole}").format(part=part, whole=whole)

    quiet = _("no messages")
    air = [
        row(
            _("share of words written by the most active fifth"),
            percent(before.fifth_share, 1) if before.messages else quiet,
            percent(during.fifth_share, 1) if during.messages else quiet,
        ),
        row(
            _("Gini (0: everyone equal; 1: a single voice)"),
            f"{before.gini:.2f}",
            f"{during.gini:.2f}",
        ),
        row(
            _("silent members"),
            of(before.silent, before.members),
            of(during.silent, during.members),
        ),
    ]
    work = [row(kind_word(k), _work(before, k), _work(during, k)) for k in KINDS]
    work.append(row(_("members who logged any work"), before.workers, during.workers))
    votes = [
        row(_("proposals adopted"), _adopted(before), _adopted(during)),
        row(_("proposals made"), before.made, during.made),
        row(
            _("decisions taken under time pressure (closed early + recorded without a proposal)"),
            f"{before.pressure} ({before.early} + {before.recorded})",
            f"{during.pressure} ({during.early} + {during.recorded})",
        ),
    ]
    newcomers = [
        row(
            _("newcomers who took part (spoke, logged work or proposed)"),
            of(before.newcomers_in, before.newcomers),
            of(during.newcomers_in, during.newcomers),
        )
    ]
    lb, ld = _lens(before), _lens(during)
    shared = [
        row(
            _("meetings called (members who called one)"),
            f"{lb.meetings} ({lb.callers})",
            f"{ld.meetings} ({ld.callers})",
        ),
        row(
            _("adopted decisions with a task tied to them"),
            of(lb.with_task, lb.adopted),
            of(ld.with_task, ld.adopted),
        ),
        row(
            _("proposals closed early (members who closed one early)"),
            f"{lb.closed_early} ({lb.closers})",
            f"{ld.closed_early} ({ld.closers})",
        ),
        row(_("task claims dropped"), lb.dropped, ld.dropped),
    ]
    text = _(
        "**Airtime** (counted by day)\n{air}\n**Labour**\n{work}\n**Decisions**\n{votes}\n"
        "**Newcomers**\n{newcomers}\n**Shared sovereignty**\n{shared}"
    )
    template = "- {what}: {change}"
    return text, {
        "air": Rows(template, air),
        "work": Rows(template, work),
        "votes": Rows(template, votes),
        "newcomers": Rows(template, newcomers),
        "shared": Rows(template, shared),
    }


def panels(before: Mirror, during: Mirror) -> list[chart.Panel]:
    """The chart's panels, their words translated now (in the collective's context) and
    kept in the spec: the sender draws it later, where no language is set."""
    return [
        chart.Panel(
            _("Airtime spread"),
            [
                (
                    _("most active fifth, % of words"),
                    100 * before.fifth_share,
                    100 * during.fifth_share,
                ),
                (_("Gini × 100"), 100 * before.gini, 100 * during.gini),
            ],
        ),
        chart.Panel(
            _("Labour: tasks logged"),
            [(kind_word(k), before.tasks.get(k, 0), during.tasks.get(k, 0)) for k in KINDS],
        ),
        chart.Panel(
            _("Who takes part (members)"),
            [
                (_("silent in the room"), before.silent, during.silent),
                (_("logged any work"), before.workers, during.workers),
                (_("had a proposal adopted"), before.adopters, during.adopters),
                (_("newcomers who took part"), before.newcomers_in, during.newcomers_in),
                (_("decisions under time pressure"), before.pressure, during.pressure),
            ],
        ),
        chart.Panel(
            _(sovereignty.TITLE),
            [
                (_("called a meeting"), _lens(before).callers, _lens(during).callers),
                (
                    _("decisions with a task"),
                    _lens(before).with_task,
                    _lens(during).with_task,
                ),
                (_("closed a proposal early"), _lens(before).closers, _lens(during).closers),
                (_("task claims dropped"), _lens(before).dropped, _lens(during).dropped),
            ],
        ),
    ]


@practice.command(
    "sprint start",
    Text("name", max_length=MAX_NAME),
    summary=N_(
        "Start a trust audit sprint: a cycle of widened participation, compared at its end."
    ),
    examples=("!sprint start open doors month",),
)
async def sprint_start(ctx: Context, name: str) -> None:
    if not normalise(name):
        raise UsageError(_("Missing name."))
    running = await sprints.current(ctx.session, ctx.collective_id)
    if running is not None:
        await ctx.reply(
            _(
                "The trust audit sprint **{name}** is running (since {since}); "
                "`{p}sprint end` first."
            ),
            name=running.name,
            since=ctx.date(running.started_at),
            p=ctx.prefix,
        )
        return
    await sprints.start(ctx.session, ctx.collective_id, name, ctx.author, ctx.now())
    await ctx.audit("sprint.started", name=name)
    await ctx.reply(
        _(
            "{who} started the trust audit sprint **{name}**: a cycle of deliberately widened "
            "participation. `{p}sprint end` compares it with the same length of time before "
            "it: airtime spread, labour, whose proposals are adopted, decisions under time "
            "pressure and newcomers who took part."
        ),
        who=await ctx.mention(ctx.author, ping=False),
        name=name,
        p=ctx.prefix,
    )


@practice.command(
    "sprint end",
    summary=N_("End the trust audit sprint and compare it with the equal period before it."),
    examples=("!sprint end",),
)
async def sprint_end(ctx: Context) -> None:
    running = await sprints.current(ctx.session, ctx.collective_id)
    if running is None:
        await ctx.reply(
            _("No trust audit sprint is running. `{p}sprint start <name>` starts one."),
            p=ctx.prefix,
        )
        return
    now = ctx.now()
    running.ended_at, running.ended_by = now, ctx.author
    await ctx.audit("sprint.ended", name=running.name)
    zone = ctx.settings.timezone
    start = running.started_at
    length = now - start
    first = start.astimezone(zone).date()
    days = (now.astimezone(zone).date() - first).days + 1
    during = await mirror(ctx, start, now, first, first + timedelta(days=days - 1))
    before = await mirror(
        ctx, start - length, start, first - timedelta(days=days), first - timedelta(days=1)
    )
    text, values = comparison(before, during)
    values.update(
        name=running.name,
        start=ctx.time(start),
        end=ctx.time(now),
        days=ngettext("{n} day", "{n} days", days).format(n=days),
        pfirst=before.first,
        plast=before.last,
        mirror=_(MIRROR),
    )
    head = _(
        "**Trust audit sprint {name}**, {start} to {end}, compared with the same length of "
        "time just before it (airtime: {days} each, the earlier from {pfirst} to {plast}). "
        "Before → during:"
    )
    await ctx.reply(head + "\n" + text + "\n{mirror}", **values)
    # The chart's words are translated here and kept in the spec (see `panels`).
    title = _("Trust audit sprint: {name}").format(name=running.name)
    data = chart.comparison_spec(title, _("before"), _("during"), panels(before, during))
    image = Image(data, "trust-audit-sprint.png", "image/png", renderer="comparison-chart")
    await ctx.post_image(image, _("Trust audit sprint chart, {name}"), name=running.name)
