"""The A/V offset over the long run, one line per receiver."""

from __future__ import annotations

from pathlib import Path

LABELS = {"webrtc": "webrtc, through Web Audio"}


def plot_offsets(pairs: dict[str, list[tuple[float, float]]], figures: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.5))
    for name, points in pairs.items():
        if not points:
            continue
        start = points[0][0]
        shown = figures[name]
        ax.plot([(t - start) / 60 for t, _ in points], [1000 * o for _, o in points], marker=".",
                linewidth=1, label=f"{LABELS.get(name, name)}: median {shown['median_ms']} ms, worst {shown['worst_ms']} ms, "
                f"drift {shown['drift_ms']} ms")
    ax.axhline(0, color="k", linewidth=0.8)
    ax.set_xlabel("minutes at the receiver")
    ax.set_ylabel("beep onset minus flash (ms): > 0 = sound late")
    ax.set_title(f"A/V offset at the receivers ({figures['size']}, sync pattern every 2 s)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
