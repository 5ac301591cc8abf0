"""The API: chat in, operator lines, interrupt, status and the live event stream.

Routes (DESIGN.md, Contracts): POST /api/chat, POST /api/say, POST /api/interrupt,
GET /api/status, GET /api/events (SSE), GET /health. Every /api/* route needs
``Authorization: Bearer TOKEN``; every error is JSON ``{"error": "..."}``. Calls into the host
run on a small thread pool, so a slow one never stalls the event loop (or the event stream).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from livehost.errors import LivehostError
from livehost.media.events import EventBus
from livehost.media.frames import ChatMessage
from livehost.sources.base import HookSource

from livehost.sources.bodies import B, BodyError, ChatBody, InterruptBody, SayBody, parse_body
from .control import HostControl
from .encode import dumps
from .stream import stream_events

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
HOOK_MAX_BODY = 1024 * 1024  # a platform's batch of messages
_STREAMS = web.AppKey("streams", set)
_POOL = web.AppKey("pool", ThreadPoolExecutor)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def _json(data, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps)


def json_errors(max_body: int):
    """Every failure as ``{"error": ...}``; a refused body names its field."""

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except BodyError as exc:
            return _error(400, str(exc))
        except LivehostError as exc:  # the host refused it, saying why
            return _error(400, str(exc))
        except web.HTTPRequestEntityTooLarge as exc:
            return _error(413, f"body: larger than {getattr(exc, 'limit', max_body)} bytes")
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
            return _error(exc.status, exc.reason, allow)
        except Exception:
            log.exception("API request %s %s failed", request.method, request.path)
            return _error(500, "internal error")

    return middleware


def create_app(host: HostControl, token: str, events: EventBus, *, max_body: int = MAX_BODY,
               keepalive_s: float = 15.0, events_queue: int = 1000,
               host_timeout_s: float = 5.0, webrtc=None, hooks: Sequence[HookSource] = (),
               hook_max_body: int = HOOK_MAX_BODY, hook_timeout_s: float = 1.5) -> web.Application:
    """``webrtc``: a WebRTCSink whose signalling routes and viewer page the app serves.
    ``hooks``: push sources (Douyin, signed webhooks) served on their ``path``; they check
    their own signatures (no bearer token) and are answered within ``hook_timeout_s``."""
    if not token:
        raise LivehostError("the API needs a token (set LIVEHOST_API_TOKEN)")
    expected = token.encode()

    @web.middleware
    async def bearer_auth(request: web.Request, handler) -> web.StreamResponse:
        if request.path.startswith("/api/"):
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            # compare_digest: the time taken says nothing about how much of a guess was right
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                     expected):
                return _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
        return await handler(request)

    async def read_raw(request: web.Request, limit: int) -> bytes:
        size = request.content_length
        if size is None or size <= limit:
            size = len(body := await request.read())
        if size > limit:
            exc = web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
            exc.limit = limit
            raise exc
        return body

    async def read_body(request: web.Request, model: type[B], optional: bool = False) -> B:
        return parse_body(model, await read_raw(request, max_body), optional=optional)

    def hook_route(source: HookSource):
        async def receive(request: web.Request) -> web.Response:
            body = await read_raw(request, hook_max_body)
            loop = asyncio.get_running_loop()
            work = loop.run_in_executor(app[_POOL], source.receive, dict(request.headers), body)
            try:
                reply = await asyncio.wait_for(work, hook_timeout_s)
            except TimeoutError:  # platforms count slow replies as failures: answer anyway
                return _error(503, f"{source.name}: busy, not taken")
            return _json(reply.body, reply.status)

        return receive

    async def call_host(fn: Callable, *args) -> object:
        loop = asyncio.get_running_loop()
        try:
            work = loop.run_in_executor(app[_POOL], fn, *args)
            return await asyncio.wait_for(work, host_timeout_s)
        except TimeoutError:
            raise web.HTTPServiceUnavailable(reason="the host did not answer in time") from None

    async def post_chat(request: web.Request) -> web.Response:
        body = await read_body(request, ChatBody)
        msg = ChatMessage(platform="api", user=body.user, text=body.text, id=body.id,
                          kind=body.kind, user_id=body.user, amount=body.amount,
                          currency=body.currency)
        return _json({"id": await call_host(host.post_chat, msg)}, 202)

    async def post_say(request: web.Request) -> web.Response:
        body = await read_body(request, SayBody)
        return _json({"id": await call_host(host.say, body.text)}, 202)

    async def post_interrupt(request: web.Request) -> web.Response:
        body = await read_body(request, InterruptBody, optional=True)
        await call_host(host.interrupt, body.reason)
        return _json({"ok": True}, 202)

    async def get_status(request: web.Request) -> web.Response:
        return _json(await call_host(host.status))

    async def get_events(request: web.Request) -> web.StreamResponse:
        return await stream_events(request, events, app[_STREAMS], keepalive_s=keepalive_s,
                                   max_queue=events_queue)

    async def health(request: web.Request) -> web.Response:
        return _json({"ok": True})

    async def close_streams(app: web.Application) -> None:
        for sub in list(app[_STREAMS]):
            sub.close()  # each open event stream sees it and ends

    async def stop_pool(app: web.Application) -> None:
        app[_POOL].shutdown(wait=False, cancel_futures=True)

    app = web.Application(middlewares=[json_errors(max_body), bearer_auth],
                          client_max_size=max(max_body, hook_max_body if hooks else 0))
    app[_STREAMS] = set()
    app[_POOL] = ThreadPoolExecutor(max_workers=4, thread_name_prefix="api-host")
    app.router.add_post("/api/chat", post_chat)
    app.router.add_post("/api/say", post_say)
    app.router.add_post("/api/interrupt", post_interrupt)
    app.router.add_get("/api/status", get_status)
    app.router.add_get("/api/events", get_events)
    app.router.add_get("/health", health)
    for source in hooks:
        app.router.add_post(source.path, hook_route(source))
    if webrtc is not None:
        from .webrtc import add_webrtc_routes

        add_webrtc_routes(app, webrtc, token)
    app.on_shutdown.append(close_streams)
    app.on_cleanup.append(stop_pool)
    return app
