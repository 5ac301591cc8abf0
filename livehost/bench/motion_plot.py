"""The motion benchmark's picture: jaw against loudness, the head filtered and unfiltered,
brows and blinks, with the sentences' stressed words marked."""

from __future__ import annotations

import numpy as np


def plot_tracks(path: str, ticks, raw_ticks, envelope: np.ndarray) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from livehost.sinks.trace import sentence_event

    t = np.array([tick.t for tick in ticks])
    fig, axes = plt.subplots(4, 1, figsize=(14, 10), sharex=True)
    axes[0].plot(t, [tick.face.jaw for tick in ticks], label="jaw")
    axes[0].plot(t, envelope / max(envelope.max(), 1e-9), label="loudness (normalised)", alpha=0.6)
    for axis, name in zip(axes[1:3], ("pitch", "yaw")):
        axis.plot(t, [getattr(tick.face, name) for tick in raw_ticks], label=f"{name} unfiltered", alpha=0.5)
        axis.plot(t, [getattr(tick.face, name) for tick in ticks], label=f"{name} filtered")
        axis.set_ylabel("degrees")
    axes[3].plot(t, [tick.face.brow for tick in ticks], label="brow")
    axes[3].plot(t, [tick.face.blink_l for tick in ticks], label="blink")
    axes[3].plot(t, [tick.face.roll / 8.0 for tick in ticks], label="roll / 8°")
    for tick in ticks:
        for scheduled in tick.started:
            event = sentence_event(scheduled)
            for axis in axes:
                axis.axvline(event["t0"], color="grey", lw=0.5)
            for mark in event["emphasis"]:
                if mark["t"] is not None:
                    axes[1].axvline(mark["t"], color="red", lw=0.8, ls="--")
                    axes[1].text(mark["t"], axes[1].get_ylim()[1], mark["word"], color="red", fontsize=8)
            axes[0].text(event["t0"], 1.02, f'{event["kind"]}/{event["emotion"]}', fontsize=7)
    for axis in axes:
        axis.legend(loc="upper right", fontsize=7)
    axes[-1].set_xlabel("media time (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
