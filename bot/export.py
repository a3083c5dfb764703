"""`flattening export`: a collective's records as the same Markdown file `!export` uploads,
read from the configured database only (no homeserver, no login)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Config
from bot.database import Database
from handlers.exports import Export, build
from handlers.i18n import speaking
from storage import collectives
from storage.engine import current_revision, head_revision


class ExportError(Exception):
    """Why there is nothing to export, worded for the person running the command."""


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        return Path(str(parsed.database))
    return None


async def export(config: Config, room_id: str, what: str, now: datetime) -> Export:
    """The export of one collective, as of `now`. The database is only read: a schema
    older or newer than this version is refused rather than upgraded."""
    file = _sqlite_file(config.database_url)
    if file is not None and not file.exists():
        raise ExportError(f"no database at {file} (see [storage] database_url in {config.path})")
    db = Database(config.database_url)
    try:
        try:
            current, head = await current_revision(db.engine), head_revision()
        except Exception as exc:
            where = make_url(config.database_url).render_as_string(hide_password=True)
            raise ExportError(f"cannot open the database {where}: {exc}") from exc
        if current != head:
            raise ExportError(
                f"the database is at schema revision {current or '(none)'}, this version of "
                f"Flattening reads {head}: start the bot once with `flattening run` to upgrade "
                "it, or export with the version that wrote it"
            )
        async with db.transaction() as session:
            collective = await collectives.by_room(session, room_id)
            if collective is None or collective.is_direct:
                rooms = [c.room_id for c in await collectives.joined(session) if not c.is_direct]
                known = ", ".join(rooms[:10]) + (", ..." if len(rooms) > 10 else "")
                raise ExportError(
                    f"no collective with room id {room_id} in this database "
                    f"(collectives: {known or 'none yet'})"
                )
            settings = config.for_room(room_id)
            with speaking(settings.language):  # the file is the members', in their language
                return await build(session, collective, settings, what, now)
    finally:
        await db.close()
