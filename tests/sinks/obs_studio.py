"""OBS Studio as a real receiver: Debian's obs-studio under Xvfb (software OpenGL), with its
own config folder, driven over obs-websocket v5 (a small client on ``websockets``; the
protocol is JSON requests with a challenge-response login)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loopback import free_port, wait_for
from websockets.sync.client import ClientConnection, connect

OP_HELLO, OP_IDENTIFY, OP_IDENTIFIED, OP_REQUEST, OP_RESPONSE = 0, 1, 2, 6, 7


def have_obs() -> str | None:
    """Why OBS cannot run here, or None when it can."""
    if shutil.which("obs") is None:
        return "needs OBS Studio (apt install obs-studio)"
    if shutil.which("xvfb-run") is None:
        return "needs Xvfb (apt install xvfb xauth)"
    if not list(Path("/usr/lib/x86_64-linux-gnu/obs-plugins").glob("obs-websocket.so")):
        return "needs OBS's obs-websocket plugin (OBS 28 or later)"
    return None


class ObsError(RuntimeError):
    pass


class ObsClient:
    """One obs-websocket session: ``request(kind, **data)`` returns the response data."""

    def __init__(self, ws: ClientConnection, password: str) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        hello = self._receive(OP_HELLO)
        identify: dict = {"rpcVersion": hello["rpcVersion"], "eventSubscriptions": 0}
        if auth := hello.get("authentication"):
            secret = base64.b64encode(hashlib.sha256((password + auth["salt"]).encode()).digest())
            identify["authentication"] = base64.b64encode(
                hashlib.sha256(secret + auth["challenge"].encode()).digest()).decode()
        self._send(OP_IDENTIFY, identify)
        self._receive(OP_IDENTIFIED)

    def _send(self, op: int, data: dict) -> None:
        self._ws.send(json.dumps({"op": op, "d": data}))

    def _receive(self, op: int, match=lambda d: True) -> dict:
        while True:
            message = json.loads(self._ws.recv(timeout=10))
            if message["op"] == op and match(message["d"]):
                return message["d"]

    def request(self, kind: str, **data) -> dict:
        request_id = str(next(self._ids))
        self._send(OP_REQUEST, {"requestType": kind, "requestId": request_id, "requestData": data})
        response = self._receive(OP_RESPONSE, lambda d: d["requestId"] == request_id)
        status = response["requestStatus"]
        if not status["result"]:
            raise ObsError(f"{kind}: {status.get('comment') or status['code']}")
        return response.get("responseData", {})


def write_config(home: Path, port: int, password: str) -> None:
    """A config folder of its own: no first-run wizard, obs-websocket on ``port`` with a
    password (OBS 29's obs-websocket 5.1 binds every interface, so it must not be open)."""
    folder = home / ".config/obs-studio"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "global.ini").write_text(
        "[General]\nFirstRun=false\n\n"
        f"[OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\nServerPort={port}\n"
        f"AlertsEnabled=false\nAuthRequired=true\nServerPassword={password}\n")


@contextmanager
def obs_studio(folder: Path) -> Iterator[ObsClient]:
    """OBS running under Xvfb, and a client logged in to it; both ended on the way out."""
    port, password = free_port(), secrets.token_hex(12)
    home = folder / "obs-home"
    write_config(home, port, password)
    log = folder / "obs.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", "obs", "--multi", "--disable-updater",
             "--disable-shutdown-check"],
            cwd=folder, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")})
    try:
        def listening() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"OBS exited {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                return False

        wait_for(listening, 60, "OBS's websocket", every=0.5)
        with connect(f"ws://127.0.0.1:{port}", subprotocols=["obswebsocket.json"], open_timeout=5) as ws:
            yield ObsClient(ws, password)
    finally:
        _end_group(process)


def _end_group(process: subprocess.Popen) -> None:
    """xvfb-run, its Xvfb and OBS share the session started for them: end that group (OBS
    gets the time to close; whatever is left then is killed)."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            pass
