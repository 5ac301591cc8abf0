"""The brain benchmark's picture: each question's stage times (lookup, first token, first
sentence ready, a cache hit's first audio) on a log scale, by where the answer came from, with
the target lines."""

from __future__ import annotations

SOURCE_COLOURS = {"llm": "#d8e6f5", "cache": "#dff2df", "catalogue": "#f5ecd2",
                  "fallback": "#f5d6d6", "blocked": "#e4e4e4"}
STAGES = (("lookup_ms", "lookup", "s", "#7f7f7f"),
          ("first_token_ms", "first token", "^", "#1f77b4"),
          ("first_sentence_ms", "first sentence ready", "o", "#2ca02c"),
          ("first_audio_ms", "cache hit: first audio", "*", "#d62728"))
TARGET_LINES = (("first_token_p50", "first token p50", "#1f77b4"),
                ("first_sentence_p50", "first sentence p50", "#2ca02c"),
                ("cache_first_audio_max", "first audio", "#d62728"))


def plot_stages(path, turns, targets_ms: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fig, axis = plt.subplots(figsize=(max(8.0, 0.45 * len(turns) + 3), 5))
    x = [t.index + 1 for t in turns]
    for turn in turns:
        colour = SOURCE_COLOURS.get(turn.source, "white")
        axis.axvspan(turn.index + 0.5, turn.index + 1.5, color=colour, lw=0)
    for field, label, marker, colour in STAGES:
        points = [(i, getattr(t, field)) for i, t in zip(x, turns) if getattr(t, field)]
        if points:
            axis.scatter(*zip(*points), marker=marker, color=colour, label=label, zorder=3,
                         s=70 if marker == "*" else 30)
    for name, label, colour in TARGET_LINES:
        axis.axhline(targets_ms[name], color=colour, ls="--", lw=0.8)
        axis.text(x[-1] + 0.45, targets_ms[name] * 1.05, f"{label} ≤ {targets_ms[name]:g} ms",
                  color=colour, fontsize=7, ha="right", va="bottom")
    axis.axvline(1.5, color="black", lw=0.8, ls=":")
    axis.text(1.55, 0.02, "warm-up", transform=axis.get_xaxis_transform(), fontsize=7,
              rotation=90, va="bottom")
    axis.set_yscale("log")
    axis.set_xticks(x, [t.kind for t in turns], rotation=60, fontsize=7)
    axis.set(xlim=(0.5, x[-1] + 0.5), ylabel="ms from the question (log)",
             title="brain: stage times per question (first turn cold, then after the warm-up)")
    sources = [Patch(color=c, label=f"answer from {s}") for s, c in SOURCE_COLOURS.items()
               if any(t.source == s for t in turns)]
    handles, _ = axis.get_legend_handles_labels()
    axis.legend(handles=handles + sources, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
