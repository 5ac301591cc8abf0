"""A Hugging Face causal language model from a local folder, on the CPU or a GPU.

``generate`` runs in its own thread and hands text to a ``TextIteratorStreamer``; a stopping
criterion looks at ``cancel`` after every token, so a cancelled reply ends at the next one.
Stop strings are cut from the text here (the reply never contains them), as servers do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path

from livehost.errors import LivehostError

from .base import LLMError, LLMHealth, LLMRequest, tracked

log = logging.getLogger(__name__)


class TransformersBackend:
    def __init__(self, folder: Path, device: str = "cpu") -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.folder, self.device = Path(folder), _device(torch, device)
        self.name = f"transformers {self.folder.name} ({device})"
        self.health = LLMHealth()
        started = time.perf_counter()
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.folder, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(self.folder, local_files_only=True, dtype="auto")
        except (OSError, ValueError, KeyError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LivehostError(f"llm.model: {self.folder} is not a loadable causal language model ({first})") from None
        if not self._tokenizer.chat_template:
            raise LivehostError(f"llm.model: {self.folder} has no chat template (tokenizer_config.json chat_template)")
        self._model = model.to(self.device).eval()
        log.info("LLM %s loaded in %.2f s", self.name, time.perf_counter() - started)

    def close(self) -> None:
        self._model = None

    def stream(self, request: LLMRequest, cancel: threading.Event) -> Iterator[str]:
        return tracked(self.health, self._generate(request, cancel))

    def _generate(self, request: LLMRequest, cancel: threading.Event) -> Generator[str, None, bool]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        leave = threading.Event()  # the consumer is gone

        class Cancelled(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs) -> bool:
                return cancel.is_set() or leave.is_set()

        tokenizer = self._tokenizer
        inputs = tokenizer.apply_chat_template(
            [turn.as_dict() for turn in request.messages], add_generation_prompt=True,
            return_tensors="pt", return_dict=True,
        ).to(self.device)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        sampling = {"do_sample": True, "temperature": request.temperature} if request.temperature > 0 else {"do_sample": False}
        failure: list[Exception] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self._model.generate(
                        **inputs, max_new_tokens=request.max_tokens, streamer=streamer,
                        stopping_criteria=StoppingCriteriaList([Cancelled()]),
                        pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
                        **sampling,
                    )
            except Exception as exc:  # noqa: BLE001 (handed to the consumer's thread)
                failure.append(exc)
                streamer.end()

        threading.Thread(target=run, name="llm-transformers", daemon=True).start()
        hold = max((len(s) for s in request.stop), default=1) - 1  # text that may still become a stop string
        held = ""
        try:
            for text in streamer:
                if cancel.is_set():
                    return False
                held += text
                cut = min((i for i in (held.find(s) for s in request.stop) if i >= 0), default=None)
                if cut is not None:
                    if cut:
                        yield held[:cut]
                    return True
                if len(held) > hold:
                    yield held[: len(held) - hold]
                    held = held[len(held) - hold :]
            if failure:
                raise LLMError(self.name, f"generation failed: {str(failure[0]).splitlines()[0] or type(failure[0]).__name__}")
            if held:
                yield held
            return True
        finally:
            leave.set()


def _device(torch, name: str) -> str:
    try:
        device = torch.device(name)
    except RuntimeError:
        raise LivehostError(f"llm.device: {name!r} is not a torch device (cpu, cuda, cuda:1, mps)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise LivehostError(f"llm.device: {name} is not available (this torch {torch.__version__} sees no CUDA GPU)")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise LivehostError(f"llm.device: {name}: there are {torch.cuda.device_count()} CUDA GPUs (cuda:0 is the first)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise LivehostError(f"llm.device: {name} is not available on this machine")
    return name
