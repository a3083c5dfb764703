"""Messages queued in the transaction that caused them, with idempotent transaction ids."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatter
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
    read-only command's answer, right away: `hold` and `release`)."""

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
        self._held: list[Queued] | None = None

    def hold(self) -> None:
        """What is posted from now on is the answer of a command that changes nothing: keep
        it for `release`."""
        if self.early is not None:
            self._held = []

    def release(self) -> None:
        """The read-only command is done: send its answer now, before the batch commits.
        Its row is still committed with the batch (the sender deletes it once it knows the
        early send went through). Left to the commit: what a rolled-back savepoint took
        away, and whatever comes after another message queued for the same room in this
        transaction (the room's order)."""
        held, self._held = self._held, None
        if not held or self.early is None:
            return
        kept = outbox.queued_from(self.session.info)
        for row in held:
            at = next((i for i, q in enumerate(kept) if q is row), None)
            if at is None or any(q.room_id == row.room_id for q in kept[:at]):
                continue
            self.early(row)

    async def post(self, message: Message) -> None:
        content = formatter.content(
            message.template,
            message.values,
            message.reply_to,
            notify=message.notify,
            thread=message.thread,
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
            # The plain description doubles as the image's alt text; the URL is added at upload.
            content = {
                "msgtype": "m.image",
                "body": image.filename,
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
        queued = await outbox.enqueue(
            self.session,
            message.room_id,
            txn_id(self.cause, self.count),
            content,
            self.clock.now(),
            attachment=attachment,
            direct_to=message.direct_to,
            account=self.account,
        )
        if (
            queued is not None
            and self._held is not None
            and attachment is None
            and message.direct_to is None
        ):
            self._held.append(queued)
