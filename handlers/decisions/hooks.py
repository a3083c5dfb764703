"""What other practices do when a proposal closes: a recall ends a term once adopted. A
listener gets the context of whatever closed it (`!decide`, or the hourly closing job) and
reads the proposals it cares about itself; it runs in the same transaction as the close."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.context import Context

Listener = Callable[[Context], Awaitable[None]]
LISTENERS: list[Listener] = []


def on_close(func: Listener) -> Listener:
    """Declare a listener, called after any proposal closes (it must not mind being called
    for proposals it has nothing to do with, or twice)."""
    LISTENERS.append(func)
    return func


async def closed(ctx: Context) -> None:
    for listener in LISTENERS:
        await listener(ctx)
