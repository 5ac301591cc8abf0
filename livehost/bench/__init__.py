"""Benchmarks: ``livehost bench <part> --json`` prints one JSON object of figures on stdout;
progress goes to stderr. Each part is a module here with ``add_arguments`` and ``run``."""

PARTS = {
    "say": "livehost.bench.say",
    "face": "livehost.bench.face",
    "motion": "livehost.bench.motion",
    "voice": "livehost.bench.voice",
    "mandarin": "livehost.bench.mandarin",
    "brain": "livehost.bench.brain",
    "live": "livehost.bench.live",
    "listen": "livehost.bench.listen",
    "chat": "livehost.bench.chat.run",
    "sinks": "livehost.bench.sinks",
}
