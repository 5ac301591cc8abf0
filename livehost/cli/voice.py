"""``livehost voice``: clone a persona's voice, list voices, speak a line into a WAV file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from livehost.errors import LivehostError


def register(subparsers) -> None:
    p = subparsers.add_parser("voice", help="clone a persona's voice, list voices, speak into a WAV")
    sub = p.add_subparsers(dest="voice_command", required=True, metavar="ACTION")

    clone = sub.add_parser("clone", help="clone the voice of a reference clip into the persona")
    clone.add_argument("--persona", required=True, help="persona id or folder")
    clone.add_argument("--reference", type=Path, help="clip of the voice (wav/flac/mp3/ogg, 3-30 s of speech); "
                       "default: the persona's voice.reference")
    clone.add_argument("--budget-s", type=float, default=240.0, help="search time in seconds, over all runs (default 240)")
    clone.add_argument("--fresh", action="store_true", help="start the search over instead of resuming it")
    clone.add_argument("--transcript", help="what the clip says (remote servers that need it); default: Whisper's")
    clone.add_argument("--json", action="store_true", help="print the report as JSON instead of the summary")
    clone.set_defaults(func=run_clone)

    listing = sub.add_parser("list", help="engines and their stock voices")
    listing.set_defaults(func=run_list)

    say = sub.add_parser("say", help="speak a text with the persona's voice into a WAV file")
    say.add_argument("--persona", default="demo")
    say.add_argument("--text", required=True)
    say.add_argument("--out", type=Path, required=True, help="output .wav")
    say.set_defaults(func=run_say)


def run_clone(args: argparse.Namespace) -> int:
    from livehost.bench.common import progress
    from livehost.persona import load_persona
    from livehost.voice.persona_clone import clone_offline, clone_remote

    persona = load_persona(args.persona)
    reference = args.reference or persona.reference_path
    if reference is None:
        raise LivehostError("no reference clip: pass --reference or set voice.reference in persona.yaml")
    if persona.voice.engine == "remote":
        report = clone_remote(persona, reference, args.transcript)
    else:
        if args.budget_s < 30:
            raise LivehostError("--budget-s: give the search at least 30 seconds")
        bar = progress(None, "cloning", total=int(args.budget_s))

        def tick(state) -> None:
            bar.n = min(int(state.elapsed_s), bar.total)
            bar.set_postfix(similarity=f"{state.best_similarity:.3f}", tried=state.evaluations, refresh=True)

        try:
            report = clone_offline(persona, reference, args.budget_s, args.fresh, tick)
        except LivehostError:
            bar.close()
            report_path = persona.folder / "voice-clone.json"
            if report_path.is_file():  # a clone that was not kept: its figures say why
                print(summary(json.loads(report_path.read_text())), file=sys.stderr)
            raise
        bar.close()
    print(json.dumps(report, indent=2) if args.json else summary(report))
    print(f"persona {persona.id}: now speaks with the cloned voice ({persona.folder / 'persona.yaml'})", file=sys.stderr)
    return 0


def summary(report: dict) -> str:
    """The clone's figures as one block of aligned lines."""
    if report.get("engine") == "remote":
        lines = [("voice", f"{report['voice']} on the remote server ({report['clone']})"),
                 ("reference", f"{report['reference_seconds']:.1f} s"), ("transcript", report["reference_text"] or "-")]
    else:
        ref, clone = report["reference_pitch"], report["clone_pitch"]

        def hz(p: dict | None) -> str:
            return "unvoiced" if p is None else f"{p['median_hz']:.0f} Hz (range {p['range_st']:.1f} st)"

        offset = report["pitch_offset_st"]
        verdict = "within 1.5 st" if report["pitch_ok"] else "OFF: not kept"
        rejected = (f"{report['rejected_unintelligible']} unintelligible, {report['rejected_pitch']} off pitch, "
                    f"{report['rejected_envelope']} further from the spectral envelope")
        snr = "" if report.get("snr_db") is None else f", speech {report['snr_db']:.0f} dB above the noise"
        lines = [
            ("reference", f"{report['speech_seconds']:.1f} s of speech used ({report['reference_seconds']:.1f} s clip){snr}"),
            ("similarity", (f"{report['similarity_after']:.3f} on the probe sentence (best stock voice "
                            f"{report['best_stock_voice']} {report['similarity_before']:.3f}, "
                            f"{report['similarity_after'] - report['similarity_before']:+.3f}; "
                            f"{report['similarity_start']:.3f} at the reference's pitch)")),
            ("pitch", f"clone {hz(clone)} vs reference {hz(ref)}"
                      + ("" if offset is None else f": {offset:+.1f} st, {verdict}")),
            ("envelope", f"{report['envelope_distance']:.2f} (MFCC distance to the reference, held-out sentences)"),
            ("words", f"{report['wer']:.0%} word errors on {report['verified_on']} held-out sentences"),
            ("voice", f"speed {report['speed']:.2f}, pitch {report['pitch_semitones']:+.1f} st"),
            ("search", f"{report['seconds']:.0f} s, {report['evaluations']} evaluations; rejected {rejected}"),
        ]
    lines += [("warning", w) for w in report.get("warnings", [])]
    width = max(len(k) for k, _ in lines)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in lines)


def run_list(args: argparse.Namespace) -> int:
    from livehost.voice.engines import PIPER_VOICES

    print("piper:  " + ", ".join(PIPER_VOICES) + ", or a path to a piper .onnx voice")
    try:
        from livehost.voice.kokoro_model import load_stock_voices

        stock = ", ".join(sorted(load_stock_voices()))
    except LivehostError as exc:
        stock = f"(unavailable: {exc})"
    print(f"kokoro: {stock}; blends like a:0.7+b:0.3; or a .npy style table (voice clone writes one)")
    print("remote: any voice name the server knows (voice.remote.url)")
    return 0


def run_say(args: argparse.Namespace) -> int:
    from livehost.media.frames import Sentence
    from livehost.persona import load_persona
    from livehost.sinks.atomic import check_writable, write_atomic
    from livehost.voice.engines import create_engine
    from livehost.voice.wav_stream import encode_wav
    from livehost.voice.worker import join_chunks

    check_writable(args.out)
    persona = load_persona(args.persona)
    engine = create_engine(persona.voice, persona)
    chunks = list(engine.synthesize(args.text))
    if not chunks:
        raise LivehostError("the text has nothing to say")
    rate = chunks[0].sample_rate
    write_atomic(args.out, encode_wav(join_chunks(Sentence(args.text), chunks, rate).pcm, rate))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
