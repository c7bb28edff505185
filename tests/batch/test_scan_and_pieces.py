"""The batch pipeline's parts below Whisper: windowed decoding, the speech scan, the pieces.

Real espeak-ng speech, the real Silero model and the real ffmpeg; no Whisper weights.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.speech.speech_helpers import espeak_to_audio, silence
from voicesim.batch.pieces import Piece, Turn, group_turns, plan_pieces
from voicesim.batch.speech_scan import ChannelScan
from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.errors import AudioError
from voicesim.speech.decode import decode_file, decode_windows
from voicesim.speech.vad import FRAME_SAMPLES, load_vad

S = SAMPLE_RATE


@pytest.fixture(scope="module")
def talk() -> Audio:
    """Two sentences with a long pause, faint hiss between: 2 s, speech, 3 s, speech, 2 s."""
    first = espeak_to_audio("Thank you for waiting. I have found your order.")
    second = espeak_to_audio("It left the depot on Monday and should arrive tomorrow.")
    clip = np.concatenate([silence(2.0), first, silence(3.0), second, silence(2.0)])
    return (clip + silence(len(clip) / S, noise=0.0005)).astype(np.float32)


def scan(audio: Audio, window: int) -> ChannelScan:
    scanner = ChannelScan(load_vad(), energy_floor_dbfs=-55.0)
    for at in range(0, len(audio), window):
        scanner.feed(audio[at: at + window])
    return scanner


@pytest.mark.parametrize("window", [7 * S + 123, 3 * S, 1000, FRAME_SAMPLES])
def test_the_scan_does_not_depend_on_where_the_windows_fall(talk: Audio, window: int) -> None:
    whole = scan(talk, len(talk)).finish()
    pieces = scan(talk, window).finish()
    np.testing.assert_array_equal(pieces.probs, whole.probs)
    assert pieces.spans() == whole.spans() and pieces.n_samples == len(talk)
    np.testing.assert_allclose(pieces.energy, whole.energy, rtol=1e-6)


def test_the_scan_finds_the_two_sentences_and_skips_quiet_frames(talk: Audio) -> None:
    speech = scan(talk, 5 * S).finish()
    spans = speech.spans()
    turns = group_turns("agent", spans, turn_gap_s=1.0)
    assert len(turns) == 2, spans
    assert abs(turns[0].start / S - 2.0) < 0.3
    assert len(speech.probs) == -(-len(talk) // FRAME_SAMPLES)
    # The hiss is below the energy floor: the model never ran there (probability 0).
    assert speech.probs[: round(1.0 * S / FRAME_SAMPLES)].max() == 0.0
    assert speech.probs.max() > 0.9
    start, end = turns[0].start, turns[0].end
    direct = float(np.sqrt(np.mean(np.square(talk[start:end], dtype=np.float64))))
    assert speech.rms(start, end) == pytest.approx(direct, rel=0.05)


def test_a_long_turn_is_cut_at_pauses_and_long_pauses_are_shortened() -> None:
    # Spans in samples: 4 s, pause 0.2 s, 4 s, pause 3 s, 4 s, pause 0.3 s, 4 s.
    spans = [(0, 4 * S), (int(4.2 * S), int(8.2 * S)), (int(11.2 * S), int(15.2 * S)),
             (int(15.5 * S), int(19.5 * S))]
    turn = Turn("agent", tuple(spans))
    probs = np.ones(20 * S // FRAME_SAMPLES, np.float32)
    whole = plan_pieces(turn, 0, 0, probs, max_piece_s=28.0, keep_pause_s=0.5)
    assert len(whole) == 1
    piece = whole[0]
    # The 3 s pause is cut to 0.5 s (0.25 s after the speech before, 0.25 s before the next).
    assert piece.n_samples == 16 * S + int(0.2 * S) + int(0.5 * S) + int(0.3 * S)
    assert piece.intervals[0] == (0, int(8.2 * S) + S // 4)
    # Times in the piece map back to the recording, the shortened pause included.
    assert piece.to_recording(1.0) == pytest.approx(1.0)
    assert piece.to_recording(8.2 + 0.5 + 1.0) == pytest.approx(11.2 + 1.0, abs=1e-3)
    assert piece.to_recording(piece.n_samples / S) == pytest.approx(19.5)
    split = plan_pieces(turn, 3, 1, probs, max_piece_s=9.0, keep_pause_s=0.5)
    assert [p.intervals[0][0] for p in split] == [0, int(11.2 * S)]  # cut at the long pause
    assert all(p.n_samples <= 9 * S and (p.turn, p.channel) == (3, 1) for p in split)


def test_speech_without_a_pause_is_cut_at_its_least_speechy_frame() -> None:
    probs = np.full(40 * S // FRAME_SAMPLES, 0.95, np.float32)
    dip = round(8.5 * S / FRAME_SAMPLES)  # a soft spot between two words at 8.5 s
    probs[dip] = 0.2
    pieces = plan_pieces(Turn("agent", ((0, 30 * S),)), 0, 0, probs, max_piece_s=10.0,
                         keep_pause_s=0.5)
    assert pieces[0].intervals == ((0, dip * FRAME_SAMPLES),)
    assert all(p.n_samples <= 10 * S for p in pieces)
    assert sum(p.n_samples for p in pieces) == 30 * S  # nothing lost, nothing twice


def test_piece_audio_is_cut_from_the_recording_in_order() -> None:
    source = np.arange(10 * S, dtype=np.float32)
    piece = Piece(0, 0, ((S, 2 * S), (5 * S, 6 * S)))
    audio = piece.audio(source, 0)
    assert audio.size == 2 * S and audio[0] == S and audio[S] == 5 * S
    later = piece.audio(source[S:], S)  # the same piece from a window starting at 1 s
    np.testing.assert_array_equal(later, audio)


@pytest.fixture(scope="module")
def stereo_file(tmp_path_factory: pytest.TempPathFactory, talk: Audio) -> Path:
    folder = tmp_path_factory.mktemp("windows")
    left = folder / "left.f32"
    right = folder / "right.f32"
    talk.astype("<f4").tofile(left)
    (talk[::-1] * 0.5).astype("<f4").tofile(right)
    out = folder / "call.flac"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "f32le", "-ar", str(S), "-ac", "1", "-i",
                    str(left), "-f", "f32le", "-ar", str(S), "-ac", "1", "-i", str(right),
                    "-filter_complex", "[0:a][1:a]amerge=inputs=2", str(out)], check=True)
    return out


def test_decoded_windows_join_into_the_whole_file(stereo_file: Path) -> None:
    whole = decode_file(stereo_file, channels=2)
    windows = list(decode_windows(stereo_file, channels=2, window_s=4.0))
    assert [len(w) for w in windows[:-1]] == [4 * S] * (len(windows) - 1)
    np.testing.assert_array_equal(np.concatenate(windows), whole)
    mono = np.concatenate(list(decode_windows(stereo_file, channels=1, window_s=3.3)))
    np.testing.assert_array_equal(mono, decode_file(stereo_file))


def test_stopping_early_ends_the_decoder_and_bad_files_are_one_line_errors(
        stereo_file: Path, tmp_path: Path) -> None:
    windows = decode_windows(stereo_file, channels=2, window_s=1.0)
    next(windows)
    running = _ffmpeg_children()
    assert running >= 1
    windows.close()  # the caller stops early: ffmpeg must not keep running
    assert _ffmpeg_children() == running - 1
    cut = tmp_path / "cut.flac"
    cut.write_bytes(stereo_file.read_bytes()[:300_000])  # a download that stopped
    good = []
    with pytest.raises(AudioError, match=r"cut\.flac: corrupt or truncated"):
        for window in decode_windows(cut, channels=2, window_s=2.0):
            good.append(window)
    assert good  # the audio before the damage came through first


def _ffmpeg_children() -> int:
    import os

    pid = os.getpid()
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text().split()
        except (OSError, ValueError):
            continue
        if len(stat) > 3 and stat[3] == str(pid) and stat[1] == "(ffmpeg)":
            count += 1
    return count
