"""Direct chats: which collective a member's answer belongs to, and what a stranger hears.

A direct chat is a room with one person. Whatever they write there that is not a
command is an answer to a question some practice put to them (a reflection round, a
check-in) in one of their collectives, or nothing at all. The practices declare their
questions (`Practice.answers`); here the bot finds the one collective waiting for this
answer, asks the member which one when two could be meant, and never keeps, counts or
logs a text that nothing was waiting for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from handlers import i18n
from handlers.context import Context, Rows
from handlers.i18n import N_, _
from handlers.registry import DirectAnswers, Registry
from storage import collectives, direct
from storage.engine import refuses_writes
from storage.models import Collective

log = logging.getLogger(__name__)

STRANGER = N_(
    "Hello! I only work with members of the groups I serve, and you are not in any of "
    "them, so I cannot help you here. I kept nothing of what you wrote."
)
NOT_PRIVATE = N_(
    "This chat has more people in it than you and me, so it is not private: I take "
    "answers only in a direct chat with one person. I kept nothing of what you wrote."
)
NO_GROUP = N_(
    "You are not in any of the groups I serve now, so nothing waits for an answer from "
    "you; I kept nothing of what you wrote. `{p}mydata` and `{p}forgetme` still work here."
)
NOTHING_OPEN = N_(
    "Nothing is waiting for an answer from you right now, so I kept nothing of what you "
    "wrote. Commands work here too: `{p}mydata`, `{p}forgetme`, `{p}privacy`, `{p}help`."
)
WRONG_SHAPE = N_(
    "That does not look like an answer to what is open for you, so I kept nothing of it:\n{open}"
)
WHICH = N_(
    "More than one of your groups is waiting for an answer like this: {groups}. I kept "
    "nothing of it. Say which group your answers here are for with `{p}for <group>` "
    "(for example `{p}for {first}`), then send it again."
)
FAILED = N_(
    "Sorry, something went wrong while keeping that; nothing was kept. Please send it again."
)
# One row of WRONG_SHAPE: what is open (`DirectAnswers.what`), in which group, and what an
# answer looks like (`DirectAnswers.shape`).
OPEN_ROW = N_("- {what} of {group}: {shape}")


def group_name(collective: Collective) -> str:
    return collective.name or collective.room_id


async def route(
    dm: Context,
    registry: Registry,
    text: str,
    context_for: Callable[[Collective], Context],
) -> None:
    """Give `text`, written by `dm.author` in their direct chat, to the one question that
    waits for it; otherwise say why nothing was kept.

    Each collective's context speaks that collective's language; what is said in the
    direct chat itself is in the direct chat's (`dm`), and an answer is taken (and
    acknowledged) in the language of the group it is for."""
    mine = await collectives.memberships(dm.session, dm.author, dm.runtime.user_id)
    if not mine:
        await dm.reply(_(NO_GROUP), p=dm.prefix)
        return
    open_: list[tuple[Collective, Context, DirectAnswers]] = []
    for collective in mine:
        ctx = context_for(collective)
        for answers in registry.direct_answers:
            if await answers.waiting(ctx):
                open_.append((collective, ctx, answers))
    i18n.use(dm.settings.language)  # each collective's context set its own language
    if not open_:
        await dm.reply(_(NOTHING_OPEN), p=dm.prefix)
        return
    fitting: dict[int, tuple[Collective, Context, DirectAnswers]] = {}
    for collective, ctx, answers in open_:
        if answers.accepts(text) and collective.id not in fitting:
            fitting[collective.id] = (collective, ctx, answers)
    if not fitting:
        rows = [
            {"what": _(a.what), "group": group_name(c), "shape": _(a.shape)} for c, _ctx, a in open_
        ]
        await dm.reply(_(WRONG_SHAPE), open=Rows(_(OPEN_ROW), rows))
        return
    if len(fitting) > 1:
        chat = await direct.chat(dm.session, dm.author, dm.runtime.user_id)
        focus = chat.focus_collective_id if chat else None
        if focus not in fitting:
            names = [group_name(c) for c, _ctx, _a in fitting.values()]
            await dm.reply(_(WHICH), groups=", ".join(names), first=names[0], p=dm.prefix)
            return
        chosen = fitting[focus]
    else:
        [chosen] = fitting.values()
    _chosen, ctx, answers = chosen
    try:
        async with dm.session.begin_nested():
            with i18n.speaking(ctx.settings.language):
                await answers.take(ctx, text)
    except Exception as exc:
        if refuses_writes(exc):
            raise  # the host's: the whole batch waits for writes
        # Never the text, never who: only that keeping an answer failed, and how.
        log.error("keeping a direct answer for %s failed: %r", answers.practice, type(exc))
        await dm.reply(_(FAILED))
