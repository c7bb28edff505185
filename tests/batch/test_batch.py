"""voicesim batch on real espeak speech and real Whisper weights, and on bad inputs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from voicesim.batch.options import BatchOptions
from voicesim.batch.run import run_batch
from voicesim.batch.turns import ChannelTurns, call_facts

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=300)


def speak(path: Path, text: str) -> Path:
    raw = path.with_suffix(".raw.wav")
    sh("espeak-ng", "-w", str(raw), text)
    sh("sox", str(raw), "-r", "16000", str(path))
    raw.unlink()
    return path


def similar(a: str, b: str) -> float:
    """Word-level similarity 0..1 of two texts (case and punctuation ignored)."""
    from difflib import SequenceMatcher

    def words(text: str) -> list[str]:
        return [w.strip(".,?!").lower() for w in text.split()]

    return SequenceMatcher(None, words(a), words(b)).ratio()


def rows(out: Path) -> dict[str, dict[str, Any]]:
    return {Path(r["file"]).name: r for r in map(json.loads, out.read_text().splitlines())}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("corpus")
    speak(d / "reply.wav", "I'm so sorry your order did not arrive. What happened when you called?")
    sh("ffmpeg", "-v", "error", "-i", str(d / "reply.wav"), str(d / "reply.mp3"))
    agent = speak(d / "agent.wav", "I understand how frustrating this is. I will send a new one today.")
    customer = speak(d / "customer.wav", "My parcel never arrived and nobody helped me at all.")
    sh("sox", str(customer), str(d / "cust_long.wav"), "pad", "0", "12")
    sh("sox", str(agent), str(d / "agent_long.wav"), "pad", "4.5", "2")
    sub = d / "calls"
    sub.mkdir()
    sh("sox", "-M", str(d / "agent_long.wav"), str(d / "cust_long.wav"), str(sub / "call.wav"))
    sh("sox", "-n", "-r", "16000", "-c", "1", str(d / "zeros.wav"), "trim", "0", "12")
    sh("sox", "-M", str(d / "zeros.wav"), str(d / "cust_long.wav"), str(sub / "empty_agent.wav"))
    for name in ("agent_long.wav", "cust_long.wav", "zeros.wav", "agent.wav", "customer.wav"):
        (d / name).unlink()
    sh("sox", "-n", "-r", "16000", "-c", "1", str(d / "silence.flac"), "trim", "0", "5")
    (d / "empty.wav").write_bytes(b"")
    (d / "text.wav").write_text("this is not audio\n")
    data = (d / "reply.mp3").read_bytes()
    (d / "truncated.flac").write_bytes((sub / "call.wav").read_bytes()[:0] + b"fLaC" + data[100:400])
    (d / "notes.txt").write_text("hello")
    (d / "strange.xyz").write_bytes(b"\0" * 100)
    return d


@pytest.fixture(scope="module")
def local_out(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "results.jsonl"
    run_batch([corpus], out, BatchOptions(), progress=False)
    return out


def test_replies_and_stereo_calls_are_scored_with_facts(local_out: Path) -> None:
    r = rows(local_out)
    reply = r["reply.wav"]
    assert reply["kind"] == "reply" and "apology" in reply["labels"], reply
    assert reply["turns"][0]["segments"] and reply["model"] == "tiny.en"
    assert rows(local_out)["reply.mp3"]["labels"] == reply["labels"]
    call = r["call.wav"]
    assert call["kind"] == "call" and call["channels"] == 2
    speakers = [t["speaker"] for t in call["turns"]]
    assert speakers == ["customer", "agent"], call["turns"]
    assert "empathy" in call["labels"] and call["turns"][1]["evidence"]
    facts = call["facts"]
    assert 0.3 < facts["agent_talk_share"] < 0.9
    assert 0.2 < facts["response_latency_mean_s"] < 3.0, facts
    assert facts["agent_interruptions"] == 0 and facts["agent_pace_wpm"] > 60
    assert -40 < facts["agent_loudness_dbfs"] < -5
    assert call["scorecard"]["active_listening"]["quotes"]
    assert call["settings"]["agent_channel"] == "left" and call["sha256"]


def test_bad_inputs_get_one_line_messages_and_the_batch_goes_on(local_out: Path) -> None:
    r = rows(local_out)
    for name, problem in (("empty.wav", "empty file"), ("text.wav", "not a readable audio"),
                          ("notes.txt", "unsupported format"), ("strange.xyz", "unsupported")):
        assert problem in r[name]["error"] and name in r[name]["error"], r[name]
        assert "\n" not in r[name]["error"]
    assert r["truncated.flac"]["error"].count("truncated.flac") >= 1
    assert "no speech found" in r["silence.flac"]["warnings"][0]
    assert not r["silence.flac"]["labels"]
    assert "agent channel (left) has no speech" in r["empty_agent.wav"]["warnings"][0]
    assert r["empty_agent.wav"]["facts"]["customer_turns"] == 1


def test_rerun_skips_done_files_and_resumes_after_a_cut_line(local_out: Path, tmp_path: Path
                                                          ) -> None:
    out = tmp_path / "r.jsonl"
    lines = local_out.read_text().splitlines(keepends=True)
    scored = [line for line in lines if '"reply.wav"' in line or "reply.wav\"" in line]
    keep = [line for line in lines if line not in scored]
    out.write_text("".join(keep) + scored[0][:50])  # the run died while writing reply.wav
    corpus = Path(json.loads(lines[0])["file"]).parent
    summary = run_batch([corpus], out, BatchOptions(), progress=False)
    assert summary.scored == 1 and summary.already_done == len(keep), summary
    assert len(out.read_text().splitlines()) == len(lines)
    other = run_batch([corpus / "reply.wav"], out, BatchOptions(agent_channel="right"),
                      progress=False)
    assert other.scored == 1  # other settings: scored again


def test_csv_output_and_two_local_workers_match(corpus: Path, local_out: Path, tmp_path: Path
                                                ) -> None:
    import csv

    out = tmp_path / "r.csv"
    run_batch([corpus / "reply.wav", corpus / "calls"], out, BatchOptions(), workers=2,
              progress=False)
    table = {Path(row["file"]).name: row for row in csv.DictReader(out.open())}
    local = rows(local_out)
    assert set(table) == {"reply.wav", "call.wav", "empty_agent.wav"}
    for name, row in table.items():
        assert row["labels"] == ";".join(local[name]["labels"]) and row["text"] == local[name]["text"]
    assert table["call.wav"]["count_empathy"] == "1" and table["call.wav"]["agent_talk_share"]
    again = run_batch([corpus / "reply.wav"], out, BatchOptions(), progress=False)
    assert again.already_done == 1 and again.scored == 0


def test_ray_runner_gives_the_local_results(corpus: Path, local_out: Path, tmp_path: Path) -> None:
    import ray  # installed by scripts/setup.sh (the batch extra): a missing Ray is a failure
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        out = tmp_path / "ray.jsonl"
        run_batch([corpus / "reply.wav", corpus / "calls", corpus / "empty.wav"], out,
                  BatchOptions(), runner="ray", workers=2, progress=False)
    finally:
        ray.shutdown()
    local, remote = rows(local_out), rows(out)
    assert set(remote) == {"reply.wav", "call.wav", "empty_agent.wav", "empty.wav"}
    for name, row in remote.items():
        for key in ("error", "labels", "text", "facts", "sha256", "settings_id"):
            assert row.get(key) == local[name].get(key), (name, key)


def test_cli_errors_are_one_line(corpus: Path, tmp_path: Path) -> None:
    from voicesim.cli import main

    assert main(["batch", str(corpus / "reply.wav"), "--out", str(tmp_path / "x.txt")]) == 1
    assert main(["batch", str(tmp_path / "missing"), "--out", str(tmp_path / "x.jsonl")]) == 1
    assert main(["batch", str(corpus / "reply.wav"), "--engine", "nope",
                 "--out", str(tmp_path / "x.jsonl")]) == 1


def test_call_facts_on_known_turns() -> None:
    turns = ChannelTurns(agent=[(2.0, 4.0), (4.5, 6.0), (20.0, 21.0)],
                         customer=[(0.0, 1.5), (3.5, 5.0)], two_speakers=True)
    facts = call_facts(turns, 30.0, 5.0, agent_words=20, agent_rms=[(2.0, 0.1)])
    assert facts["response_latency_max_s"] == pytest.approx(15.0)  # 5.0 -> 20.0
    assert facts["response_latency_mean_s"] == pytest.approx(7.75)  # (0.5 + 15) / 2
    assert facts["agent_interruptions"] == 1 and facts["customer_interruptions"] == 1
    assert facts["overtalk_s"] == pytest.approx(1.0)
    assert facts["long_silences"] == 1 and facts["long_silence_spans"] == [[6.0, 20.0]]
    assert facts["agent_loudness_dbfs"] == pytest.approx(-20.0)


def peak_batch_mb(audio: Path, out: Path) -> int:
    """Peak resident memory of ``voicesim batch AUDIO`` run as a command of its own."""
    probe = (
        "import resource, subprocess, sys\n"
        f"subprocess.run([{str(Path(sys.executable).parent / 'voicesim')!r}, 'batch', "
        f"{str(audio)!r}, '--out', {str(out)!r}, '--no-progress'], check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=600, cwd=ROOT)
    return int(done.stdout.split()[-1])


def test_three_hour_recording_stays_in_bounded_memory(tmp_path: Path) -> None:
    long = tmp_path / "long.flac"
    words = speak(tmp_path / "w.wav", "Thank you for waiting, I have found your order.")
    sh("sox", "-n", "-r", "16000", "-c", "1", str(tmp_path / "hiss.flac"), "synth", "10800",
       "whitenoise", "vol", "0.0003")
    sh("sox", str(words), str(tmp_path / "hiss.flac"), str(words), str(long))
    out = tmp_path / "long.jsonl"
    short_mb = peak_batch_mb(words, tmp_path / "short.jsonl")
    peak_mb = peak_batch_mb(long, out)
    row = json.loads(out.read_text())
    assert row["duration_s"] > 10_800 and row["kind"] == "call", row.get("error")
    assert "mono recording" in row["warnings"][0]
    assert row["facts"]["agent_turns"] == 2 and "thank" in row["text"].lower()
    # The whole file as float32 would be 690 MB; one 300 s window is 19 MB. Three hours
    # must cost no more than a 3 s reply give or take one window and a half: the model,
    # not the recording, sets the peak.
    assert peak_mb < short_mb + 30, (peak_mb, short_mb)


def write_stereo(path: Path, left: Any, right: Any) -> Path:
    """A 16-bit stereo WAV at 16 kHz from two float channels (the shorter one padded)."""
    import wave

    import numpy as np

    length = max(len(left), len(right))
    frames = np.zeros((length, 2), dtype=np.float32)
    frames[: len(left), 0], frames[: len(right), 1] = left, right
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes((np.clip(frames, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def test_turns_across_window_edges_come_out_as_with_one_window(tmp_path: Path) -> None:
    import numpy as np

    from tests.speech.speech_helpers import espeak_to_audio, silence

    agent = espeak_to_audio("Thank you. I can see the order now. It left the depot on Monday, "
                            "and it should be with you tomorrow.")
    customer = espeak_to_audio("That is far too late for me, I need it this week.")
    left = np.concatenate([silence(27.0), agent, silence(40.0)])  # speaks across 30 s
    right = np.concatenate([silence(57.5), customer, silence(8.0)])  # speaks across 60 s
    call = write_stereo(tmp_path / "edges.wav", left, right)
    found = {}
    for window_s in (30.0, 300.0):
        out = tmp_path / f"w{window_s:.0f}.jsonl"
        run_batch([call], out, BatchOptions(window_s=window_s), progress=False)
        found[window_s] = rows(out)["edges.wav"]
    narrow, wide = found[30.0], found[300.0]
    # Where the speech is comes from the VAD alone: exactly the same. The words come from
    # Whisper, whose batch neighbours differ with the window (padding): nearly the same.
    assert [(t["speaker"], t["start_s"], t["end_s"]) for t in narrow["turns"]] == [
        (t["speaker"], t["start_s"], t["end_s"]) for t in wide["turns"]]
    for mine, theirs in zip(narrow["turns"], wide["turns"], strict=True):
        assert similar(mine["text"], theirs["text"]) >= 0.9, (mine["text"], theirs["text"])
    timing = {k: v for k, v in narrow["facts"].items() if k != "agent_pace_wpm"}
    assert timing == {k: v for k, v in wide["facts"].items() if k != "agent_pace_wpm"}
    speakers = [(t["speaker"], t["start_s"] < edge < t["end_s"])
                for t, edge in zip(narrow["turns"], (30.0, 60.0), strict=True)]
    assert speakers == [("agent", True), ("customer", True)], narrow["turns"]
    heard = narrow["turns"][0]["text"].lower()
    assert all(word in heard for word in ("order", "monday", "tomorrow")), heard
    assert "week" in narrow["turns"][1]["text"].lower()


def test_a_long_turn_without_pauses_stays_one_turn_with_all_its_words(tmp_path: Path) -> None:
    import numpy as np

    from tests.speech.speech_helpers import espeak_to_audio, silence

    text = ("I have checked the order, the parcel left the depot on Monday, the courier has "
            "it now, and it should be with you tomorrow before noon, so there is nothing "
            "more you need to do today, and if it does not come, call me and I will send "
            "another one the same day")
    speech = espeak_to_audio(text, rate=150)
    assert len(speech) > 14 * 16_000
    path = tmp_path / "monologue.wav"
    write_stereo(path, np.concatenate([silence(1.0), speech, silence(1.0)]), silence(0.5))
    out = tmp_path / "m.jsonl"
    run_batch([path], out, BatchOptions(max_piece_s=6.0), progress=False)
    row = rows(out)["monologue.wav"]
    agent = [t for t in row["turns"] if t["speaker"] == "agent"]
    assert len(agent) == 1 and row["facts"]["agent_turns"] == 1, agent
    assert similar(text, agent[0]["text"]) >= 0.85, agent[0]["text"]
    times = [t for s in agent[0]["segments"] for t in (s["start_s"], s["end_s"])]
    assert times == sorted(times) and times[0] > 0.5 and times[-1] <= row["duration_s"]


def test_customer_text_can_be_left_out_without_changing_the_facts(corpus: Path,
                                                                  local_out: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "quiet.jsonl"
    run_batch([corpus / "calls" / "call.wav"], out, BatchOptions(customer_text=False),
              progress=False)
    row, full = rows(out)["call.wav"], rows(local_out)["call.wav"]
    assert row["facts"] == full["facts"] and row["labels"] == full["labels"]
    assert [t["speaker"] for t in row["turns"]] == ["customer", "agent"]
    assert row["turns"][0]["text"] == "" and full["turns"][0]["text"]
    # The agent's piece is decoded in another batch without the customer's, so punctuation
    # may differ in the last digits of the numerics; the words must not.
    assert words(row["turns"][1]["text"]) == words(full["turns"][1]["text"])
    assert row["settings_id"] != full["settings_id"]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def test_a_rerun_scores_identical_files_at_different_paths(corpus: Path, tmp_path: Path) -> None:
    """Resuming is keyed by path and content: a copy of a scored file in another folder is a
    file of its own, not one already done (a run killed between the two)."""
    first, second = tmp_path / "monday" / "reply.wav", tmp_path / "tuesday" / "reply.wav"
    for copy in (first, second):
        copy.parent.mkdir()
        copy.write_bytes((corpus / "reply.wav").read_bytes())
    out = tmp_path / "r.jsonl"
    assert run_batch([first], out, BatchOptions(), progress=False).scored == 1  # then killed
    summary = run_batch([tmp_path / "monday", tmp_path / "tuesday"], out, BatchOptions(),
                        progress=False)
    assert (summary.already_done, summary.scored) == (1, 1), summary
    assert sorted(json.loads(line)["file"] for line in out.read_text().splitlines()) == [
        str(first), str(second)]
    again = run_batch([tmp_path / "monday", tmp_path / "tuesday"], out, BatchOptions(),
                      progress=False)
    assert (again.already_done, again.scored) == (2, 0)
