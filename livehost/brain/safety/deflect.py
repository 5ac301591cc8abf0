"""What the host says instead of a blocked message or reply."""

from __future__ import annotations

from livehost.brain.safety.verdict import Category, Verdict
from livehost.persona import SafetySpec

_QUIET = (Category.SPAM, Category.EMPTY)  # answering a flood only feeds it


def deflection_for(verdict: Verdict, spec: SafetySpec) -> str | None:
    """The persona's deflection line, its privacy line for a chat message holding personal
    data, or None: for an allowed text, for spam or an empty message, and always when the
    persona says ``on_blocked: skip``. The line never quotes the blocked text."""
    if verdict.allowed or spec.on_blocked == "skip" or verdict.category in _QUIET:
        return None
    if verdict.category is Category.PERSONAL_DATA and verdict.stage == "input":
        return spec.privacy_deflection
    return spec.deflection
