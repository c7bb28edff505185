"""Score one recording: the per-file function every runner (local, pool, Ray) calls.

A mono file up to ``reply_max_s`` is one reply, transcribed whole exactly like
``voicesim score``. Anything longer, and every stereo file, is a call: pass 1 decodes
``window_s`` at a time and finds each channel's speech with the VAD (only spans are kept);
pass 2 decodes the turns again in groups no longer than a window and transcribes them. So
memory stays bounded however long the recording is. The agent's turns are labelled with the
live-practice scorer; the customer's turns are transcribed for context and for the call facts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from voicesim.batch.options import BatchOptions
from voicesim.batch.turns import ChannelTurns, Span, call_facts, speech_spans_s, split_long
from voicesim.core.labels import LABEL_ORDER, ReplyScore
from voicesim.core.lexicon import normalize_language
from voicesim.core.ports import SAMPLE_RATE, Audio, Transcript
from voicesim.core.scorer import score_reply
from voicesim.errors import VoicesimError

if TYPE_CHECKING:
    from voicesim.speech.transcribers import WhisperTranscriber

_transcribers: dict[BatchOptions, WhisperTranscriber] = {}


def prepare_worker(options: BatchOptions) -> None:
    """Load the model and the VAD once, before the first file (a pool initializer)."""
    from voicesim.speech.vad import load_vad

    _transcriber(options).engine_for(normalize_language(options.lang))
    load_vad()


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
class _Turn:
    speaker: str  # "agent" or "customer"
    start_s: float
    end_s: float
    transcript: Transcript | None = None
    rms: float = 0.0


def _score(path: Path, options: BatchOptions) -> dict[str, Any]:
    from voicesim.speech.decode import decode_file, probe

    info = probe(path)
    lang = normalize_language(options.lang)
    transcriber = _transcriber(options)
    warnings: list[str] = []
    stereo = info.channels >= 2
    if not stereo and 0 < info.duration_s <= options.reply_max_s:
        kind = "reply"
        audio = decode_file(path)
        duration_s = audio.size / SAMPLE_RATE
        spans = speech_spans_s(audio, 0.0, options.energy_floor_dbfs, options.turn_gap_s)
        turns = [_Turn("agent", spans[0][0], spans[-1][1])] if spans else []
        if turns:
            turns[0].transcript = transcriber.transcribe(audio, lang)
            turns[0].rms = _rms(audio[int(spans[0][0] * SAMPLE_RATE): int(spans[-1][1] * SAMPLE_RATE)])
        channel_turns = ChannelTurns([(t.start_s, t.end_s) for t in turns], [], False)
    else:
        kind = "call"
        channel_turns, duration_s = _find_turns(path, options, stereo)
        turns = _transcribe_turns(path, options, stereo, channel_turns, transcriber, lang)
        if not stereo:
            warnings.append(
                f"{path}: mono recording of {duration_s:.0f} s: scored as one speaker (agent and "
                "customer are not separated); use a stereo recording with --agent-channel for "
                "talk share, latency and overtalk")
    agent = [t for t in turns if t.speaker == "agent"]
    scores = [score_reply(t.transcript.text if t.transcript else "", lang) for t in agent]
    if not turns:
        warnings.append(f"{path}: no speech found (silence or noise)")
    elif not agent:
        other = "right" if options.agent_channel == "left" else "left"
        warnings.append(
            f"{path}: the agent channel ({options.agent_channel}) has no speech, only the "
            f"{other} one: check --agent-channel")
    words = sum(len(s.text.split()) for s in scores)
    facts = call_facts(channel_turns, duration_s, options.long_silence_s, words,
                       [(t.end_s - t.start_s, t.rms) for t in agent])
    return {
        "kind": kind,
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
        "turns": _turn_rows(turns, scores),
        "scorecard": call_scorecard(scores),
        "facts": facts,
        "engine": transcriber.engine,
        "model": transcriber.model_for(lang),
        "settings": options.settings(),
        "warnings": warnings,
    }


def _find_turns(path: Path, options: BatchOptions, stereo: bool) -> tuple[ChannelTurns, float]:
    """Pass 1: VAD spans per channel, one window at a time."""
    from voicesim.speech.decode import decode_file

    agent_index = 0 if options.agent_channel == "left" else 1
    agent: list[Span] = []
    customer: list[Span] = []
    start_s, duration_s = 0.0, 0.0
    while True:
        window = decode_file(path, channels=2 if stereo else 1, start_s=start_s,
                             duration_s=options.window_s)
        if window.shape[0] == 0:
            break
        duration_s = start_s + window.shape[0] / SAMPLE_RATE
        channels = [window[:, agent_index], window[:, 1 - agent_index]] if stereo else [window]
        for spans, samples in zip((agent, customer), channels, strict=False):
            spans += speech_spans_s(np.ascontiguousarray(samples), start_s,
                                    options.energy_floor_dbfs, options.turn_gap_s)
        del window, channels
        if duration_s < start_s + options.window_s - 0.5:
            break
        start_s += options.window_s
    # A turn cut by a window edge is joined again here.
    from voicesim.batch.turns import merge_spans

    return (ChannelTurns(merge_spans(agent, options.turn_gap_s),
                         merge_spans(customer, options.turn_gap_s), stereo), duration_s)


def _transcribe_turns(path: Path, options: BatchOptions, stereo: bool, found: ChannelTurns,
                      transcriber: WhisperTranscriber, lang: str) -> list[_Turn]:
    """Pass 2: decode groups of turns no longer than a window and transcribe each turn."""
    from voicesim.speech.decode import decode_file

    turns = sorted(
        [_Turn("agent", s, e) for s, e in split_long(found.agent, options.max_piece_s)]
        + [_Turn("customer", s, e) for s, e in split_long(found.customer, options.max_piece_s)],
        key=lambda t: (t.start_s, t.speaker))
    agent_index = 0 if options.agent_channel == "left" else 1
    index = 0
    while index < len(turns):
        group_start = turns[index].start_s
        last = index
        while last + 1 < len(turns) and turns[last + 1].end_s - group_start <= options.window_s:
            last += 1
        group_end = max(t.end_s for t in turns[index:last + 1])
        window = decode_file(path, channels=2 if stereo else 1, start_s=group_start,
                             duration_s=group_end - group_start)
        for turn in turns[index:last + 1]:
            column = agent_index if turn.speaker == "agent" else 1 - agent_index
            samples = window[:, column] if stereo else window
            a = max(0, round((turn.start_s - group_start) * SAMPLE_RATE))
            b = round((turn.end_s - group_start) * SAMPLE_RATE)
            clip = np.ascontiguousarray(samples[a:b], dtype=np.float32)
            turn.transcript = _shifted(transcriber.transcribe(clip, lang), turn.start_s)
            turn.rms = _rms(clip)
        index = last + 1
    return turns


def _shifted(transcript: Transcript, offset_s: float) -> Transcript:
    from dataclasses import replace

    return replace(transcript, segments=tuple(
        replace(s, start_s=round(s.start_s + offset_s, 3), end_s=round(s.end_s + offset_s, 3))
        for s in transcript.segments))


def _rms(samples: Audio) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0


def _turn_rows(turns: list[_Turn], scores: list[ReplyScore]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    agent_scores = iter(scores)
    agent_number = 0
    for turn in turns:
        transcript = turn.transcript
        row: dict[str, Any] = {
            "speaker": turn.speaker,
            "start_s": round(turn.start_s, 3),
            "end_s": round(turn.end_s, 3),
            "text": transcript.text.strip() if transcript else "",
            "segments": [{"start_s": s.start_s, "end_s": s.end_s, "text": s.text.strip()}
                         for s in (transcript.segments if transcript else ())],
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
