"""Where each channel speaks, found window by window as a long recording is decoded.

The Silero model runs only where a channel is louder than an energy floor (widened by about
0.5 s on each side), so hours of hold time or hiss cost little and speech is still judged by
the model. ``ChannelScan`` is fed consecutive windows of one channel and keeps everything
that crosses a window edge: the samples of an unfinished frame, the frames whose loudness
margin reaches into the next window, and the model's state inside a loud stretch. So the
probabilities, and the spans computed from them at the end, do not depend on where the
windows fall: a turn spoken across a window edge is found as one turn.

What is kept for the whole recording is one probability and one energy per 32 ms frame
(about 1.4 MB per channel-hour), never the audio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voicesim.core.ports import Audio
from voicesim.speech.vad import CONTEXT_SAMPLES, FRAME_SAMPLES, SileroVad, spans_from_probabilities

GATE_MARGIN_FRAMES = 16  # about 0.5 s of context kept around loud stretches for the model
_STATE_SHAPE = (1, 1, 128)
_MODEL_BATCH_FRAMES = 10_000  # frames per ONNX call (about 5 minutes)
_FEED_FRAMES = 1024  # frames handled at once by ``feed`` (about 33 s)

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ChannelSpeech:
    """What the scan of one channel found."""

    probs: Floats  # speech probability per frame; 0 where the channel was below the floor
    energy: npt.NDArray[np.float64]  # sum of squared samples per frame (loudness of turns)
    n_samples: int  # samples in the channel

    def spans(self, pad_ms: int = 100, min_silence_ms: int = 300) -> list[tuple[int, int]]:
        """Speech spans in samples (padded, merged where they touch)."""
        return spans_from_probabilities(self.probs, self.n_samples, min_silence_ms=min_silence_ms,
                                        pad_ms=pad_ms)

    def rms(self, start: int, end: int) -> float:
        """RMS of the frames whose middle lies in ``[start, end)`` samples (32 ms resolution)."""
        first = max(0, (start + FRAME_SAMPLES // 2) // FRAME_SAMPLES)
        last = min(len(self.energy), (end + FRAME_SAMPLES // 2) // FRAME_SAMPLES)
        if last <= first:
            return 0.0
        return float(np.sqrt(self.energy[first:last].sum() / ((last - first) * FRAME_SAMPLES)))


class ChannelScan:
    """Energy-gated Silero probabilities of one channel, fed one window at a time."""

    def __init__(self, vad: SileroVad, energy_floor_dbfs: float) -> None:
        self._vad = vad
        self._floor_energy = (10 ** (energy_floor_dbfs / 20)) ** 2 * FRAME_SAMPLES
        self._partial = np.zeros(0, dtype=np.float32)  # samples short of a whole frame
        self._held = np.zeros((0, FRAME_SAMPLES), dtype=np.float32)  # frames not yet decided
        self._held_energy = np.zeros(0, dtype=np.float64)
        self._past_loud = np.zeros(GATE_MARGIN_FRAMES, dtype=bool)  # the frames just decided
        # Model state when the last decided frame was inside a loud stretch, else None.
        self._state: tuple[Floats, Floats, Floats] | None = None
        self._probs: list[Floats] = []
        self._energy: list[npt.NDArray[np.float64]] = []
        self._n_samples = 0

    def feed(self, samples: Audio) -> None:
        """The next consecutive samples of the channel."""
        # In steps of about 30 s: the temporary copies stay small however long the window.
        step = _FEED_FRAMES * FRAME_SAMPLES
        for at in range(0, len(samples), step):
            chunk = np.asarray(samples[at: at + step], dtype=np.float32)
            self._n_samples += chunk.size
            if self._partial.size:
                chunk = np.concatenate([self._partial, chunk])
            whole = chunk.size // FRAME_SAMPLES * FRAME_SAMPLES
            self._partial = chunk[whole:].copy()
            self._add(chunk[:whole].reshape(-1, FRAME_SAMPLES), final=False)

    def finish(self) -> ChannelSpeech:
        """Decides the last frames (the last one zero-padded) and returns the scan."""
        if self._partial.size:
            last = np.zeros((1, FRAME_SAMPLES), dtype=np.float32)
            last[0, : self._partial.size] = self._partial
            self._partial = np.zeros(0, dtype=np.float32)
        else:
            last = np.zeros((0, FRAME_SAMPLES), dtype=np.float32)
        self._add(last, final=True)
        probs = np.concatenate(self._probs) if self._probs else np.zeros(0, np.float32)
        energy = np.concatenate(self._energy) if self._energy else np.zeros(0, np.float64)
        return ChannelSpeech(probs, energy, self._n_samples)

    def _add(self, frames: Floats, final: bool) -> None:
        energy = np.square(frames).sum(axis=1, dtype=np.float64)
        frames = np.concatenate([self._held, frames]) if self._held.size else frames
        energy = np.concatenate([self._held_energy, energy])
        # A frame is decided once the frames within the margin after it are known.
        ready = len(frames) if final else max(0, len(frames) - GATE_MARGIN_FRAMES)
        self._held, self._held_energy = frames[ready:].copy(), energy[ready:]
        if ready == 0:
            return
        loud = np.concatenate([self._past_loud, energy >= self._floor_energy])
        if final:
            loud = np.concatenate([loud, np.zeros(GATE_MARGIN_FRAMES, dtype=bool)])
        width = 2 * GATE_MARGIN_FRAMES + 1
        window_sums = np.convolve(loud.astype(np.int32), np.ones(width, dtype=np.int32), "valid")
        active = window_sums[:ready] > 0
        self._past_loud = loud[ready: ready + GATE_MARGIN_FRAMES]
        self._probs.append(self._model_probs(frames[:ready], active))
        self._energy.append(energy[:ready])

    def _model_probs(self, frames: Floats, active: npt.NDArray[np.bool_]) -> Floats:
        """The model's probability for active frames, 0 elsewhere; state carried across calls."""
        probs = np.zeros(len(frames), dtype=np.float32)
        edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
            if first == 0 and self._state is not None:
                h, c, context = self._state  # a loud stretch continued from the last window
            else:
                h = np.zeros(_STATE_SHAPE, dtype=np.float32)
                c = np.zeros(_STATE_SHAPE, dtype=np.float32)
                context = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)
            stretch = frames[first:last]
            contexts = np.concatenate([context[None, :], stretch[:-1, -CONTEXT_SAMPLES:]])
            framed = np.ascontiguousarray(np.concatenate([contexts, stretch], axis=1))
            for at in range(0, len(framed), _MODEL_BATCH_FRAMES):
                out, h, c = self._vad.run_frames(framed[at: at + _MODEL_BATCH_FRAMES], h, c)
                probs[first + at: first + at + len(out)] = out
            self._state = (h, c, stretch[-1, -CONTEXT_SAMPLES:].copy())
        if not len(active) or not active[-1]:
            self._state = None
        return probs

