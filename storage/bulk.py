"""Helpers for doing a batch's work in few statements: dialect-specific `INSERT ... ON
CONFLICT`, and what a transaction has already read, kept for the rest of it.

A session is one transaction (`bot/database.py`), so what is kept in `session.info` is
never older than the transaction that reads it; an object kept there is trusted only
while the session still holds it unchanged by a rolled-back savepoint or a bulk delete.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, model: Any) -> Any:
    """An `INSERT` that knows `ON CONFLICT` on the session's database (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def fresh(obj: object) -> bool:
    """Whether an ORM object kept from earlier in the transaction can be used as it is:
    still in the session, not deleted, and nothing of it expired (a savepoint rolled back)."""
    state: Any = inspect(obj)
    return not (state.deleted or state.detached or state.was_deleted or state.expired_attributes)


_ONCE: dict[tuple[str, str, str, str], Any] = {}


def _once(session: AsyncSession, table: Any, key: str, shape: str, build: Any) -> Any:
    """The statement `build(insert)` for this table and dialect, built the first time only:
    on a hot path (every event, every message queued, every batch's token) that skips
    building and coercing a statement each time; the values are given at execution."""
    dialect = session.get_bind().dialect.name
    found = _ONCE.get((dialect, table.name, key, shape))
    if found is None:
        base = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        found = _ONCE[(dialect, table.name, key, shape)] = build(base)
    return found


def insert_once(session: AsyncSession, table: Any, key: str, returning: str | None = None) -> Any:
    """`INSERT ... ON CONFLICT (key) DO NOTHING RETURNING returning` on a Core table."""
    back = returning or key
    return _once(
        session,
        table,
        key,
        back,
        lambda base: base.on_conflict_do_nothing(index_elements=[key]).returning(table.c[back]),
    )


def upsert_once(session: AsyncSession, table: Any, key: str, columns: tuple[str, ...]) -> Any:
    """`INSERT ... ON CONFLICT (key) DO UPDATE` of `columns` on a Core table."""
    return _once(
        session,
        table,
        key,
        "=" + ",".join(columns),
        lambda base: base.on_conflict_do_update(
            index_elements=[key], set_={c: base.excluded[c] for c in columns}
        ),
    )
