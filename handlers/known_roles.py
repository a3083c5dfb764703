"""The collective's roles, with the configured default roles made when first needed.

Shared by the argument kind that names a role (`handlers/arguments.py`) and the roles
practice (`handlers/roles/`), so that reading a command's arguments needs nothing of
rotation.
"""

from __future__ import annotations

from handlers.context import Context
from handlers.i18n import N_
from storage import roles
from storage.models import Role

# Kept in English when a default role is created, and shown translated (`scope_words`).
DEFAULT_SCOPES = {
    "facilitation": N_("runs meetings: agenda order, the speaking stack, time"),
    "notes": N_("takes the meeting notes and posts them"),
    "agenda": N_("collects agenda items before each meeting"),
}


async def ensure_roles(ctx: Context) -> list[Role]:
    """The collective's roles; configured defaults are created when missing."""
    existing = {r.name: r for r in await roles.all_roles(ctx.session, ctx.collective_id)}
    for name in ctx.settings.roles:
        if name not in existing:
            scope = DEFAULT_SCOPES.get(name, "")
            existing[name] = await roles.add_role(
                ctx.session, ctx.collective_id, name, ctx.settings.role_term, scope, None, ctx.now()
            )
    return sorted(existing.values(), key=lambda r: r.id)
