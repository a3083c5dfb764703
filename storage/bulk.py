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


def insert_once(session: AsyncSession, table: Any, key: str, returning: str | None = None) -> Any:
    """`INSERT ... ON CONFLICT (key) DO NOTHING RETURNING ...` on a Core table, built once
    per dialect and given its values at execution: on a hot path (every event, every
    message queued) this skips building and coercing a statement each time."""
    dialect = session.get_bind().dialect.name
    back = returning or key
    found = _ONCE.get((dialect, table.name, key, back))
    if found is None:
        base = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        found = base.on_conflict_do_nothing(index_elements=[key]).returning(table.c[back])
        _ONCE[(dialect, table.name, key, back)] = found
    return found


def upsert_once(session: AsyncSession, table: Any, key: str, columns: tuple[str, ...]) -> Any:
    """`INSERT ... ON CONFLICT (key) DO UPDATE` of `columns` to the values given at
    execution, built once per dialect (as `insert_once`)."""
    dialect = session.get_bind().dialect.name
    found = _ONCE.get((dialect, table.name, key, "=" + ",".join(columns)))
    if found is None:
        base = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        found = base.on_conflict_do_update(
            index_elements=[key], set_={c: base.excluded[c] for c in columns}
        )
        _ONCE[(dialect, table.name, key, "=" + ",".join(columns))] = found
    return found
