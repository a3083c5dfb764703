"""Telling a member, once, that the bot could not read their encrypted message (its key
never reached the bot's device), so a command never vanishes silently."""

from __future__ import annotations

import logging

from bot.config import Config
from bot.database import Database
from bot.outgoing import QueuedOutgoing
from bot.undecrypted import Unread
from handlers.context import Clock, Mention, Message
from handlers.i18n import _, speaking
from handlers.names import shown
from storage import collectives
from storage.engine import WritesRefused

log = logging.getLogger(__name__)


async def tell(db: Database, config: Config, clock: Clock, unread: list[Unread]) -> list[Unread]:
    """Queue one notice per unreadable event, in its room's language; returns what is
    still to tell (all of it when writes are refused: the transaction ids are the same,
    so a notice already queued is not queued twice)."""
    if not unread:
        return []
    try:
        async with db.transaction() as session:
            for u in unread:
                collective = await collectives.by_room(session, u.room_id)
                if collective is None or not collective.joined:
                    continue
                if not collectives.serves(collective, config.matrix.user_id):
                    continue
                members = await collectives.members(session, collective.id, bots=True)
                names = shown((m.user_id, m.display_name) for m in members)
                outgoing = QueuedOutgoing(
                    session, clock, f"{u.room_id}|unread|{u.event_id}", config.matrix.user_id
                )
                with speaking(config.for_room(u.room_id).language):
                    await outgoing.post(
                        Message(
                            u.room_id,
                            _(
                                "{who}: the bot could not read your encrypted message (its "
                                "key never reached the bot's device), so it did nothing with "
                                "it. Please send it again."
                            ),
                            {"who": Mention(u.sender, names.get(u.sender))},
                            reply_to=u.event_id,
                            notify=True,
                        )
                    )
    except WritesRefused:
        return unread  # said once by the database; told when writes return
    except Exception:
        log.exception("could not tell members about unreadable messages")
    return []
