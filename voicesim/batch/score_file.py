"""Score one recording: the per-file function every runner (local, pool, Ray) calls.

A mono file up to ``reply_max_s`` is one reply (one agent turn); anything longer, and every
stereo file, is a call whose turns are split at pauses of ``turn_gap_s``. Either way:

1. Scan: one ffmpeg process decodes the file ``window_s`` at a time and each channel's
   speech is found with the energy-gated VAD (``speech_scan``); only a probability and an
   energy per 32 ms frame are kept, so memory stays bounded however long the recording is,
   and a turn spoken across a window edge is found whole.
2. Transcribe: the turns are cut into pieces of speech with long pauses shortened
   (``pieces``), each cut from the audio as it is decoded a second time (a file that fits
   in one window is decoded once and kept), and Whisper gets each piece with the short
   encoder window. The VAD has already run, so the transcriber's own gate is skipped.

The agent's turns are labelled with the live-practice scorer; the customer's turns are
transcribed for context (``customer_text``) and give the call facts their timing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from voicesim.batch.options import BatchOptions
from voicesim.batch.pieces import Piece, Turn, group_turns, plan_pieces
from voicesim.batch.turns import ChannelTurns, call_facts
from voicesim.core.labels import LABEL_ORDER, ReplyScore
from voicesim.core.lexicon import normalize_language
from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.errors import VoicesimError
from voicesim.scoring import scorer_named

if TYPE_CHECKING:
    from voicesim.batch.speech_scan import ChannelSpeech
    from voicesim.speech.transcribers import WhisperTranscriber

_transcribers: dict[BatchOptions, WhisperTranscriber] = {}


def prepare_worker(options: BatchOptions) -> None:
    """Load the model, the VAD and the scorer's lexicon once, before the first file."""
    from voicesim.speech.vad import load_vad

    lang = normalize_language(options.lang)
    _transcriber(options).engine_for(lang)
    load_vad()
    scorer_named().score("", lang)  # compiles the lexicon, loads the encoder


def _transcriber(options: BatchOptions) -> WhisperTranscriber:
    from voicesim.speech.transcribers import TranscriberOptions, make_transcriber

    if options not in _transcribers:
        _transcribers[options] = make_transcriber(TranscriberOptions(
            engine=options.engine, model=options.model, cpu_threads=options.cpu_threads))
    return _transcribers[options]


def score_file(path: Path | str, options: BatchOptions, sha256: str = "") -> dict[str, Any]:
    """One result row; a file that cannot be scored gets ``error`` (one line) instead."""
    path = Path(path)
    started = time.perf_counter()
    head: dict[str, Any] = {"file": str(path), "sha256": sha256,
                            "settings_id": options.settings_id}
    try:
        row = {**head, **_score(path, options)}
    except VoicesimError as exc:
        message = " ".join(str(exc).split())
        row = {**head, "error": message if str(path) in message else f"{path}: {message}"}
    except Exception as exc:  # a bug or a crashed decoder must not stop the batch
        row = {**head, "error": f"{path}: internal error ({type(exc).__name__}: "
                                f"{' '.join(str(exc).split())}); rerun to retry", "retry": True}
    row["elapsed_s"] = round(time.perf_counter() - started, 3)
    return row


@dataclass
class _TurnText:
    """What the transcription of a turn's pieces gave, in recording seconds."""

    text: list[str] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)


def _score(path: Path, options: BatchOptions) -> dict[str, Any]:
    from voicesim.speech.decode import probe

    info = probe(path)
    lang = normalize_language(options.lang)
    transcriber = _transcriber(options)
    transcriber.engine_for(lang)  # load the model (once) before any audio is in memory
    warnings: list[str] = []
    stereo = info.channels >= 2
    channels = 2 if stereo else 1
    agent_column = 1 if stereo and options.agent_channel == "right" else 0
    is_reply = not stereo and 0 < info.duration_s <= options.reply_max_s
    speech, kept = _scan(path, channels, options, keep=info.duration_s < options.window_s - 1)
    duration_s = speech[0].n_samples / SAMPLE_RATE
    column = {"agent": agent_column, "customer": 1 - agent_column}
    turns = _turns(speech, column, options, one_reply=is_reply)
    if not stereo and not is_reply:
        warnings.append(
            f"{path}: mono recording of {duration_s:.0f} s: scored as one speaker (agent and "
            "customer are not separated); use a stereo recording with --agent-channel for "
            "talk share, latency and overtalk")
    pieces = [piece for index, turn in enumerate(turns)
              if turn.speaker == "agent" or options.customer_text
              for piece in plan_pieces(turn, index, column[turn.speaker],
                                       speech[column[turn.speaker]].probs,
                                       options.max_piece_s, options.keep_pause_s)]
    windows: Iterable[Audio] = [kept] if kept is not None else _windows(path, channels, options)
    texts = _transcribe(windows, pieces, channels, transcriber, lang)
    agent = [i for i, t in enumerate(turns) if t.speaker == "agent"]
    scores = scorer_named().score_many(
        [" ".join(texts[i].text) if i in texts else "" for i in agent], lang)
    if not turns:
        warnings.append(f"{path}: no speech found (silence or noise)")
    elif not agent:
        other = "right" if options.agent_channel == "left" else "left"
        warnings.append(
            f"{path}: the agent channel ({options.agent_channel}) has no speech, only the "
            f"{other} one: check --agent-channel")
    words = sum(len(s.text.split()) for s in scores)
    seconds = [(t.start / SAMPLE_RATE, t.end / SAMPLE_RATE) for t in turns]
    channel_turns = ChannelTurns(
        [seconds[i] for i in agent],
        [seconds[i] for i, t in enumerate(turns) if t.speaker == "customer"], stereo)
    agent_rms = [((turns[i].end - turns[i].start) / SAMPLE_RATE,
                  speech[agent_column].rms(turns[i].start, turns[i].end)) for i in agent]
    facts = call_facts(channel_turns, duration_s, options.long_silence_s, words, agent_rms)
    return {
        "kind": "reply" if is_reply else "call",
        "duration_s": round(duration_s, 3),
        "channels": info.channels,
        "agent_channel": options.agent_channel if stereo else None,
        "text": " ".join(s.text.strip() for s in scores if s.text.strip()),
        "labels": [str(label) for label in LABEL_ORDER
                   if any(label in s.labels for s in scores)],
        "label_counts": {str(label): sum(label in s.labels for s in scores)
                         for label in LABEL_ORDER},
        "evidence": [{"turn": i + 1, **e.to_dict()}
                     for i, s in enumerate(scores) for e in s.evidence],
        "turns": _turn_rows(turns, texts, scores),
        "scorecard": call_scorecard(scores),
        "facts": facts,
        "engine": transcriber.engine,
        "model": transcriber.model_for(lang),
        "settings": options.settings(),
        "warnings": warnings,
    }


def _turns(speech: list[ChannelSpeech], column: dict[str, int], options: BatchOptions,
           one_reply: bool) -> list[Turn]:
    """A reply is one agent turn from its first to its last speech; a call's turns are
    each channel's speech split at pauses of ``turn_gap_s``, in order of start."""
    agent_spans = speech[column["agent"]].spans()
    if one_reply:
        return [Turn("agent", tuple(agent_spans))] if agent_spans else []
    turns = group_turns("agent", agent_spans, options.turn_gap_s)
    if len(speech) > 1:
        turns += group_turns("customer", speech[column["customer"]].spans(),
                             options.turn_gap_s)
    return sorted(turns, key=lambda t: (t.start, t.speaker))


def _scan(path: Path, channels: int, options: BatchOptions, keep: bool
          ) -> tuple[list[ChannelSpeech], Audio | None]:
    """Pass 1: each channel's speech; the decoded audio too when it is one window."""
    from voicesim.batch.speech_scan import ChannelScan
    from voicesim.speech.vad import load_vad

    vad = load_vad()
    scans = [ChannelScan(vad, options.energy_floor_dbfs) for _ in range(channels)]
    kept: Audio | None = None
    for count, window in enumerate(_windows(path, channels, options)):
        for column, scan in enumerate(scans):
            scan.feed(window[:, column] if channels > 1 else window)
        kept = window if keep and count == 0 else None
        del window  # the decoder's next window is allocated before this one is rebound
    return [scan.finish() for scan in scans], kept


def _windows(path: Path, channels: int, options: BatchOptions) -> Iterator[Audio]:
    from voicesim.speech.decode import decode_windows

    return decode_windows(path, channels=channels, window_s=options.window_s, checked=True)


def _transcribe(windows: Iterable[Audio], pieces: list[Piece], channels: int,
                transcriber: WhisperTranscriber, lang: str) -> dict[int, _TurnText]:
    """Pass 2: every piece transcribed, its words placed in recording time, per turn.

    The pieces that end in one window are transcribed together (in batches), so the
    decoder's steps are shared; pieces keep their own text and times."""
    texts: dict[int, _TurnText] = {}
    for ready in _piece_audio(windows, pieces, channels):
        transcripts = transcriber.transcribe_many([audio for _, audio in ready], lang,
                                                  [audio.size for _, audio in ready])
        for (piece, _), transcript in zip(ready, transcripts, strict=True):
            turn = texts.setdefault(piece.turn, _TurnText())
            if transcript.text.strip():
                turn.text.append(transcript.text.strip())
            turn.segments += [{"start_s": round(piece.to_recording(s.start_s), 3),
                               "end_s": round(piece.to_recording(s.end_s), 3),
                               "text": s.text.strip()} for s in transcript.segments]
    return texts


def _piece_audio(windows: Iterable[Audio], pieces: list[Piece], channels: int
                 ) -> Iterator[list[tuple[Piece, Audio]]]:
    """The pieces that end in each window, with their audio, in order of start; only audio
    a pending piece needs is kept between windows (at most a piece and a window)."""
    order = sorted(pieces, key=lambda p: (p.start, p.turn))
    if not order:
        return
    carry = np.zeros((0, channels), dtype=np.float32)
    carry_start = 0
    index = 0
    for window in windows:
        drop = min(max(0, order[index].start - carry_start), len(carry))
        carry_start += drop
        carry = (np.concatenate([carry[drop:], window.reshape(-1, channels)])
                 if drop < len(carry) else window.reshape(-1, channels))
        del window  # the decoder's next window is allocated before this one is rebound
        available = carry_start + len(carry)
        ready: list[tuple[Piece, Audio]] = []
        while index < len(order) and order[index].end <= available:
            piece = order[index]
            ready.append((piece, piece.audio(carry[:, piece.channel], carry_start)))
            index += 1
        if ready:
            yield ready
        if index == len(order):
            return  # the rest of the recording holds no piece: stop decoding
    raise VoicesimError(f"the second decoding pass ended before sample {order[index].end}: "
                        "the file changed while it was scored; rerun to retry")


def _turn_rows(turns: list[Turn], texts: dict[int, _TurnText], scores: list[ReplyScore]
               ) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    agent_scores = iter(scores)
    agent_number = 0
    for index, turn in enumerate(turns):
        text = texts.get(index, _TurnText())
        row: dict[str, Any] = {
            "speaker": turn.speaker,
            "start_s": round(turn.start / SAMPLE_RATE, 3),
            "end_s": round(turn.end / SAMPLE_RATE, 3),
            "text": " ".join(text.text),
            "segments": text.segments,
        }
        if turn.speaker == "agent":
            agent_number += 1
            score = next(agent_scores)
            row.update({"turn": agent_number, "labels": [str(x) for x in score.labels],
                        "evidence": [e.to_dict() for e in score.evidence],
                        "apology": str(score.apology) if score.apology else None})
        rows.append(row)
    return rows


def call_scorecard(scores: list[ReplyScore]) -> dict[str, Any]:
    """The live-practice scorecard's dimensions that apply to a recording, with quotes.

    A recording has no staircase (no caller level, outcome or hostility), so the scorecard
    is built with every turn at level 1 and only the level-free dimensions are kept:
    active listening, apology and harmful moves, and the coaching tips.
    """
    from voicesim.core.levels import Level
    from voicesim.core.scorecard import ScoredTurn, build_scorecard
    from voicesim.core.staircase_rules import Outcome, Rule

    level = Level.DISAGREEMENT
    turns = [ScoredTurn(i + 1, level, score, Rule.NO_PROGRESS, level)
             for i, score in enumerate(scores)]
    card = build_scorecard(turns, Outcome.ENDED, level, level)
    kept = [d for d in card.dimensions if d.name in ("active_listening", "apology", "harmful_moves")]
    ratings = [d.rating for d in kept if d.rating is not None]
    return {
        "agent_turns": len(scores),
        "overall": round(sum(ratings) / len(ratings)) if ratings and scores else None,
        **{d.name: d.to_dict() for d in kept},
        "tips": list(card.tips) if scores else [],
    }
