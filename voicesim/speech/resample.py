"""Sample-rate conversion in plain numpy (windowed sinc), one-shot and streaming.

espeak writes 22,050 Hz, headsets often insist on 44.1 or 48 kHz, and the program works at
16 kHz. scipy or soxr would do this too, but they are heavy dependencies for a few seconds of
speech; a Kaiser-windowed sinc with a per-sample normalised kernel is accurate enough for speech
recognition and VAD (flat pass band up to ~95% of the lower Nyquist, alias rejection > 60 dB).

The streaming form exists for the microphone: a device that refuses 16 kHz delivers blocks at
its own rate, and each block must be converted without clicks at the block boundaries.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from voicesim.core.ports import Audio

# Half the kernel length, in zero crossings of the sinc. 16 keeps the transition band narrow
# while a 22,050 -> 16,000 conversion of a 5 s line still takes only a few milliseconds.
_ZERO_CROSSINGS = 16
# Fraction of the lower Nyquist frequency kept; the rest is the filter's transition band.
_PASS_FRACTION = 0.95
# Kaiser window shape: about 80 dB side-lobe suppression.
_KAISER_BETA = 8.6
# Output samples computed per vectorised block; bounds the (block x taps) weight matrix.
_BLOCK = 8192
# Above this many distinct fractional phases the kernels are computed per block, not tabled.
_MAX_PHASES = 4096
# Per-phase evaluation pays off once each phase has this many outputs in one call.
_MIN_PER_PHASE = 8


class StreamResampler:
    """Converts consecutive chunks of one signal; the chunks' outputs join seamlessly.

    Samples before the first chunk count as silence. Each ``process`` call returns every
    output sample whose kernel is covered by the input seen so far, so the converter lags by
    half a kernel (about 1 ms); ``flush`` pads the end with silence and returns the rest.
    """

    def __init__(self, src_rate: int, dst_rate: int):
        if src_rate <= 0 or dst_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
        divisor = math.gcd(src_rate, dst_rate)
        self.src_rate = src_rate
        self.dst_rate = dst_rate
        self._up = dst_rate // divisor
        self._down = src_rate // divisor
        # Cut-off in cycles per input sample, relative to the input Nyquist frequency.
        self._cutoff = _PASS_FRACTION * min(1.0, dst_rate / src_rate)
        self._half_width = math.ceil(_ZERO_CROSSINGS / self._cutoff)
        self._taps = np.arange(-self._half_width + 1, self._half_width + 1, dtype=np.int64)
        # Output n falls between input samples at the fractional phase (n * down mod up) / up,
        # so a rational ratio needs only ``up`` distinct kernels: compute them once. Absurd
        # ratios (thousands of phases) compute kernels per block instead.
        self._table: npt.NDArray[np.float64] | None = None
        if self._up <= _MAX_PHASES:
            self._table = self._kernels(np.arange(self._up, dtype=np.float64) / self._up)
        # The buffer starts with a half kernel of silence so the first output is centred on
        # input sample 0; ``_base`` is the absolute input index of ``_buffer[0]``.
        self._buffer = np.zeros(self._half_width, dtype=np.float64)
        self._base = -self._half_width
        self._next_out = 0  # absolute index of the next output sample
        self._seen = 0  # input samples received so far

    def process(self, chunk: npt.NDArray[np.floating]) -> Audio:
        """Feeds one chunk (1-D) and returns the output samples it completes."""
        samples = np.asarray(chunk, dtype=np.float64).reshape(-1)
        self._seen += samples.size
        self._buffer = np.concatenate([self._buffer, samples])
        return self._emit(self._base + self._buffer.size - 1)

    def flush(self) -> Audio:
        """Ends the signal: returns the remaining output, ``len * dst / src`` in total."""
        total_out = (self._seen * self._up + self._down - 1) // self._down
        self._buffer = np.concatenate([self._buffer, np.zeros(self._half_width + 1)])
        out = self._emit(self._base + self._buffer.size - 1)
        keep = max(0, total_out - (self._next_out - out.size))
        return out[:keep]

    def _emit(self, last_input: int) -> Audio:
        # Output n sits at input position n * down / up; it is ready once the kernel's right
        # edge (floor(position) + half_width) has arrived.
        last_ready = ((last_input - self._half_width + 1) * self._up - 1) // self._down
        if last_ready < self._next_out:
            return np.zeros(0, dtype=np.float32)
        count = last_ready + 1 - self._next_out
        if self._table is not None and count >= _MIN_PER_PHASE * self._up:
            pieces = [self._by_phase(self._next_out, count, self._table)]
        else:
            pieces = [
                self._interpolate(np.arange(start, min(start + _BLOCK, last_ready + 1)))
                for start in range(self._next_out, last_ready + 1, _BLOCK)
            ]
        self._next_out = last_ready + 1
        # Drop input no later output can reach (keep the left half kernel).
        first_needed = (self._next_out * self._down) // self._up - self._half_width + 1
        drop = max(0, first_needed - self._base)
        if drop:
            self._buffer = self._buffer[drop:]
            self._base += drop
        return np.concatenate(pieces).astype(np.float32)

    def _kernels(self, fraction: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Kernel weights for output positions ``fraction`` past an input sample (rows)."""
        distance = fraction[:, None] - self._taps[None, :]
        shape = np.sqrt(np.clip(1.0 - (distance / self._half_width) ** 2, 0.0, 1.0))
        window = np.i0(_KAISER_BETA * shape) / np.i0(_KAISER_BETA)
        weights: npt.NDArray[np.float64] = self._cutoff * np.sinc(self._cutoff * distance) * window
        # Normalising each row makes the DC gain exactly 1 whatever the fractional phase.
        weights /= weights.sum(axis=1, keepdims=True)
        return weights

    def _by_phase(self, first: int, count: int,
                  table: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Outputs ``first .. first+count-1``, computed one fractional phase at a time.

        Outputs of one phase read input windows a fixed ``down`` samples apart, so each phase
        is a strided view of the buffer times one kernel: no gather, one matrix product.
        """
        result = np.empty(count, dtype=np.float64)
        width = self._taps.size
        step = self._buffer.strides[0]
        for offset in range(min(self._up, count)):
            n = first + offset
            rows = (count - offset + self._up - 1) // self._up
            start = (n * self._down) // self._up - self._half_width + 1 - self._base
            windows = np.lib.stride_tricks.as_strided(
                self._buffer[start:], shape=(rows, width), strides=(self._down * step, step),
                writeable=False)
            result[offset::self._up] = windows @ table[(n * self._down) % self._up]
        return result

    def _interpolate(self, outputs: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        phase = (outputs * self._down) % self._up
        left = (outputs * self._down) // self._up
        table = self._table
        weights = table[phase] if table is not None else self._kernels(phase / self._up)
        values = self._buffer[left[:, None] + self._taps[None, :] - self._base]
        result: npt.NDArray[np.float64] = np.einsum("ij,ij->i", values, weights)
        return result


def resample(audio: npt.NDArray[np.floating], src_rate: int, dst_rate: int) -> Audio:
    """Converts a whole clip from ``src_rate`` to ``dst_rate``; float32 out, same duration."""
    samples = np.asarray(audio, dtype=np.float32).reshape(-1)
    if src_rate == dst_rate:
        return samples.copy()
    converter = StreamResampler(src_rate, dst_rate)
    head = converter.process(samples)
    return np.concatenate([head, converter.flush()])
