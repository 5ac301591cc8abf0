"""A real RTMP server on loopback: Debian's nginx with libnginx-mod-rtmp, with its own
prefix and config (nothing of the system's nginx is used), started and stopped at will."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Self

MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")


def available() -> bool:
    return shutil.which("nginx") is not None and MODULE.exists()


class NginxRtmp:
    """``rtmp://127.0.0.1:PORT/live/NAME``: publish and play any stream name."""

    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root, port
        (root / "logs").mkdir(parents=True, exist_ok=True)
        self.conf = root / "nginx.conf"
        user = "user root;\n" if os.geteuid() == 0 else ""
        self.conf.write_text(
            f"load_module {MODULE};\n{user}daemon off;\nmaster_process off;\n"
            f"error_log {root}/logs/error.log info;\npid {root}/nginx.pid;\n"
            "events { worker_connections 64; }\n"
            f"rtmp {{ server {{ listen 127.0.0.1:{port}; application live {{ live on; }} }} }}\n"
        )
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live/"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.root), "-e", str(self.root / "logs/error.log"), "-c", str(self.conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"nginx exited: {(self.root / 'logs/error.log').read_text()[-2000:]}") from None
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen on 127.0.0.1:{self.port} within 10 s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
