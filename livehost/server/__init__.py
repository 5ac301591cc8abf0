"""The host's HTTP side: the API (chat in, operator lines, interrupt, status, live events)."""

from .app import create_app
from .control import HostControl
from .thread import ServerThread
from .token import resolve_api_token

__all__ = ["HostControl", "ServerThread", "create_app", "resolve_api_token"]
