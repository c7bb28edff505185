"""Whisper transcribers for the ``Transcriber`` port, chosen by engine name from one table.

    transcriber = make_transcriber(TranscriberOptions(engine="faster-whisper"))
    transcript = transcriber.transcribe(samples, lang="da")

What every transcription goes through, whatever the engine:

1. The language is always forced by the caller (the persona's language): auto-detection
   misfires on short and synthetic clips, and a Danish reply must not come back as Norwegian.
2. Silero VAD gates the clip. With no speech, the result is an empty transcript and Whisper
   never runs: on silence or noise it invents text ("you", "thanks for watching").
3. With ``trim_window`` (the default), the encoder sees only the clip up to the end of the
   speech plus ``margin_s``; if that decode hits the token cap or repeats itself, the clip
   is decoded again the standard way, with the full 30 s window (see ``decoding``).

A model loads once per process: engines are cached per (engine, model, compute type) and
shared by every transcriber. Importing this module imports no engine, torch or CTranslate2;
``make_transcriber`` imports the chosen engine and fails with the install command when its
package is missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from importlib import import_module

import numpy as np

from voicesim.core.ports import SAMPLE_RATE, Audio, Segment, Transcript
from voicesim.errors import AudioError, BackendError, ConfigError, UnsupportedLanguageError
from voicesim.speech.decoding import (
    DecodeResult,
    DecodeSettings,
    DecodeWindow,
    WhisperEngine,
    fit_to_window,
    looks_degenerate,
    plan_batches,
    plan_window,
    widened,
)
from voicesim.speech.models import default_model_for, resolve_model


@dataclass(frozen=True)
class TranscriberOptions:
    """How to transcribe (the live call fills it from ``VOICESIM_WHISPER_*``, see settings)."""

    engine: str = "faster-whisper"  # a key of BACKENDS
    model: str | None = None  # a name or CTranslate2 folder; None: default_model_for(lang)
    compute_type: str = "int8"  # faster-whisper weights: int8 is fastest on a CPU
    cpu_threads: int = 0  # threads for the engine; 0 lets the engine choose
    beam_size: int = 1  # 1 = greedy: at equal accuracy on short replies, much faster
    best_of: int = 5  # samples per fallback temperature above 0
    # The temperature fallback ladder: a decode that is repetitive or unsure is retried at
    # the next temperature; it rescues about 3% of clips.
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float = 2.4  # gzip ratio above which text counts as looping
    log_prob_threshold: float = -1.0  # average token log-probability below which to retry
    no_speech_threshold: float = 0.6  # Whisper's own no-speech test for a window
    word_timestamps: bool = False  # fill Segment.words with per-word times
    trim_window: bool = True  # shorten the 30 s encoder window to the speech plus a margin
    margin_s: float = 2.0  # audio kept after the speech in the short window (1 s looped)
    max_tokens_per_s: float = 6.0  # short-window token cap: ceil(this x speech seconds)
    max_tokens_extra: int = 10  # ... plus this many
    vad_gate: bool = True  # skip Whisper on clips where Silero VAD hears no speech
    vad_threshold: float = 0.5  # Silero speech probability that counts as speech
    batch_size: int = 8  # clips decoded together by transcribe_many (short windows only)
    batch_frames: int = 8000  # ... and at most this many padded mel frames (80 s) per batch

    def decode_settings(self) -> DecodeSettings:
        return DecodeSettings(
            beam_size=self.beam_size, best_of=self.best_of, temperatures=self.temperatures,
            compression_ratio_threshold=self.compression_ratio_threshold,
            log_prob_threshold=self.log_prob_threshold,
            no_speech_threshold=self.no_speech_threshold,
            word_timestamps=self.word_timestamps)


def _load_faster_whisper(model: str, options: TranscriberOptions) -> WhisperEngine:
    module = import_module("voicesim.speech.faster_whisper_engine")
    engine: WhisperEngine = module.FasterWhisperEngine(
        resolve_model(model), options.compute_type, options.cpu_threads)
    return engine


def _load_openai_whisper(model: str, options: TranscriberOptions) -> WhisperEngine:
    module = import_module("voicesim.speech.openai_whisper_engine")
    engine: WhisperEngine = module.OpenAIWhisperEngine(resolve_model(model), options.cpu_threads)
    return engine


@dataclass(frozen=True)
class Backend:
    """One entry of the backend table."""

    load: Callable[[str, TranscriberOptions], WhisperEngine]  # model name -> loaded engine
    packages: tuple[str, ...]  # modules whose absence means the engine is not installed
    install: str  # the exact command that installs them
    uses_compute_type: bool  # whether compute_type matters (else it is not in the cache key)


BACKENDS: dict[str, Backend] = {
    "faster-whisper": Backend(
        load=_load_faster_whisper, packages=("faster_whisper", "ctranslate2"),
        install=".venv/bin/pip install 'faster-whisper==1.2.1'", uses_compute_type=True),
    "openai-whisper": Backend(
        load=_load_openai_whisper, packages=("whisper", "torch"),
        install=(".venv/bin/pip install torch==2.13.0 --index-url "
                 "https://download.pytorch.org/whl/cpu && .venv/bin/pip install --no-deps "
                 "openai-whisper==20250625 numba tqdm more-itertools tiktoken"),
        uses_compute_type=False),
}

_engines: dict[tuple[str, str, str], WhisperEngine] = {}
_engines_lock = threading.Lock()


def make_transcriber(options: TranscriberOptions | None = None) -> WhisperTranscriber:
    """A transcriber for the chosen engine. Models load on first use, once per process."""
    options = options or TranscriberOptions()
    backend = _backend(options.engine)
    missing = [name for name in backend.packages if not _importable(name)]
    if options.vad_gate and not _importable("onnxruntime"):
        raise BackendError("the voice activity gate needs onnxruntime: run "
                           "`.venv/bin/pip install onnxruntime` (or set vad_gate=False)")
    if missing:
        raise BackendError(
            f"engine {options.engine!r} needs the Python package(s) {', '.join(missing)}: "
            f"run `{backend.install}`")
    if options.margin_s < 0 or options.beam_size < 1 or options.best_of < 1:
        raise ConfigError(
            f"invalid transcriber options (margin_s={options.margin_s}, beam_size="
            f"{options.beam_size}, best_of={options.best_of}): margin_s must be >= 0, "
            "beam_size and best_of >= 1")
    if not options.temperatures:
        raise ConfigError("transcriber temperatures are empty: give at least one, e.g. (0.0,)")
    if options.model is not None:
        resolve_model(options.model)  # a wrong path fails here, not at the first reply
    return WhisperTranscriber(options)


def loaded_engine(engine: str, model: str, options: TranscriberOptions) -> WhisperEngine:
    """The process-wide engine for (engine, model, compute type), loading it on first use.

    ``cpu_threads`` of the first request wins for a given key.
    """
    backend = _backend(engine)
    key = (engine, model, options.compute_type if backend.uses_compute_type else "")
    with _engines_lock:  # also serialises loading: two threads never load the same model
        if key not in _engines:
            _engines[key] = backend.load(model, options)
        return _engines[key]


class WhisperTranscriber:
    """The ``Transcriber`` port on a Whisper engine: VAD gate, short window, fallback."""

    def __init__(self, options: TranscriberOptions) -> None:
        self.options = options
        self.engine = options.engine
        self.model = options.model or "auto (tiny.en for en, base otherwise)"
        self._settings = options.decode_settings()
        # How the last clip was decoded: "short" window, "full" window (by choice or as the
        # fallback from a looping short one) or "skipped" (no speech). For benchmarks and
        # tests; with several threads sharing a transcriber it is only indicative.
        self.last_window = ""
        # The same for each clip of the last ``transcribe_many``, with "batch" for a clip
        # whose batched decode was kept.
        self.last_windows: list[str] = []

    def model_for(self, lang: str) -> str:
        return self.options.model or default_model_for(lang)

    def engine_for(self, lang: str) -> WhisperEngine:
        """Loads (once) and returns the engine that serves ``lang``."""
        return loaded_engine(self.options.engine, self.model_for(lang), self.options)

    def transcribe(self, audio: Audio, lang: str, speech_end_sample: int | None = None
                   ) -> Transcript:
        """``speech_end_sample``: the caller already found speech ending there (batch scoring
        runs the VAD over whole recordings), so the VAD gate is not run again."""
        samples = _validated(audio)
        lang = lang.strip().lower()
        model = self.model_for(lang)
        engine = self.engine_for(lang)
        self._check_language(engine, model, lang)
        empty = Transcript(text="", lang=lang, duration_s=samples.size / SAMPLE_RATE,
                           model=model, engine=self.engine)
        self.last_window = "skipped"
        if samples.size == 0:
            return empty
        speech_end = samples.size
        if speech_end_sample is not None:
            speech_end = min(max(speech_end_sample, 0), samples.size)
            if not speech_end:
                return empty
        elif self.options.vad_gate:
            speech_end = self._speech_end(samples)
            if not speech_end:
                return empty
        result = self._decode(engine, samples, lang, speech_end)
        segments = _clamped(result.segments, empty.duration_s)
        return replace(empty, text=result.text, segments=segments)

    def transcribe_many(self, clips: Sequence[Audio], lang: str,
                        speech_end_samples: Sequence[int] | None = None) -> list[Transcript]:
        """Several clips, in order: what ``transcribe`` gives for each, decoded in batches.

        Clips of similar length share one encoder call and one decoder pass, which halves
        the decoder's time on a CPU; a clip whose batched result is unsure or looping is
        decoded again alone exactly as ``transcribe`` would (next temperatures, full
        window). ``speech_end_samples``: as for ``transcribe``, one per clip.
        """
        if speech_end_samples is not None and len(speech_end_samples) != len(clips):
            raise ValueError("give one speech end per clip")
        lang = lang.strip().lower()
        if len(clips) < 2 or not self.options.trim_window or self.options.batch_size < 2:
            ends: Sequence[int | None] = speech_end_samples or [None] * len(clips)
            alone: list[Transcript] = []
            alone_how: list[str] = []
            for clip, end in zip(clips, ends, strict=True):
                alone.append(self.transcribe(clip, lang, end))
                alone_how.append(self.last_window)
            self.last_windows = alone_how
            return alone
        samples = [_validated(clip) for clip in clips]
        model = self.model_for(lang)
        engine = self.engine_for(lang)
        self._check_language(engine, model, lang)
        empty = [Transcript(text="", lang=lang, duration_s=clip.size / SAMPLE_RATE,
                            model=model, engine=self.engine) for clip in samples]
        results: list[DecodeResult | None] = [None] * len(samples)
        how = ["skipped"] * len(samples)
        windows: dict[int, DecodeWindow] = {}
        for index, clip in enumerate(samples):
            end = (self._speech_end(clip) if speech_end_samples is None
                   else min(max(speech_end_samples[index], 0), clip.size))
            window = (plan_window(clip.size, end, self.options.margin_s,
                                  self.options.max_tokens_per_s, self.options.max_tokens_extra)
                      if end else None)
            if window is not None:
                windows[index] = window
            elif end:  # too long for a short window: the standard path
                results[index] = self._decode(engine, clip, lang, end)
                how[index] = self.last_window
        batched = sorted(windows)
        for group in plan_batches([windows[i] for i in batched], self.options.batch_size,
                                  self.options.batch_frames):
            members = [batched[k] for k in group]
            longest = max((windows[i] for i in members), key=lambda w: w.encoder_frames)
            wide = [widened(windows[i], longest) for i in members]
            decoded = engine.decode_batch([fit_to_window(samples[i], w)
                                           for i, w in zip(members, wide, strict=True)],
                                          lang, self._settings, wide)
            for index, window, result in zip(members, wide, decoded, strict=True):
                how[index] = "batch"
                if result is None:  # unsure: decoded alone, the way transcribe does
                    result = self._decode(engine, samples[index], lang,
                                          window.speech_end_sample)
                    how[index] = self.last_window
                elif looks_degenerate(result, window, self.options.compression_ratio_threshold):
                    result = engine.decode(samples[index], lang, self._settings, None)
                    how[index] = "full"
                results[index] = result
        self.last_windows = how
        return [replace(blank, text=result.text,
                        segments=_clamped(result.segments, blank.duration_s))
                if result is not None else blank for blank, result in zip(empty, results,
                                                                          strict=True)]

    def _speech_end(self, samples: Audio) -> int:
        """Where the VAD hears the speech end, 0 when it hears none (or the clip's end
        when the gate is off)."""
        if not samples.size:
            return 0
        if not self.options.vad_gate:
            return samples.size
        from voicesim.speech.vad import load_vad

        spans = load_vad().speech_spans(samples, threshold=self.options.vad_threshold)
        return spans[-1][1] if spans else 0

    def _check_language(self, engine: WhisperEngine, model: str, lang: str) -> None:
        if not engine.supports_language(lang):
            raise UnsupportedLanguageError(
                f"Whisper model {model!r} cannot transcribe language {lang!r}: "
                + ("it is English-only; leave the model unset or choose a multilingual one "
                   "such as base" if model.endswith(".en") else "use a Whisper language code"))

    def _decode(self, engine: WhisperEngine, samples: Audio, lang: str,
                speech_end: int) -> DecodeResult:
        if self.options.trim_window:
            window = plan_window(samples.size, speech_end, self.options.margin_s,
                                 self.options.max_tokens_per_s, self.options.max_tokens_extra)
            if window is not None:
                short = engine.decode(fit_to_window(samples, window), lang, self._settings,
                                      window)
                if not looks_degenerate(short, window,
                                        self.options.compression_ratio_threshold):
                    self.last_window = "short"
                    return short
        self.last_window = "full"
        return engine.decode(samples, lang, self._settings, None)


def _clamped(segments: tuple[Segment, ...], duration_s: float) -> tuple[Segment, ...]:
    """Times limited to the clip: a decode may place the last word inside the silent margin."""
    def clamp(t: float) -> float:
        return round(min(max(t, 0.0), duration_s), 3)

    return tuple(
        replace(s, start_s=clamp(s.start_s), end_s=clamp(s.end_s),
                words=tuple(replace(w, start_s=clamp(w.start_s), end_s=clamp(w.end_s))
                            for w in s.words))
        for s in segments)


def _backend(engine: str) -> Backend:
    try:
        return BACKENDS[engine]
    except KeyError:
        raise BackendError(
            f"unknown transcription engine {engine!r}: choose one of "
            f"{', '.join(sorted(BACKENDS))}") from None


def _importable(module: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _validated(audio: Audio) -> Audio:
    samples = np.asarray(audio)
    if samples.ndim != 1:
        raise AudioError(
            f"audio for transcription must be mono float32 at {SAMPLE_RATE} Hz (one "
            f"dimension), got shape {samples.shape}: mix the channels down first")
    samples = samples.astype(np.float32, copy=False)
    if samples.size and not np.isfinite(samples).all():
        raise AudioError("audio for transcription contains NaN or infinite samples: check "
                         "the decoder or the capture device")
    return samples
