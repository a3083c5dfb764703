"""Closing a proposal, the one way every path does it (`!decide`, a seconded early close,
the closing time): judged under its rule over the members counted then, with the count, the
quorum, "no quorum" and the second member kept on the record, and the audit entry."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Context
from handlers.decisions import hooks, views
from handlers.decisions.rules import Verdict, verdict
from storage import decisions
from storage.decisions import Tally
from storage.models import Decision


async def audit_close(ctx: Context, action: str, number: int, status: str, t: Tally) -> None:
    """A closed proposal in the audit log: its tally as numbers, worded when read."""
    await ctx.audit(
        action,
        automatic=action == "proposal.closed",
        number=number,
        status=status,
        agree=t.agreed,
        abstain=t.abstained,
        object=t.objected,
        block=t.blocked,
    )
    await hooks.closed(ctx)  # other practices' proposals (a recall) take effect now


async def settle(
    ctx: Context,
    d: Decision,
    at: datetime,
    action: str,
    *,
    by: str | None = None,
    seconded_by: str | None = None,
    asker: str | None = None,
    outcome: str | None = None,
) -> Verdict:
    """Close open proposal `d` as of `at` and audit it as `action` (with the member who
    asked, `asker`, when a second member carried it out)."""
    t = await decisions.tally(ctx.session, d.id)
    members = await views.electorate(ctx, d, at)
    judged = verdict(views.rule_of(ctx, d), t, members)
    d.quorum = members.quorum
    d.members_counted = members.members
    d.no_quorum = judged.no_quorum
    d.seconded_by = seconded_by
    status = "adopted" if judged.adopted else "rejected"
    if outcome is None and judged.adopted:
        outcome = d.text
    await decisions.close(ctx.session, d, status, at, by=by, outcome=outcome)
    shown = "no quorum" if judged.no_quorum else status
    if asker is None:
        await audit_close(ctx, action, d.number, shown, t)
    else:
        await ctx.audit(
            action,
            members={"asker": asker},
            number=d.number,
            status=shown,
            agree=t.agreed,
            abstain=t.abstained,
            object=t.objected,
            block=t.blocked,
        )
    return judged
