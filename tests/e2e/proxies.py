"""Faults on loopback, for the end-to-end tests: a TCP proxy that can be cut (a database
server going away) and an HTTP proxy that can answer 500s or hang (a homeserver in
trouble). Each runs its own event loop in a thread, so the tests' blocking waits (the bot
process's log) never stall the traffic they are waiting for.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from bot.synapse import free_port


class _Threaded:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


class TcpProxy(_Threaded):
    """127.0.0.1:port -> target. `cut()`: every connection dropped and new ones refused,
    as when the server behind restarts; `restore()`: it listens again."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__()
        self.target = (host, port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.WriteTransport] = set()
        self.connections = 0
        self.restore()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(Exception):
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        pair = {writer.transport, up_writer.transport}
        self._transports |= pair
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._transports -= pair

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    def cut(self) -> None:
        self.call(self._cut())

    def restore(self) -> None:
        self.call(self._listen())

    def close(self) -> None:
        self.cut()
        self._stop_loop()


class HttpFaultProxy(_Threaded):
    """A reverse proxy for a homeserver. `fail("500")`: every request is answered with an
    HTTP 500; `fail("hang")`: requests get no answer (the connection is dropped when the
    fault ends); either way, requests in flight (a long-poll sync) are dropped at once.
    `heal()`: traffic flows again."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target.rstrip("/")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.mode = "ok"
        self.answered: dict[str, int] = {"ok": 0, "500": 0, "hang": 0}
        self._healed: asyncio.Event | None = None
        self._in_flight: set[asyncio.BaseTransport] = set()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self.call(self._start())

    async def _start(self) -> None:
        self._healed = asyncio.Event()
        self._healed.set()
        self._session = ClientSession(timeout=ClientTimeout(total=None))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self._healed is not None and self._session is not None
        transport = request.transport
        if self.mode == "500":
            self.answered["500"] += 1
            return web.json_response({"errcode": "M_UNKNOWN", "error": "injected"}, status=500)
        if self.mode == "hang":
            self.answered["hang"] += 1
            await self._healed.wait()
            if transport is not None:
                transport.abort()
            raise ConnectionResetError("dropped by the fault proxy")
        self.answered["ok"] += 1
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("authorization", "content-type")
        }
        if transport is not None:
            self._in_flight.add(transport)
        try:
            async with self._session.request(
                request.method,
                self.target + request.path_qs,
                headers=headers,
                data=await request.read(),
            ) as upstream:
                body = await upstream.read()
                kind = upstream.headers.get("Content-Type", "application/json")
                return web.Response(
                    status=upstream.status, body=body, headers={"Content-Type": kind}
                )
        finally:
            if transport is not None:
                self._in_flight.discard(transport)

    async def _set(self, mode: str) -> None:
        assert self._healed is not None
        self.mode = mode
        if mode == "ok":
            self._healed.set()
            return
        self._healed.clear()
        for transport in list(self._in_flight):
            transport.abort()
        self._in_flight.clear()

    def fail(self, mode: str) -> None:
        assert mode in ("500", "hang")
        self.call(self._set(mode))

    def heal(self) -> None:
        self.call(self._set("ok"))

    async def _stop(self) -> None:
        await self._set("ok")
        for transport in list(self._in_flight):  # a long poll would hold the shutdown up
            transport.abort()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def close(self) -> None:
        self.call(self._stop())
        self._stop_loop()
