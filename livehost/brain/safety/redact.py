"""A blocked text as a log may show it: secrets and personal data masked, 40 characters at
most, so a log line never carries a secret or a viewer's email."""

from __future__ import annotations

import re
from collections.abc import Sequence

from livehost.brain.safety.normalize import clean
from livehost.brain.safety.pii import find_personal_data

PREVIEW_CHARS = 40


def preview(text: str, secrets: Sequence[str] = ()) -> str:
    shown = clean(text)
    for secret in secrets:
        if secret.strip():
            shown = re.sub(re.escape(secret.strip()), "[secret]", shown, flags=re.IGNORECASE)
    for found in reversed(find_personal_data(shown)):
        shown = f"{shown[:found.start]}[{found.kind}]{shown[found.end:]}"
    shown = " ".join(shown.split())
    return shown if len(shown) <= PREVIEW_CHARS else shown[:PREVIEW_CHARS - 1] + "…"
