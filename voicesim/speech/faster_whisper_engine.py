"""The faster-whisper engine (CTranslate2): the default, about twice as fast as openai-whisper
on a CPU with int8 weights and a third of the memory.

Imported only when a transcriber first needs it, so ``import voicesim.speech.transcribers``
stays free of CTranslate2.

Short window: faster-whisper pads every window's features to 3000 frames before calling
``WhisperModel.encode``; the CTranslate2 encoder itself accepts any even number of frames up
to 3000. ``_WindowedWhisperModel.encode`` cuts the padded features to the planned number of
frames, so the rest of faster-whisper (prompting, timestamp rules, temperature fallback, word
alignment) runs unchanged on the shorter encoder output.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import _LANGUAGE_CODES, Tokenizer
from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

from voicesim.core.ports import Audio, Segment, Word
from voicesim.errors import ModelNotFoundError
from voicesim.speech.decoding import (
    DecodeResult,
    DecodeSettings,
    DecodeWindow,
    batched_result,
)
from voicesim.speech.models import ModelLocation, model_load_error

ENGINE_NAME = "faster-whisper"
# Whisper's text context: faster-whisper refuses a prompt plus max_new_tokens above it. The
# short window's prompt is 1-3 tokens (no previous text: there is only one window).
_MAX_LENGTH = 448


class _WindowedWhisperModel(WhisperModel):  # type: ignore[misc]  # untyped package
    """A WhisperModel whose encoder can be given fewer than 3000 frames for one call."""

    encoder_frames: int | None = None

    def encode(self, features: np.ndarray[Any, Any]) -> Any:
        if self.encoder_frames is not None and features.shape[-1] > self.encoder_frames:
            features = np.ascontiguousarray(features[..., : self.encoder_frames])
        return super().encode(features)


class FasterWhisperEngine:
    """One faster-whisper model on the CPU; decodes one clip or batch at a time."""

    name = ENGINE_NAME

    def __init__(self, location: ModelLocation, compute_type: str, cpu_threads: int) -> None:
        self.model = location.name
        if location.path is not None and location.path.suffix == ".pt":
            raise ModelNotFoundError(
                f"{location.path} is an openai-whisper checkpoint; faster-whisper needs a "
                "CTranslate2 model folder: use engine openai-whisper or a CTranslate2 folder")
        try:
            self._model = _WindowedWhisperModel(
                location.engine_ref, device="cpu", compute_type=compute_type,
                cpu_threads=cpu_threads, num_workers=1)
        except ValueError as exc:
            if "compute type" in str(exc).lower() or "compute_type" in str(exc).lower():
                raise ModelNotFoundError(
                    f"faster-whisper cannot use compute type {compute_type!r} on this CPU: "
                    "use int8, float32 or int8_float32") from exc
            raise model_load_error(location, exc) from exc
        except Exception as exc:  # download errors, corrupt files: many untyped kinds
            raise model_load_error(location, exc) from exc
        self._multilingual = bool(self._model.model.is_multilingual)
        self._lock = threading.Lock()

    def supports_language(self, lang: str) -> bool:
        return lang in _LANGUAGE_CODES if self._multilingual else lang == "en"

    def decode(self, audio: Audio, lang: str, settings: DecodeSettings,
               window: DecodeWindow | None) -> DecodeResult:
        options: dict[str, Any] = {
            "language": lang,
            "task": "transcribe",
            "beam_size": settings.beam_size,
            "best_of": settings.best_of,
            "temperature": list(settings.temperatures),
            "compression_ratio_threshold": settings.compression_ratio_threshold,
            "log_prob_threshold": settings.log_prob_threshold,
            "no_speech_threshold": settings.no_speech_threshold,
            "word_timestamps": settings.word_timestamps,
            "without_timestamps": False,  # timestamps off cut the ends of sentences
            "vad_filter": False,  # the transcriber already gated the clip with Silero
            "condition_on_previous_text": window is None,
        }
        if window is not None:
            # Measured with CTranslate2 4.8: Whisper generation stops after about half of
            # max_length new tokens (faster-whisper passes prompt + max_new_tokens), so ask
            # for twice the cap. The cap itself is checked on the tokens that come back.
            options["max_new_tokens"] = min(2 * window.max_tokens, _MAX_LENGTH - 8)
        with self._lock:
            self._model.encoder_frames = window.encoder_frames if window else None
            try:
                segments, _info = self._model.transcribe(audio, **options)
                raw = list(segments)  # a generator: the work happens here
            finally:
                self._model.encoder_frames = None
        return DecodeResult(
            segments=tuple(_segment(s) for s in raw),
            token_count=sum(len(s.tokens) for s in raw),
            max_compression_ratio=max((float(s.compression_ratio) for s in raw), default=0.0),
            min_avg_logprob=min((float(s.avg_logprob) for s in raw), default=0.0),
        )

    def decode_batch(self, audios: Sequence[Audio], lang: str, settings: DecodeSettings,
                     windows: Sequence[DecodeWindow]) -> list[DecodeResult | None]:
        """Short-window clips through CTranslate2 together; see ``WhisperEngine.decode_batch``.

        What faster-whisper's ``transcribe`` does for one short window at the first
        temperature (same prompt, suppression, first-timestamp limit, segment splitting),
        but with one ``encode`` and one ``generate`` for the batch: greedy decoding of
        tiny.en costs about 4.5 ms a token alone and about 2.3 ms in a batch of four on
        one core, and the decoder is most of the time once the encoder window is short.
        """
        if (not audios or settings.beam_size != 1 or settings.word_timestamps
                or len({w.encoder_frames for w in windows}) != 1):
            return [None] * len(audios)
        model = self._model
        frames = windows[0].encoder_frames
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                              task="transcribe", language=lang)
        prompt = model.get_prompt(tokenizer, [], without_timestamps=False)
        mels = [model.feature_extractor(audio)[:, :frames] for audio in audios]
        features = np.zeros((len(mels), mels[0].shape[0], frames), np.float32)
        for row, mel in enumerate(mels):  # zeros past the end, as faster-whisper pads
            features[row, :, : mel.shape[-1]] = mel
        first_ts = round(1.0 / model.time_precision)  # faster-whisper's max_initial_timestamp
        with self._lock:
            encoded = model.encode(features)
            results = model.model.generate(
                encoded, [list(prompt) for _ in audios],
                max_length=len(prompt) + min(2 * max(w.max_tokens for w in windows),
                                             _MAX_LENGTH - 8),
                return_scores=True, return_no_speech_prob=True, beam_size=1,
                suppress_blank=True,
                suppress_tokens=list(get_suppressed_tokens(tokenizer, [-1]) or ()),
                max_initial_timestamp_index=first_ts)
        out: list[DecodeResult | None] = []
        for result, window in zip(results, windows, strict=True):
            tokens = list(result.sequences_ids[0])
            # faster-whisper's average: the score is the sum, length penalty 1
            avg_logprob = float(result.scores[0]) * len(tokens) / (len(tokens) + 1)
            ratio = get_compression_ratio(tokenizer.decode(tokens).strip())
            out.append(batched_result(tokens, avg_logprob, ratio, tokenizer.timestamp_begin,
                                      window, settings, lambda t: tokenizer.decode(list(t))))
        return out


def _segment(raw: Any) -> Segment:
    words = tuple(Word(text=w.word.strip(), start_s=float(w.start), end_s=float(w.end))
                  for w in (raw.words or ()))
    return Segment(text=raw.text.strip(), start_s=float(raw.start), end_s=float(raw.end),
                   words=words)
