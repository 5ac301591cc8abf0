"""The brain's safety layer: what the host refuses to hear and to say.

- ``InputGuard(spec).check(text, user)`` judges a chat message before the knowledge or the
  model sees it: prompt injection, jailbreaks, prompt-leak requests (English, Chinese,
  French, Spanish, German; also hidden by look-alike letters, full-width forms, invisible
  characters, leetspeak, spaced-out letters, base64 or rot13), abuse, spam, personal data
  (which never reaches the model and is never echoed), and over-long or empty messages.
- ``OutputGuard(spec, system_prompt, secrets, public).check(sentence, reply_so_far)`` judges
  each sentence of a reply before it is spoken: system-prompt leaks and planted secrets,
  personal data, banned words and claims, abuse, and the reply's length.
- ``deflection_for(verdict, spec)`` is what the host says instead, if anything.

The host has no tools: it never opens a link, runs code or looks anything up for a viewer, so
a URL in chat is only text; the guard flags links as spam and nothing ever fetches them.
A ``Verdict``'s reason never quotes the text, and the guards log at most a 40-character
preview with secrets and personal data masked (``preview``).
"""

from livehost.brain.safety.deflect import deflection_for
from livehost.brain.safety.input_guard import InputGuard
from livehost.brain.safety.output_guard import OutputGuard
from livehost.brain.safety.redact import preview
from livehost.brain.safety.verdict import Category, Verdict

__all__ = ["Category", "InputGuard", "OutputGuard", "Verdict", "deflection_for", "preview"]
