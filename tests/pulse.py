"""The tests' PulseAudio (a server of each test's own): see livehost.bench.pulse."""

import pytest

from livehost.bench.pulse import Pulse, pulse_available, pulse_server

needs_pulse = pytest.mark.skipif(not pulse_available(), reason="needs pulseaudio + pulseaudio-utils (apt)")

__all__ = ["Pulse", "needs_pulse", "pulse_server"]
