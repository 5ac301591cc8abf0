"""WebRTC signalling and the viewer page.

Routes: ``GET /`` (the viewer page), ``POST /offer`` (JSON ``{"sdp","type"}`` → the answer and
the viewer's id), WHEP: ``POST /whep`` (``application/sdp`` → 201, ``Location: /whep/<id>``,
the answer SDP), ``DELETE /whep/<id>`` (ends that viewer, whichever route it came by),
``PATCH /whep/<id>`` → 405 (every candidate is in the first answer: nothing to trickle), and
``GET /api/webrtc`` (the viewers' counters, Bearer like all of /api/*).

Auth: the page must work in OBS Browser Source from one URL, where no header can be set. So a
viewer on this machine (loopback) needs nothing, and any other gives the API token as
``?token=`` (``/?token=T``; the page passes it on to /offer) or as a Bearer header.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
from importlib.resources import files
from typing import TYPE_CHECKING

from aiohttp import web

from livehost.sources.bodies import BodyError

if TYPE_CHECKING:
    from livehost.sinks.webrtc import WebRTCSink

PAGE = "viewer.html"
CONFIG_SLOT = "/*LIVEHOST_CONFIG*/{}"


def viewer_allowed(remote: str | None, query_token: str, authorization: str, expected: bytes) -> bool:
    """Loopback needs nothing; anyone else the token, as ``?token=`` or a Bearer header."""
    try:
        if ipaddress.ip_address(remote or "").is_loopback:
            return True
    except ValueError:
        pass
    scheme, _, bearer = authorization.partition(" ")
    given = bearer.strip() if scheme.lower() == "bearer" else query_token
    return bool(given) and hmac.compare_digest(given.encode(), expected)


def viewer_page(ice_servers: tuple[str, ...]) -> str:
    # The page gets the STUN servers only: TURN credentials stay on the server.
    page = files(__package__).joinpath(PAGE).read_text(encoding="utf-8")
    stun = [url for url in ice_servers if url.startswith("stun")]
    return page.replace(CONFIG_SLOT, json.dumps({"iceServers": [{"urls": stun}] if stun else []}))


def add_webrtc_routes(app: web.Application, sink: WebRTCSink, token: str) -> None:
    from livehost.sinks.webrtc import ViewerLimit

    expected = token.encode()
    page = viewer_page(sink.config.ice_servers)

    def check_viewer(request: web.Request) -> None:
        if not viewer_allowed(request.remote, request.query.get("token", ""),
                              request.headers.get("Authorization", ""), expected):
            raise web.HTTPUnauthorized(reason="viewers from other machines need ?token=")

    async def answer(sdp: str, kind: str = "offer"):
        try:
            return await sink.connect(sdp, kind)
        except ViewerLimit as exc:
            raise web.HTTPServiceUnavailable(reason=str(exc)) from None

    async def get_page(request: web.Request) -> web.Response:
        check_viewer(request)
        return web.Response(text=page, content_type="text/html",
                            headers={"Cache-Control": "no-store"})

    async def post_offer(request: web.Request) -> web.Response:
        check_viewer(request)
        try:
            body = json.loads(await request.read())
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BodyError("body: not valid JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("sdp"), str):
            raise BodyError("sdp: must be a string")
        viewer_id, local = await answer(body["sdp"], str(body.get("type", "offer")))
        return web.json_response({"sdp": local.sdp, "type": local.type, "id": viewer_id})

    async def post_whep(request: web.Request) -> web.Response:
        check_viewer(request)
        if request.content_type != "application/sdp":
            raise web.HTTPUnsupportedMediaType(reason="body: send the offer as application/sdp")
        viewer_id, local = await answer((await request.read()).decode("utf-8", "replace"))
        return web.Response(status=201, body=local.sdp.encode(), content_type="application/sdp",
                            headers={"Location": f"/whep/{viewer_id}"})

    async def delete_whep(request: web.Request) -> web.Response:
        check_viewer(request)
        if not await sink.disconnect(request.match_info["id"], "ended by the viewer"):
            raise web.HTTPNotFound(reason="no such viewer")
        return web.Response(status=200)

    async def patch_whep(request: web.Request) -> web.Response:
        raise web.HTTPMethodNotAllowed("PATCH", ["DELETE"],
                                       reason="no trickle ICE: every candidate is in the answer")

    async def get_status(request: web.Request) -> web.Response:
        return web.json_response(sink.status())

    async def attach(app: web.Application) -> None:
        sink.attach(asyncio.get_running_loop())

    async def close(app: web.Application) -> None:
        await sink.close_viewers()

    app.router.add_get("/", get_page)
    app.router.add_post("/offer", post_offer)
    app.router.add_post("/whep", post_whep)
    app.router.add_delete("/whep/{id}", delete_whep)
    app.router.add_patch("/whep/{id}", patch_whep)
    app.router.add_get("/api/webrtc", get_status)
    app.on_startup.append(attach)
    app.on_shutdown.append(close)
