"""Runs an aiohttp app on its own event loop in its own thread, so the host's threads never
share a loop with the server. Binds 127.0.0.1 unless told otherwise; port 0 picks a free port
(read it back from ``port``)."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Self

from aiohttp import web

from livehost.errors import LivehostError

log = logging.getLogger(__name__)


class ServerThread:
    def __init__(self, app: web.Application, host: str = "127.0.0.1", port: int = 8765, *,
                 shutdown_timeout_s: float = 2.0) -> None:
        self.app, self.host, self.shutdown_timeout_s = app, host, shutdown_timeout_s
        self._port = port
        self._ready = threading.Event()
        self._error: OSError | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked for), once started."""
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    def start(self, timeout: float = 10.0) -> None:
        """Returns once the server listens; raises LivehostError when it cannot."""
        self._thread = threading.Thread(target=self._run, name="api-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise LivehostError(f"API server on {self.host}:{self._port} did not start "
                                f"within {timeout:.0f} s")
        if self._error is not None:
            raise LivehostError(f"API server cannot listen on {self.host}:{self._port}: "
                                f"{self._error.strerror or self._error}")

    def stop(self, timeout: float = 5.0) -> None:
        """Closes open event streams and connections; idempotent."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:
                pass  # the loop closed in between
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=self.shutdown_timeout_s)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._port)
            try:
                await site.start()
            except OSError as exc:
                self._error = exc
                return
            self._port = runner.addresses[0][1]
            log.info("API listening on %s", self.url)
            self._ready.set()
            await self._stopping.wait()
        finally:
            self._ready.set()
            await runner.cleanup()
