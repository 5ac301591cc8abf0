"""A stand-in for the YouTube Data API v3 live chat endpoints on 127.0.0.1: ``videos`` (the
live video's ``activeLiveChatId``) and ``liveChat/messages`` (pages of ``liveChatMessage``
resources with ``nextPageToken`` and ``pollingIntervalMillis``), answering with the real
response and error shapes. A request must carry the server's API key (``key=``) or OAuth token
(``Authorization: Bearer``), as the real API wants; the source reads them from ``env``.

Faults for tests: ``fail`` answers the next requests with an error (quota, 5xx...), ``hang``
delays them, ``end_chat`` ends the chat, ``drop`` is an outage."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

VIDEO_ID = "bEnChLiVe01"
CHAT_ID = "Cg0KC2JFbkNoTGlWZTAxKicKGFVDYmVuY2hjaGFubmVsMDAwMDAwMDAwEgtiRW5DaExpVmUwMQ"
BASE_PATH = "/youtube/v3"

# The real API's messages for the errors it sends.
ERROR_MESSAGES = {
    "quotaExceeded": "The request cannot be completed because you have exceeded your "
                     '<a href="/youtube/v3/getting-started#quota">quota</a>.',
    "rateLimitExceeded": "The request was sent too frequently.",
    "liveChatEnded": "The live chat is no longer live.",
    "liveChatNotFound": "The live chat that you are trying to retrieve cannot be found.",
    "liveChatDisabled": "Live chat is not enabled for the specified broadcast.",
    "forbidden": "The request is missing a valid API key.",
    "keyInvalid": "API key not valid. Please pass a valid API key.",
    "authError": "Invalid Credentials",
    "backendError": "Backend Error",
}
DOMAINS = {"quotaExceeded": "youtube.quota", "rateLimitExceeded": "youtube.liveChat",
           "liveChatEnded": "youtube.liveChat", "liveChatNotFound": "youtube.liveChat",
           "liveChatDisabled": "youtube.liveChat", "keyInvalid": "usageLimits"}


def error_body(code: int, reason: str) -> dict:
    message = ERROR_MESSAGES.get(reason, reason)
    return {"error": {"code": code, "message": message, "errors": [
        {"message": message, "domain": DOMAINS.get(reason, "global"), "reason": reason}]}}


def channel_id(user: str) -> str:
    """A stable, real-looking channel id (``UC`` + 22 characters) for a display name."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(user.encode()).digest()).decode()
    return "UC" + digest[:22]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def item(msg_id: str, kind: str, user: str, display: str, details: dict | None = None,
         published: str | None = None) -> dict:
    """One ``liveChatMessage`` resource of ``kind`` (textMessageEvent, superChatEvent...);
    ``details`` are the kind's own fields (``textMessageDetails``: ...) merged into the snippet."""
    cid = channel_id(user)
    return {
        "kind": "youtube#liveChatMessage",
        "etag": hashlib.sha256(msg_id.encode()).hexdigest()[:27],
        "id": msg_id,
        "snippet": {
            "type": kind, "liveChatId": CHAT_ID, "authorChannelId": cid,
            "publishedAt": published or _now(), "hasDisplayContent": bool(display),
            "displayMessage": display, **(details or {}),
        },
        "authorDetails": {
            "channelId": cid, "channelUrl": f"http://www.youtube.com/channel/{cid}",
            "displayName": user, "profileImageUrl": f"https://yt3.ggpht.com/{cid}=s64-c-k-nd",
            "isVerified": False, "isChatOwner": False, "isChatSponsor": False, "isChatModerator": False,
        },
    }


def text_item(msg_id: str, user: str, text: str) -> dict:
    return item(msg_id, "textMessageEvent", user, text, {"textMessageDetails": {"messageText": text}})


def superchat_item(msg_id: str, user: str, micros: str, currency: str, comment: str) -> dict:
    shown = f"{int(micros) / 1e6:.2f} {currency}"
    details = {"amountMicros": micros, "currency": currency, "amountDisplayString": shown,
               "userComment": comment, "tier": 2}
    return item(msg_id, "superChatEvent", user, f"{shown} from {user}: {comment}",
                {"superChatDetails": details})


def sticker_item(msg_id: str, user: str, micros: str, currency: str, alt_text: str) -> dict:
    shown = f"{int(micros) / 1e6:.2f} {currency}"
    sticker = {"stickerId": "sticker-1", "altText": alt_text, "language": "en"}
    details = {"superStickerMetadata": sticker,
               "amountMicros": micros, "currency": currency, "amountDisplayString": shown, "tier": 1}
    return item(msg_id, "superStickerEvent", user, f"Super Sticker {shown} from {user}",
                {"superStickerDetails": details})


def member_item(msg_id: str, user: str) -> dict:
    return item(msg_id, "newSponsorEvent", user, f"Welcome to Members, {user}!",
                {"newSponsorDetails": {"memberLevelName": "Members", "isUpgrade": False}})


def deleted_item(msg_id: str, moderator: str, deleted_id: str) -> dict:
    return item(msg_id, "messageDeletedEvent", moderator, "",
                {"messageDeletedDetails": {"deletedMessageId": deleted_id}})


def banned_item(msg_id: str, moderator: str, banned_user: str) -> dict:
    banned = channel_id(banned_user)
    return item(msg_id, "userBannedEvent", moderator, "", {"userBannedDetails": {
        "bannedUserDetails": {"channelId": banned, "displayName": banned_user, "profileImageUrl": "",
                              "channelUrl": f"http://www.youtube.com/channel/{banned}"},
        "banType": "permanent"}})


def ended_item(msg_id: str) -> dict:
    return item(msg_id, "chatEndedEvent", "YouTube", "")


def _field(resource: dict, *keys: str) -> object:
    for key in keys:
        resource = resource.get(key) if isinstance(resource, dict) else None
    return resource


def _token(index: int) -> str:
    return base64.urlsafe_b64encode(f"page-{index:08d}".encode()).decode().rstrip("=")


def _index(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except ValueError:
        return None
    return int(text[5:]) if text.startswith("page-") and text[5:].isdigit() else None


@dataclass(frozen=True, slots=True)
class Request:
    at: float  # time.monotonic() when it arrived
    path: str  # below the API base: "videos", "liveChat/messages"
    params: dict[str, str]
    authorization: str  # the Authorization header, "" if none


class Server:
    """``poll_ms`` is the pollingIntervalMillis every page names; at most ``page_size`` items a
    page. Items pushed before a source connects are the backlog its first page shows."""

    def __init__(self, *, poll_ms: int = 100, page_size: int = 500, key: str = "bench-api-key-0123",
                 token: str = "bench-oauth-token-4567", live: bool = True) -> None:
        self.poll_ms, self.page_size, self.live = poll_ms, page_size, live
        self.key, self.token = key, token
        self.requests: list[Request] = []
        self.served_at: dict[str, float] = {}  # message id -> time.time() its page was sent
        self.connections = 0  # TCP connections that got at least one page of messages
        self._items: list[dict] = []
        self._faults: list[tuple[int, str]] = []
        self._hang_s = 0.0
        self._ended = False
        self._down_until = 0.0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the server first"
        return self._httpd.server_address[1]

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    @property
    def spec(self) -> str:
        return f"youtube:{VIDEO_ID}?api={self.api}"

    @property
    def env(self) -> dict[str, str]:
        """The environment a source needs to be let in (the API key)."""
        return {"YOUTUBE_API_KEY": self.key}

    def start(self) -> Server:
        self._httpd = _HTTPServer(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self._httpd.serve_forever, name="youtube-bench", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._close_all()

    def push(self, resource: dict) -> None:
        with self._lock:
            self._items.append(resource)

    def send_chat(self, user: str, text: str, msg_id: str) -> None:
        self.push(text_item(msg_id, user, text))

    def fail(self, code: int, reason: str, times: int = 1) -> None:
        """Answer the next ``times`` message or video requests with this error."""
        with self._lock:
            self._faults += [(code, reason)] * times

    def hang(self, seconds: float) -> None:
        """Hold every later request this long before answering (0 = stop hanging)."""
        self._hang_s = seconds

    def end_chat(self, with_event: bool = True) -> None:
        """End the chat: with an ``chatEndedEvent`` on the next page, or straight to the
        ``liveChatEnded`` error every later request gets."""
        if with_event:
            self.push(ended_item(f"ended-{len(self._items)}"))
        else:
            self._ended = True

    def drop(self, down_s: float) -> None:
        with self._lock:
            self._down_until = time.monotonic() + down_s
        self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _down(self) -> bool:
        return time.monotonic() < self._down_until

    def _allowed(self, params: dict[str, str], authorization: str) -> tuple[int, str] | None:
        """None when the credential is right, else the real API's error for it."""
        if authorization:
            return None if authorization == f"Bearer {self.token}" else (401, "authError")
        if "key" not in params:
            return 403, "forbidden"
        return None if params["key"] == self.key else (400, "keyInvalid")

    def answer(self, path: str, params: dict[str, str],
               authorization: str) -> tuple[int, dict, list[str]]:
        """Status, JSON body and the ids of the messages in it, for one request."""
        with self._lock:
            self.requests.append(Request(time.monotonic(), path, params, authorization))
            refused = self._allowed(params, authorization)
            if refused is None and self._faults:
                refused = self._faults.pop(0)
        if refused is not None:
            return refused[0], error_body(*refused), []
        if path == "videos":
            return 200, self._videos(params.get("id", "")), []
        if path == "liveChat/messages":
            return self._messages(params)
        return 404, error_body(404, "notFound"), []

    def _videos(self, video_id: str) -> dict:
        items = []
        if video_id == VIDEO_ID:
            details = {"actualStartTime": "2024-05-01T12:00:00Z",
                       "scheduledStartTime": "2024-05-01T11:55:00Z", "concurrentViewers": "42"}
            if self.live:
                details["activeLiveChatId"] = CHAT_ID
            items.append({"kind": "youtube#video", "etag": "bench-video-etag", "id": VIDEO_ID,
                          "liveStreamingDetails": details})
        return {"kind": "youtube#videoListResponse", "etag": "bench-list-etag", "items": items,
                "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}}

    def _messages(self, params: dict[str, str]) -> tuple[int, dict, list[str]]:
        if params.get("liveChatId") != CHAT_ID:
            return 404, error_body(404, "liveChatNotFound"), []
        if self._ended:
            return 403, error_body(403, "liveChatEnded"), []
        with self._lock:
            total = len(self._items)
            if "pageToken" in params:
                start = _index(params["pageToken"])
                if start is None or start > total:
                    return 400, error_body(400, "pageTokenInvalid"), []
            else:  # the first page: the latest messages so far
                start = max(0, total - self.page_size)
            page = self._items[start:start + self.page_size]
        body = {"kind": "youtube#liveChatMessageListResponse", "etag": f"bench-{start}",
                "pollingIntervalMillis": self.poll_ms,
                "pageInfo": {"totalResults": total, "resultsPerPage": len(page)},
                "nextPageToken": _token(start + len(page)), "items": page}
        if any(_field(i, "snippet", "type") == "chatEndedEvent" for i in page):
            body["offlineAt"] = _now()
        return 200, body, [i.get("id") for i in page]  # tests push broken items too


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hung up (timeouts, drop) is part of the tests, not news


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real API
        got_messages = False

        def setup(self) -> None:
            super().setup()
            with server._lock:
                server._open.add(self.connection)

        def finish(self) -> None:
            with server._lock:
                server._open.discard(self.connection)
            super().finish()

        def do_GET(self) -> None:
            if server._down():  # an outage: no answer at all
                self.close_connection = True
                return
            if server._hang_s:
                time.sleep(server._hang_s)
            url = urlsplit(self.path)
            if not url.path.startswith(BASE_PATH + "/"):
                return self._send(404, error_body(404, "notFound"))
            params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            path = url.path[len(BASE_PATH) + 1:]
            code, body, ids = server.answer(path, params, self.headers.get("Authorization", ""))
            self._send(code, body)
            if code == 200 and path == "liveChat/messages":
                sent = time.time()
                with server._lock:
                    server.served_at.update(dict.fromkeys(ids, sent))
                    if not self.got_messages:
                        self.got_messages = True
                        server.connections += 1

        def _send(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: tests and benches read ``requests`` instead

    return Handler


def wire_page(n: int) -> bytes:
    """A realistic ``liveChat/messages`` page of ``n`` items: mostly chat, some paid, members,
    deletions."""
    makers = [
        lambda i: text_item(f"msg-{i}", f"viewer{i % 97}", f"hi from {i}, what are you playing?"),
        lambda i: text_item(f"msg-{i}", f"fan{i % 31}", "とても面白い配信です！👍"),
        lambda i: superchat_item(f"msg-{i}", f"donor{i % 13}", "5000000", "USD", "keep it up"),
        lambda i: text_item(f"msg-{i}", f"viewer{i % 53}", "lol"),
        lambda i: member_item(f"msg-{i}", f"member{i % 7}"),
        lambda i: text_item(f"msg-{i}", f"viewer{i % 89}", "can you say hi to my friend?"),
        lambda i: sticker_item(f"msg-{i}", f"donor{i % 11}", "1990000", "EUR", "a dancing cat"),
        lambda i: deleted_item(f"msg-{i}", "moderator", f"msg-{i - 3}"),
    ]
    items = [makers[i % len(makers)](i) for i in range(n)]
    return json.dumps({"kind": "youtube#liveChatMessageListResponse", "pollingIntervalMillis": 2000,
                       "nextPageToken": _token(n), "items": items}).encode()


def parse_throughput(n: int) -> float:
    """Items/s the source's parser reads from a page of ``n`` (JSON decoding included)."""
    from livehost.sources.youtube import Item, parse_item

    data = wire_page(n)
    started = time.perf_counter()
    now = time.time()
    parsed = [parse_item(raw, now) for raw in json.loads(data)["items"]]
    elapsed = time.perf_counter() - started
    assert Item.MALFORMED not in parsed, "the bench page should parse cleanly"
    return n / elapsed
