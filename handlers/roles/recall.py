"""Recall: the group can end a role holder's term early ("directly elected and recallable
delegates"), and every role's history shows who held it, how, and any recall.

`!recall <role> <reason>` opens an ordinary proposal, decided under the collective's rule
like any other: the holder answers too, and no single answer settles it. The recall is
tied to the term held when it opened; once its proposal closes (`!decide`, or the hourly
closing job, both through `handlers.decisions.hooks`; an hourly check of our own catches
any other way) the outcome is recorded once. Adopted, while that term still runs: it
ends at once and rotation picks the next holder by the fairness rule, never the recalled
member; the holder and the new holder are told with a message that notifies them.
"""

from __future__ import annotations

import random

from handlers.arguments import Role, Text, normalise
from handlers.context import Context, Rows
from handlers.decisions.hooks import on_close
from handlers.decisions.rules import ANSWER_HELP, closing_time, rule_words
from handlers.errors import UsageError
from handlers.i18n import N_, _
from handlers.roles.commands import practice
from handlers.roles.fairness import choose
from handlers.roles.rotation import available, candidates, term_end
from storage import decisions, recalls, roles
from storage.models import Role as RoleRecord
from storage.models import RoleRecall, RoleTerm

MAX_REASON = 500
HISTORY_LIMIT = 15
HOURLY = "0 * * * *"
# The proposal's text, kept in the collective's language as it opens (like an experiment's
# review). It names the role and the term, not the holder: a name is never stored as text.
RECALL = N_("recall: end the current term of the role {role} (held since {since}) early: {reason}")
HOW = {
    "rotation": N_("by rotation"),
    "draw": N_("by rotation, drawn"),
    "claim": N_("claimed"),
    "swap": N_("by a swap"),
    "recall": N_("by rotation after a recall"),
}
RESULT = {
    "adopted": N_("adopted"),
    "rejected": N_("not adopted"),
    "withdrawn": N_("withdrawn"),
}


async def _open_recall(ctx: Context, term: RoleTerm) -> int | None:
    """The number of a recall of this term whose proposal is still open, if any."""
    for r in await recalls.of_term(ctx.session, term.id):
        found = await decisions.by_number(ctx.session, ctx.collective_id, r.proposal_number)
        if found is not None and found.status == "open":
            return found.number
    return None


@practice.command(
    "recall",
    Role("role"),
    Text("reason", max_length=MAX_REASON),
    summary=N_("Propose to end a role holder's term early; adopted, rotation picks someone else."),
    examples=("!recall facilitation meetings were cancelled three times without notice",),
)
async def recall(ctx: Context, role: RoleRecord, reason: str) -> None:
    if not normalise(reason):
        raise UsageError(_("Missing reason."))
    term = await roles.current_term(ctx.session, role.id)
    if term is None or term.user_id is None:
        await ctx.reply(
            _(
                "**{r}** has no holder now, so there is no term to recall. "
                "`{p}role claim {r}` takes it."
            ),
            r=role.name,
            p=ctx.prefix,
        )
        return
    if term.user_id == ctx.author:
        await ctx.reply(
            _(
                "{who} holds **{r}**: no recall is needed to stop. `{p}role release {r} "
                "[handover notes]` gives it up now."
            ),
            who=await ctx.mention(ctx.author, ping=False),
            r=role.name,
            p=ctx.prefix,
        )
        return
    holder = await ctx.mention(term.user_id, ping=False)
    pending = await _open_recall(ctx, term)
    if pending is not None:
        await ctx.reply(
            _(
                "A recall of {holder}'s term as **{r}** is already open: proposal #{n}. "
                "Answer it there; `{p}proposal {n}` shows it."
            ),
            holder=holder,
            r=role.name,
            n=pending,
            p=ctx.prefix,
        )
        return
    now = ctx.now()
    rule = ctx.settings.decision_rule
    closes = closing_time(now, ctx.settings.decision_open_days, ctx.settings.timezone)
    text = _(RECALL).format(role=role.name, since=ctx.date(term.started_at), reason=reason)
    made = await decisions.propose(
        ctx.session, ctx.collective_id, text, ctx.author, now, closes_at=closes, rule=rule
    )
    await recalls.add(
        ctx.session, ctx.collective_id, role.id, term.id, term.user_id, ctx.author, made.number, now
    )
    await ctx.audit(
        "role.recall_opened",
        members={"holder": term.user_id},
        role=role.name,
        proposal=made.number,
    )
    # `{answers}` is a template of its own, with `{p}` and `{n}`: put in before filling.
    template = _(
        "{who} asks the group to recall {holder} from **{r}**: {reason}\n"
        "Proposal **#{n}**, open until {closes}, decided by {rule} like any proposal; "
        "{holder} answers too. Answer with {answers}. Adopted, the term ends at once and "
        "rotation picks the next holder, not {holder}."
    ).replace("{answers}", _(ANSWER_HELP))
    await ctx.call(
        template,
        who=await ctx.mention(ctx.author, ping=False),
        holder=await ctx.mention(term.user_id),  # told now, with a notification
        r=role.name,
        reason=reason,
        n=made.number,
        closes=ctx.time(closes),
        rule=rule_words(rule),
        p=ctx.prefix,
    )


@on_close
async def settle(ctx: Context) -> None:
    """Record the outcome of each recall whose proposal has closed, once; an adopted one
    ends its term (if it still runs) and rotation fills the role without the holder."""
    for r in await recalls.unsettled(ctx.session, ctx.collective_id):
        found = await decisions.by_number(ctx.session, ctx.collective_id, r.proposal_number)
        if found is not None and found.status == "open":
            continue
        r.result = found.status if found is not None else "withdrawn"
        r.settled_at = ctx.now()
        role = await ctx.session.get(RoleRecord, r.role_id)
        if role is None:  # roles are never deleted; a guard all the same
            continue
        if r.result == "adopted":
            await _carry_out(ctx, r, role)
            continue
        await ctx.audit(
            "role.recall_failed",
            automatic=True,
            members={"holder": r.holder},
            role=role.name,
            proposal=r.proposal_number,
            status=r.result,
        )
        await ctx.say(
            _(
                "The recall of {holder} from **{r}** (proposal #{n}) was {result}: {holder} "
                "keeps it."
            ),
            holder=await ctx.mention(r.holder, ping=False),
            r=role.name,
            n=r.proposal_number,
            result=_(RESULT.get(r.result, r.result)),
        )


async def _carry_out(ctx: Context, r: RoleRecall, role: RoleRecord) -> None:
    """End the recalled term now and let the fairness rule pick the next holder, leaving
    the recalled member out (the pool may be empty: then the role is vacant)."""
    now = ctx.now()
    term = await ctx.session.get(RoleTerm, r.term_id) if r.term_id is not None else None
    if term is None or term.ended_at is not None or term.user_id != r.holder:
        await ctx.audit(
            "role.recall_moot",
            automatic=True,
            members={"holder": r.holder},
            role=role.name,
            proposal=r.proposal_number,
        )
        await ctx.say(
            _(
                "The recall of {holder} from **{r}** (proposal #{n}) is adopted, but that term "
                "had already ended: nothing more changes."
            ),
            holder=await ctx.mention(r.holder, ping=False),
            r=role.name,
            n=r.proposal_number,
        )
        return
    term.ended_at = now
    people = [m for m in await available(ctx, now) if m.user_id != r.holder]
    busy = {
        t.user_id
        for t in await roles.open_terms(ctx.session, ctx.collective_id)
        if t.role_id != role.id and t.user_id is not None
    }
    pool = await candidates(ctx, role, now, busy, people)
    choice = choose(pool, r.holder, random.SystemRandom())
    values: dict[str, object] = {
        "holder": await ctx.mention(r.holder),
        "r": role.name,
        "n": r.proposal_number,
        "p": ctx.prefix,
    }
    template = _("{holder}: the group recalled you from **{r}** (proposal #{n} is adopted).")
    members: dict[str, str | None] = {"holder": r.holder}
    if choice is None:
        template += " " + _("Nobody else is available: it is vacant. `{p}role claim {r}` takes it.")
    else:
        ends = term_end(ctx, now, role.term)
        await roles.start_term(ctx.session, role.id, choice.user_id, now, ends, "recall")
        r.next_holder = choice.user_id
        members["next"] = choice.user_id
        values.update(new=await ctx.mention(choice.user_id), ends=ctx.time(ends))
        template += " " + _("By the rotation rule {new} holds it now, until {ends}.")
        if choice.draw:
            names = [(await ctx.mention(u, ping=False)).label for u in choice.tied]
            values["tied"] = ", ".join(names)
            template += " " + _("Drawn at random among {tied}, who were equally due.")
            members.update({f"tied.{i}": u for i, u in enumerate(choice.tied)})
        if term.handover_notes:
            values["notes"] = term.handover_notes
            template += " " + _("Handover notes left: {notes}")
    await ctx.audit(
        "role.recalled" if choice else "role.recalled_vacant",
        automatic=True,
        members=members,
        role=role.name,
        proposal=r.proposal_number,
    )
    await ctx.announce(template, **values)


@practice.job("role-recall", lambda settings: HOURLY)
async def settle_hourly(ctx: Context) -> None:
    """Hourly: a recall whose proposal closed some other way is settled all the same."""
    await settle(ctx)


@practice.command(
    "role history",
    Role("role"),
    summary=N_("Who held a role, since when and how, with any recall and its outcome."),
    examples=("!role history facilitation",),
)
async def history(ctx: Context, role: RoleRecord) -> None:
    terms = await roles.terms_of(ctx.session, role.id, HISTORY_LIMIT)
    if not terms:
        await ctx.reply(
            _("Nobody has held **{r}** yet. `{p}role claim {r}` takes it."),
            r=role.name,
            p=ctx.prefix,
        )
        return
    by_term: dict[int | None, list[RoleRecall]] = {}
    for r in await recalls.of_role(ctx.session, role.id):
        by_term.setdefault(r.term_id, []).append(r)
    rows = []
    for t in terms:
        notes = []
        for r in reversed(by_term.get(t.id, [])):
            result = _(RESULT[r.result]) if r.result in RESULT else _("open")
            notes.append(
                _("recall asked by {who}, proposal #{n}: {result}").format(
                    who=(await ctx.mention(r.asked_by, ping=False)).label,
                    n=r.proposal_number,
                    result=result,
                )
            )
        until = t.ended_at or t.ends_at
        rows.append(
            {
                "who": await ctx.mention(t.user_id, ping=False),
                "start": ctx.date(t.started_at),
                "end": ctx.date(until)
                if t.ended_at
                else _("{day} (running)").format(day=ctx.date(until)),
                "how": _(HOW[t.how]) if t.how in HOW else t.how,
                "recalls": "; " + "; ".join(notes) if notes else "",
            }
        )
    await ctx.reply(
        _("**History of {r}**, newest first") + "\n{rows}",
        r=role.name,
        rows=Rows(_("- {start} to {end}: {who}, {how}") + "{recalls}", rows, limit=HISTORY_LIMIT),
    )
