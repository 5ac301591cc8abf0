"""The event bus seen from asyncio, and ``GET /api/events`` as Server-Sent Events.

The bus's publisher (any thread) only schedules a wake-up on the server's loop; the loop only
takes from the subscription's own queue. Neither ever waits for the other."""

from __future__ import annotations

import asyncio

from aiohttp import web

from livehost.media.events import EventBus

from .encode import dumps


class AsyncSubscription:
    """A bus subscription whose waiting is awaitable. Create it on the loop that uses it."""

    def __init__(self, bus: EventBus, max_queue: int = 1000) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._wake_scheduled = False  # one wake-up in flight covers every event before it
        self._sub = bus.subscribe(max_queue, notify=self._notify)

    def _notify(self) -> None:
        if self._wake_scheduled:
            return
        self._wake_scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._woken)
        except RuntimeError:
            pass  # the loop has closed: nobody is waiting any more

    def _woken(self) -> None:
        self._wake_scheduled = False
        self._wake.set()

    def drain(self) -> tuple[list[dict], int]:
        return self._sub.drain()

    async def wait(self, timeout: float) -> bool:
        """True once an event is waiting (or the subscription closed); False on timeout."""
        self._wake.clear()
        if self._sub.pending or self._sub.closed:
            return True
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            return False
        return True

    @property
    def closed(self) -> bool:
        return self._sub.closed

    def close(self) -> None:
        self._sub.close()


def sse_data(event: dict) -> bytes:
    return f"data: {dumps(event)}\n\n".encode()


async def stream_events(request: web.Request, bus: EventBus, streams: set[AsyncSubscription], *,
                        keepalive_s: float, max_queue: int) -> web.StreamResponse:
    """Every published event as ``data: {json}``; a comment line every ``keepalive_s`` of
    quiet; ``: dropped N`` when this client fell so far behind that events were lost. Ends
    when the client goes away or the server shuts down (which closes ``streams``)."""
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no"})
    sub = AsyncSubscription(bus, max_queue)
    streams.add(sub)
    try:
        await response.prepare(request)
        await response.write(b": connected\n\n")
        reported_drops = 0
        while not sub.closed:
            if not await sub.wait(keepalive_s):
                await response.write(b": keep-alive\n\n")
                continue
            events, dropped = sub.drain()
            chunk = bytearray()
            if dropped != reported_drops:  # the lost events came before these
                chunk += f": dropped {dropped - reported_drops}\n\n".encode()
                reported_drops = dropped
            for event in events:
                chunk += sse_data(event)
            if chunk:
                await response.write(bytes(chunk))
    except ConnectionError:
        pass  # the client went away
    finally:
        streams.discard(sub)
        sub.close()
    return response
