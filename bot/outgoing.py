"""Messages queued in the transaction that caused them, with idempotent transaction ids."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatter, poll_events
from handlers.context import MARKER, Clock, Message
from storage import outbox
from storage.outbox import Queued

RENDER_PREFIX = "render/"  # an attachment stored as a spec, rendered by the sender


def txn_id(cause: str, n: int) -> str:
    """Same cause, same id: a replayed batch is answered by the homeserver with the first event."""
    digest = hashlib.sha256(cause.encode()).hexdigest()[:32]
    return f"flat.{digest}.{n}"


class QueuedOutgoing:
    """The `Outgoing` a context posts through: renders now, sends after commit (or, for a
    read-only command's answer, right away: between `hold` and `release`)."""

    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        cause: str,
        account: str,
        early: Callable[[Queued], None] | None = None,
    ) -> None:
        """`account`: the bot account that sends what is posted (several may share one
        database). `early`: sends a queued row before its transaction commits (the
        sender's `send_early`); None, never."""
        self.session = session
        self.clock = clock
        self.cause = cause
        self.account = account
        self.count = 0
        self.early = early
        self._now = False

    def hold(self) -> None:
        """What is posted from now on answers a command that changes nothing: send it as it
        is posted, before the batch commits (until `release`)."""
        self._now = self.early is not None

    def release(self) -> None:
        """The read-only command is done: what is posted after it waits for the commit."""
        self._now = False

    def _send_now(self, row: Queued) -> None:
        """Send a read-only command's answer at once, as it is queued. Its row is still
        committed with the batch (the sender deletes it once the early send went through).
        Not when another message for the room was queued earlier in this transaction (a
        second answer of the same command too): the room's order. A handler that posts and
        then fails has posted all the same (a read-only handler posts last)."""
        if self.early is None or any(
            q.room_id == row.room_id for q in outbox.queued_from(self.session.info)
        ):
            return
        self.early(row)

    async def post(self, message: Message) -> None:
        content = formatter.content(
            message.template,
            message.values,
            message.reply_to,
            notify=message.notify,
            thread=message.thread,
        )
        event_type = "m.room.message"
        if message.poll is not None:
            poll = message.poll
            event_type = poll_events.END if poll.ends else poll_events.START
            content = (
                poll_events.end(poll.ends, content["body"])
                if poll.ends
                else poll_events.start(poll.question, poll.options)
            )
        if message.marker is not None:
            content[MARKER] = message.marker
        attachment = None
        relates = {"m.relates_to": content["m.relates_to"]} if "m.relates_to" in content else {}
        if message.image is not None:
            image = message.image
            info: dict[str, object] = {"mimetype": image.mimetype, "size": len(image.data)}
            if image.width and image.height:
                info.update(w=image.width, h=image.height)
            # The plain description is the image's body: its alt text, and its caption where
            # clients show one (a body other than `filename` is a caption); the URL is added
            # at upload.
            content = {
                "msgtype": "m.image",
                "body": content["body"] or image.filename,
                "filename": image.filename,
                "info": info,
                "m.mentions": {},
                **relates,
            }
            kind = f"{RENDER_PREFIX}{image.renderer}" if image.renderer else image.mimetype
            attachment = (image.data, kind)
        elif message.file is not None:
            file = message.file
            # Clients show the body as the file's name; the URL (or the encrypted file's
            # keys) is added at upload.
            content = {
                "msgtype": "m.file",
                "body": file.filename,
                "filename": file.filename,
                "info": {"mimetype": file.mimetype, "size": len(file.data)},
                "m.mentions": {},
                **relates,
            }
            attachment = (file.data, file.mimetype)
        self.count += 1
        txn = txn_id(self.cause, self.count)
        if self._now and attachment is None and message.direct_to is None:
            # (The row's id is not needed.)
            self._send_now(
                Queued(
                    id=0,
                    room_id=message.room_id,
                    event_type=event_type,
                    content=json.dumps(content),
                    txn_id=txn,
                    attempts=0,
                    direct_to=None,
                    attachment=None,
                    attachment_type=None,
                    account=self.account,
                )
            )
            # SQLite statements do not wait (`storage/sqlite_inline.py`): give the send its
            # turn now, so the request is on its way while the batch goes on.
            await asyncio.sleep(0)
        await outbox.enqueue(
            self.session,
            message.room_id,
            txn,
            content,
            self.clock.now(),
            event_type=event_type,
            attachment=attachment,
            direct_to=message.direct_to,
            account=self.account,
        )
