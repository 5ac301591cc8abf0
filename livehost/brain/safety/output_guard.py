"""The output guard: judges each sentence of a reply before it is spoken."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from livehost.brain.safety.abuse import find_abuse
from livehost.brain.safety.claims import BUILTIN_CLAIMS
from livehost.brain.safety.leak import PromptLeak
from livehost.brain.safety.normalize import clean, normalize
from livehost.brain.safety.phrases import phrases
from livehost.brain.safety.pii import find_personal_data
from livehost.brain.safety.redact import preview
from livehost.brain.safety.verdict import ALLOWED_OUTPUT, Category, Verdict, blocked
from livehost.persona import SafetySpec

log = logging.getLogger(__name__)


class OutputGuard:
    """``secrets``: strings planted in (or known to be in) the system prompt that must never
    be said — a canary, a discount code for staff only. ``public``: texts the host may say
    word for word even where the system prompt holds them too (the greeting, catalogue
    facts, the shop's contact email). Safe to share between threads."""

    def __init__(self, spec: SafetySpec, system_prompt: str, secrets: Sequence[str] = (),
                 public: Sequence[str] = ()) -> None:
        self._spec = spec
        self._secrets = tuple(secrets)
        self._leak = PromptLeak(system_prompt, secrets, public)
        self._banned = phrases(spec.banned_words)
        builtin = BUILTIN_CLAIMS if spec.builtin_claims else ()
        self._claims = phrases([*spec.banned_claims, *builtin])
        self._abuse_words = phrases(spec.abuse_words)
        self._public_data = {f.key(c) for c in map(clean, public) for f in find_personal_data(c)}

    def check(self, sentence: str, reply_so_far: str = "") -> Verdict:
        verdict = self._judge(sentence, reply_so_far)
        if not verdict.allowed:
            if verdict.category is Category.PROMPT_LEAK:
                shown = f"[{len(sentence)} characters withheld]"
            else:
                shown = preview(sentence, self._secrets)
            log.info("reply sentence held back, %s (%s): %s", verdict.category, verdict.reason,
                     shown)
        return verdict

    def _judge(self, sentence: str, reply_so_far: str) -> Verdict:
        leak = self._leak.check(sentence, reply_so_far)
        if leak is not None:
            return blocked(Category.PROMPT_LEAK, leak, "output")
        forms = normalize(sentence)
        found = find_personal_data(forms.cased)
        if any(f.key(forms.cased) not in self._public_data for f in found):
            return blocked(Category.PERSONAL_DATA, "personal data", "output")
        if self._banned.search(forms.words, forms.compact):
            return blocked(Category.BANNED_WORD, "a banned word", "output")
        if self._claims.search(forms.words, forms.compact):
            return blocked(Category.BANNED_CLAIM, "a claim the host must not make", "output")
        abuse = find_abuse(forms, self._abuse_words)
        if abuse is not None:
            return blocked(Category.ABUSE, abuse, "output")
        if len(reply_so_far) + len(sentence) > self._spec.max_reply_chars:
            limit = self._spec.max_reply_chars
            return blocked(Category.TOO_LONG, f"the reply would pass {limit} characters", "output")
        return ALLOWED_OUTPUT
