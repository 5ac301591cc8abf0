"""The input guard: judges a chat message (and its sender's display name, which the prompt
quotes) before the knowledge or the model sees it."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict

from livehost.brain.safety.abuse import find_abuse
from livehost.brain.safety.attacks import find_attack
from livehost.brain.safety.normalize import normalize
from livehost.brain.safety.phrases import phrases
from livehost.brain.safety.pii import find_personal_data
from livehost.brain.safety.redact import preview
from livehost.brain.safety.spam import REPEATS, RepeatCounter, spam_reason
from livehost.brain.safety.verdict import ALLOWED, Category, Verdict, blocked
from livehost.persona import SafetySpec

log = logging.getLogger(__name__)

_NAME_GLUE = re.compile(r"[_.]+")  # "dumb_ass.host": display names glue words together
_NAMES = 2048  # display names whose verdict is remembered (the same viewers chat all stream)

_PII_NAMES = {"email": "an email address", "card": "a card number", "id_number": "an ID number",
              "phone": "a phone number", "ssn": "a social security number"}


class InputGuard:
    """One per channel; call from one thread at a time (it remembers each viewer's last
    message, to spot the same one posted again and again)."""

    def __init__(self, spec: SafetySpec) -> None:
        self._spec = spec
        self._abuse_words = phrases(spec.abuse_words)
        self._repeats = RepeatCounter()
        self._names: OrderedDict[str, tuple[Category, str] | None] = OrderedDict()

    def check(self, text: str, user: str = "") -> Verdict:
        verdict = self._judge(text, user)
        if not verdict.allowed:
            log.info("chat from %s blocked, %s (%s): %s", preview(user) or "?", verdict.category,
                     verdict.reason, preview(text))
        return verdict

    def _judge(self, text: str, user: str) -> Verdict:
        if len(text) > self._spec.max_input_chars:
            limit = self._spec.max_input_chars
            return blocked(Category.TOO_LONG, f"longer than {limit} characters")
        forms = normalize(text)
        if not forms.cased.strip():
            return blocked(Category.EMPTY, "nothing to read")
        attack = find_attack(forms)
        if attack is not None:
            return blocked(*attack)
        name = self._name_problem(user) if user else None
        if name is not None and name[0] is not Category.ABUSE:
            return blocked(*name)
        found = find_personal_data(forms.cased)
        if found:
            return blocked(Category.PERSONAL_DATA, f"holds {_PII_NAMES[found[0].kind]}")
        abuse = find_abuse(forms, self._abuse_words)
        if abuse is not None:
            return blocked(Category.ABUSE, abuse)
        if name is not None:
            return blocked(*name)
        spam = spam_reason(forms.cased, self._spec.allowed_domains)
        if spam is not None:
            return blocked(Category.SPAM, spam)
        if user and self._repeats.count(user, forms.compact[0] or forms.words[0]) >= REPEATS:
            return blocked(Category.SPAM, "the same message again and again")
        return ALLOWED

    def _name_problem(self, user: str) -> tuple[Category, str] | None:
        """What is wrong with a display name (an attack, or abuse the host would read out)."""
        if user in self._names:
            self._names.move_to_end(user)
            return self._names[user]
        forms = normalize(_NAME_GLUE.sub(" ", user))
        problem = find_attack(forms, name=True)
        if problem is None and (abuse := find_abuse(forms, self._abuse_words)) is not None:
            problem = (Category.ABUSE, abuse)
        if problem is not None:
            problem = (problem[0], f"display name: {problem[1]}")
        self._names[user] = problem
        if len(self._names) > _NAMES:
            self._names.popitem(last=False)
        return problem
