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
