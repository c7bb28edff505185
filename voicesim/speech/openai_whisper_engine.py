"""The openai-whisper engine (PyTorch, float32 on the CPU): the reference implementation.

Slower than faster-whisper here, but it is the original code, useful to cross-check results.
No registry package ships its ``.pt`` checkpoints, so a CTranslate2 folder (the same genuine
weights faster-whisper loads) is converted in memory by ``ct2_checkpoint``; a ``.pt`` file or
an official name (online, or with openai-whisper's own cache) works as well.

Imported only when a transcriber first needs it: importing it loads torch.

Short window: openai-whisper pads every window to 3000 mel frames of log-mel silence before
the encoder. ``_WindowedAudioEncoder`` cuts that input to the planned number of frames and
adds only the matching rows of the positional embedding; decoding, timestamp rules,
temperature fallback and word alignment run unchanged on the shorter encoder output.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import whisper
from whisper.audio import N_FRAMES, N_SAMPLES, log_mel_spectrogram
from whisper.decoding import DecodingOptions
from whisper.model import AudioEncoder, ModelDimensions, Whisper
from whisper.tokenizer import LANGUAGES, get_tokenizer

from voicesim.core.ports import Audio, Segment, Word
from voicesim.errors import ModelNotFoundError
from voicesim.speech.ct2_checkpoint import convert_ct2_to_whisper
from voicesim.speech.decoding import (
    DecodeResult,
    DecodeSettings,
    DecodeWindow,
    batched_result,
)
from voicesim.speech.models import ModelLocation, model_load_error

ENGINE_NAME = "openai-whisper"


class _WindowedAudioEncoder(AudioEncoder):  # type: ignore[misc]  # untyped package
    """Whisper's audio encoder, able to run on fewer than 3000 mel frames."""

    frames: int | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.frames is not None and x.shape[-1] > self.frames:
            x = x[..., : self.frames]
        x = F.gelu(self.conv1(x))
        x = F.gelu(self.conv2(x))
        x = x.permute(0, 2, 1)
        positions = self.positional_embedding[: x.shape[1]]
        x = (x + positions).to(x.dtype)
        for block in self.blocks:
            x = block(x)
        result: torch.Tensor = self.ln_post(x)
        return result


class OpenAIWhisperEngine:
    """One openai-whisper model on the CPU in float32; decodes one clip or batch at a time."""

    name = ENGINE_NAME

    def __init__(self, location: ModelLocation, cpu_threads: int) -> None:
        self.model = location.name
        if cpu_threads > 0:
            torch.set_num_threads(cpu_threads)  # process-wide: torch has no per-model setting
        self._model = _load(location)
        # Swap in the windowed encoder class: same parameters, a forward that accepts a
        # shorter input. Cheaper than building a second encoder and copying its weights.
        self._model.encoder.__class__ = _WindowedAudioEncoder
        self._model.eval()
        self._lock = threading.Lock()

    def supports_language(self, lang: str) -> bool:
        return lang in LANGUAGES if self._model.is_multilingual else lang == "en"

    def decode(self, audio: Audio, lang: str, settings: DecodeSettings,
               window: DecodeWindow | None) -> DecodeResult:
        options: dict[str, Any] = {
            "language": lang,
            "task": "transcribe",
            "temperature": settings.temperatures,
            # openai-whisper's beam_size=1 runs a one-beam search; None is its greedy decoder.
            "beam_size": settings.beam_size if settings.beam_size > 1 else None,
            "best_of": settings.best_of,
            "compression_ratio_threshold": settings.compression_ratio_threshold,
            "logprob_threshold": settings.log_prob_threshold,
            "no_speech_threshold": settings.no_speech_threshold,
            "word_timestamps": settings.word_timestamps,
            "condition_on_previous_text": window is None,
            "fp16": False,  # CPU
            "verbose": None,  # print nothing
        }
        if window is not None:
            options["sample_len"] = window.max_tokens
        encoder: Any = self._model.encoder
        with self._lock, torch.inference_mode():
            encoder.frames = window.encoder_frames if window else None
            try:
                result = whisper.transcribe(self._model, audio, **options)
            finally:
                encoder.frames = None
        raw = result["segments"]
        return DecodeResult(
            segments=tuple(_segment(s) for s in raw),
            token_count=sum(len(s["tokens"]) for s in raw),
            max_compression_ratio=max((float(s["compression_ratio"]) for s in raw), default=0.0),
            min_avg_logprob=min((float(s["avg_logprob"]) for s in raw), default=0.0),
        )

    def decode_batch(self, audios: Sequence[Audio], lang: str, settings: DecodeSettings,
                     windows: Sequence[DecodeWindow]) -> list[DecodeResult | None]:
        """Short-window clips through one encoder call and one ``DecodingTask`` together.

        What ``whisper.transcribe`` does for one short window at the first temperature
        (the same log-mel input, options and timestamp rules), for the whole batch at
        once; see ``WhisperEngine.decode_batch``.
        """
        if (not audios or settings.beam_size != 1 or settings.word_timestamps
                or len({w.encoder_frames for w in windows}) != 1):
            return [None] * len(audios)
        frames = windows[0].encoder_frames
        n_mels = self._model.dims.n_mels
        batch = torch.zeros((len(audios), n_mels, frames), dtype=torch.float32)
        for row, audio in enumerate(audios):
            # transcribe's input: the log-mel of the clip with 30 s of silence after it
            # (that padding sets the floor of the log scale), cut to the clip's frames.
            mel = log_mel_spectrogram(torch.from_numpy(np.ascontiguousarray(audio)), n_mels,
                                      padding=N_SAMPLES)
            content = mel[:, : min(mel.shape[-1] - N_FRAMES, frames)]
            batch[row, :, : content.shape[-1]] = content
        options = DecodingOptions(
            task="transcribe", language=lang, temperature=0.0, fp16=False,
            sample_len=max(w.max_tokens for w in windows), without_timestamps=False)
        tokenizer = get_tokenizer(self._model.is_multilingual,
                                  num_languages=self._model.num_languages, language=lang,
                                  task="transcribe")
        encoder: Any = self._model.encoder
        with self._lock, torch.inference_mode():
            encoder.frames = frames
            try:
                results = self._model.decode(batch, options)
            finally:
                encoder.frames = None

        def text_of(tokens: Sequence[int]) -> str:
            return str(tokenizer.decode([t for t in tokens if t < tokenizer.eot]))

        return [batched_result(list(r.tokens), float(r.avg_logprob),
                               float(r.compression_ratio), tokenizer.timestamp_begin, window,
                               settings, text_of)
                for r, window in zip(results, windows, strict=True)]


def _load(location: ModelLocation) -> Any:
    path = location.path
    try:
        if path is not None and path.is_dir():
            checkpoint = convert_ct2_to_whisper(path)
            model = Whisper(ModelDimensions(**checkpoint.dims))
            model.load_state_dict(checkpoint.to_torch()["model_state_dict"])
            model.set_alignment_heads(checkpoint.alignment_heads_dump())
            return model
        return whisper.load_model(location.engine_ref, device="cpu")
    except ModelNotFoundError:
        raise
    except Exception as exc:  # download errors, corrupt or mismatched files: many kinds
        raise model_load_error(location, exc) from exc


def _segment(raw: dict[str, Any]) -> Segment:
    words = tuple(Word(text=str(w["word"]).strip(), start_s=float(w["start"]),
                       end_s=float(w["end"])) for w in raw.get("words", ()))
    return Segment(text=str(raw["text"]).strip(), start_s=float(raw["start"]),
                   end_s=float(raw["end"]), words=words)
