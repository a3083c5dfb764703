"""Finding a member from what someone typed: a user id, `@localpart`, or a display name."""

from __future__ import annotations

from handlers.context import Context, Mention
from handlers.registry import UsageError


async def resolve_member(ctx: Context, text: str) -> Mention:
    """A current member (named quietly, without a ping), or a UsageError saying none matched."""
    wanted = text.strip()
    names = await ctx.quiet_names()
    if wanted in names:
        return names[wanted]
    bare = wanted.removeprefix("@").casefold()
    for user_id, mention in names.items():
        localpart = user_id[1:].split(":", 1)[0].casefold()
        if bare in (localpart, (mention.name or "").casefold()):
            return mention
    raise UsageError(f"No current member matches `{wanted[:60]}`.")
