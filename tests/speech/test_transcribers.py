"""The Whisper transcribers against real weights and real espeak-ng speech.

Each model loads once per test process (the engine cache is process-wide); the clips are
synthesised here with the espeak-ng command line, independent of the TTS adapter.
"""

from __future__ import annotations

import re
import subprocess
import sys
from difflib import SequenceMatcher

import numpy as np
import pytest

from tests.speech.speech_helpers import espeak_to_audio, silence
from voicesim.core.ports import SAMPLE_RATE, Audio, Transcriber
from voicesim.errors import BackendError, ModelNotFoundError, UnsupportedLanguageError
from voicesim.speech import transcribers
from voicesim.speech.transcribers import TranscriberOptions, WhisperTranscriber, make_transcriber

pytestmark = pytest.mark.slow

# espeak renders these clearly enough that tiny.en gets them right with either window.
CLEAR_EN = (
    "I understand why you are frustrated, and I want to help you.",
    "Thank you for your patience. I can see the problem now.",
    "So what you are saying is that the package was damaged when it arrived?",
)


def words(text: str) -> list[str]:
    return re.sub(r"[^\w' ]+", " ", text.lower()).split()


def similarity(a: str, b: str) -> float:
    """Word-level similarity 0..1 (difflib ratio over normalised words)."""
    return SequenceMatcher(None, words(a), words(b)).ratio()


@pytest.fixture(scope="module")
def clips() -> dict[str, Audio]:
    return {text: espeak_to_audio(text) for text in CLEAR_EN}


@pytest.fixture(scope="module")
def fast() -> WhisperTranscriber:
    """The default: faster-whisper int8, model by language, short window on."""
    return make_transcriber(TranscriberOptions())


@pytest.fixture(scope="module")
def reference() -> WhisperTranscriber:
    """openai-whisper running the same tiny.en weights converted from CTranslate2."""
    return make_transcriber(TranscriberOptions(engine="openai-whisper"))


def test_the_default_transcriber_fits_the_port(fast: WhisperTranscriber) -> None:
    port: Transcriber = fast
    assert port.engine == "faster-whisper"


@pytest.mark.parametrize("text", CLEAR_EN)
def test_tiny_en_returns_the_spoken_words(fast: WhisperTranscriber, clips: dict[str, Audio],
                                          text: str) -> None:
    result = fast.transcribe(clips[text], "en")
    assert similarity(result.text, text) >= 0.85, result.text
    assert (result.lang, result.model, result.engine) == ("en", "tiny.en", "faster-whisper")
    assert result.duration_s == pytest.approx(len(clips[text]) / SAMPLE_RATE)
    assert result.segments and result.segments[-1].end_s <= result.duration_s


def test_word_timestamps_follow_the_speech(clips: dict[str, Audio]) -> None:
    transcriber = make_transcriber(TranscriberOptions(word_timestamps=True))
    clip = clips[CLEAR_EN[1]]
    result = transcriber.transcribe(clip, "en")
    timed = [w for s in result.segments for w in s.words]
    assert words(" ".join(w.text for w in timed)) == words(result.text)
    starts = [w.start_s for w in timed]
    assert starts == sorted(starts)
    assert all(0 <= w.start_s <= w.end_s <= result.duration_s for w in timed)


# One sentence per language that the multilingual base model, forced to the language, gets
# recognisably right from espeak's voice; key words are checked, not the whole sentence
# (espeak's Danish and Swedish are hard even for people).
MULTILINGUAL = [
    ("da", "Hvad er dit telefonnummer?", ("dit", "telefonnummer"), 2),
    ("nl", "Ik begrijp dat u boos bent.", ("begrijp", "boos", "bent"), 2),
    ("sv", "Vi skickar ett nytt paket i dag.", ("vi", "nytt", "paket", "dag"), 2),
    ("pl", "Bardzo przepraszam, że paczka się spóźnia.", ("bardzo", "przepraszam", "się"), 2),
]


@pytest.mark.parametrize(("lang", "text", "keys", "needed"), MULTILINGUAL,
                         ids=[case[0] for case in MULTILINGUAL])
def test_base_recognises_each_language(fast: WhisperTranscriber, lang: str, text: str,
                                       keys: tuple[str, ...], needed: int) -> None:
    result = fast.transcribe(espeak_to_audio(text, voice=lang), lang)
    heard = set(words(result.text))
    found = [key for key in keys if key in heard]
    assert len(found) >= needed, f"{lang}: {result.text!r} has only {found} of {keys}"
    assert (result.model, result.lang) == ("base", lang)


def test_both_engines_agree_on_the_same_clip(reference: WhisperTranscriber,
                                             clips: dict[str, Audio]) -> None:
    # float32 on both sides: same weights, same arithmetic, so the same words.
    fast32 = make_transcriber(TranscriberOptions(compute_type="float32"))
    for text in CLEAR_EN[:2]:
        ours, theirs = fast32.transcribe(clips[text], "en"), reference.transcribe(clips[text], "en")
        assert similarity(ours.text, theirs.text) >= 0.9, (ours.text, theirs.text)
        assert theirs.engine == "openai-whisper"


@pytest.mark.parametrize("engine", ["faster-whisper", "openai-whisper"])
def test_silence_and_noise_give_empty_text_without_running_whisper(engine: str) -> None:
    transcriber = make_transcriber(TranscriberOptions(engine=engine))
    noise = (np.random.default_rng(1).standard_normal(3 * SAMPLE_RATE) * 0.1).astype(np.float32)
    for clip in (silence(3.0), noise, silence(0.5, noise=0.003), np.zeros(0, np.float32)):
        result = transcriber.transcribe(clip, "en")
        assert result.text == "" and result.segments == ()
        assert transcriber.last_window == "skipped"


def test_short_window_and_full_window_give_the_same_words(clips: dict[str, Audio]) -> None:
    trimmed = make_transcriber(TranscriberOptions(trim_window=True))
    full = make_transcriber(TranscriberOptions(trim_window=False))
    for text in CLEAR_EN:
        short_result = trimmed.transcribe(clips[text], "en")
        assert trimmed.last_window == "short"
        full_result = full.transcribe(clips[text], "en")
        assert full.last_window == "full"
        assert similarity(short_result.text, full_result.text) >= 0.9, (
            short_result.text, full_result.text)


def test_a_looping_short_window_falls_back_to_the_full_window(clips: dict[str, Audio]) -> None:
    # A cap of 3 tokens: every short-window decode "hits the cap", as a loop would.
    capped = make_transcriber(TranscriberOptions(max_tokens_per_s=0.0, max_tokens_extra=3))
    text = CLEAR_EN[1]
    result = capped.transcribe(clips[text], "en")
    assert capped.last_window == "full"
    assert similarity(result.text, text) >= 0.85, result.text


def test_the_short_window_keeps_leading_silence_and_drops_trailing_silence(
        fast: WhisperTranscriber, clips: dict[str, Audio]) -> None:
    text = CLEAR_EN[0]
    padded = np.concatenate([silence(3.0), clips[text], silence(8.0)])
    result = fast.transcribe(padded, "en")
    assert fast.last_window == "short"
    assert similarity(result.text, text) >= 0.85, result.text
    # Whisper's segment times are coarse, but nothing can come from the dropped tail.
    speech_end_s = 3.0 + len(clips[text]) / SAMPLE_RATE
    assert result.segments[-1].end_s <= speech_end_s + fast.options.margin_s


def test_openai_whisper_runs_the_converted_weights(reference: WhisperTranscriber,
                                                   clips: dict[str, Audio]) -> None:
    result = reference.transcribe(clips[CLEAR_EN[2]], "en")
    assert similarity(result.text, CLEAR_EN[2]) >= 0.85, result.text
    assert (result.model, result.engine) == ("tiny.en", "openai-whisper")


def test_unknown_engine_lists_the_valid_names() -> None:
    with pytest.raises(BackendError, match="faster-whisper, openai-whisper"):
        make_transcriber(TranscriberOptions(engine="whisperx"))


def test_a_missing_engine_package_names_the_install_command(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcribers, "_importable", lambda module: module != "whisper")
    with pytest.raises(BackendError, match=r"pip install .*openai-whisper==20250625"):
        make_transcriber(TranscriberOptions(engine="openai-whisper"))


def test_a_missing_model_folder_is_reported_with_the_fix() -> None:
    with pytest.raises(ModelNotFoundError, match=r"does not exist.*VOICESIM_MODEL_DIR"):
        make_transcriber(TranscriberOptions(model="/no/such/whisper-model"))


def test_an_english_only_model_refuses_other_languages(clips: dict[str, Audio]) -> None:
    transcriber = make_transcriber(TranscriberOptions(model="tiny.en"))
    with pytest.raises(UnsupportedLanguageError, match="English-only"):
        transcriber.transcribe(clips[CLEAR_EN[0]], "da")


def test_importing_the_transcribers_loads_no_engine() -> None:
    code = ("import sys, voicesim.speech.transcribers, voicesim.speech.models; "
            "heavy = {'torch', 'whisper', 'faster_whisper', 'ctranslate2', 'onnxruntime'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_a_batch_gives_each_clip_the_words_it_gets_alone(fast: WhisperTranscriber,
                                                         clips: dict[str, Audio]) -> None:
    texts = [*CLEAR_EN, CLEAR_EN[0]]
    batch = [clips[text] for text in CLEAR_EN] + [silence(2.0), clips[CLEAR_EN[0]]]
    results = fast.transcribe_many(batch, "en")
    assert fast.last_windows == ["batch"] * len(CLEAR_EN) + ["skipped", "batch"]
    assert results[len(CLEAR_EN)].text == "" and results[len(CLEAR_EN)].segments == ()
    spoken = [r for i, r in enumerate(results) if i != len(CLEAR_EN)]
    for text, result in zip(texts, spoken, strict=True):
        alone = fast.transcribe(clips[text], "en")
        assert similarity(result.text, alone.text) >= 0.9, (result.text, alone.text)
        assert similarity(result.text, text) >= 0.85, result.text
        assert result.segments[-1].end_s <= result.duration_s


def test_a_looping_clip_in_a_batch_is_decoded_again_alone(clips: dict[str, Audio]) -> None:
    # A cap of 3 tokens: every batched decode "hits the cap", as a loop would.
    capped = make_transcriber(TranscriberOptions(max_tokens_per_s=0.0, max_tokens_extra=3))
    results = capped.transcribe_many([clips[text] for text in CLEAR_EN[:2]], "en")
    assert capped.last_windows == ["full", "full"]
    for text, result in zip(CLEAR_EN[:2], results, strict=True):
        assert similarity(result.text, text) >= 0.85, result.text


def test_the_reference_engine_batches_too(reference: WhisperTranscriber,
                                         clips: dict[str, Audio]) -> None:
    batch = [clips[text] for text in CLEAR_EN] + [silence(1.0)]
    results = reference.transcribe_many(batch, "en")
    assert reference.last_windows == ["batch"] * len(CLEAR_EN) + ["skipped"]
    assert results[-1].text == "" and results[-1].segments == ()
    for text, result in zip(CLEAR_EN, results, strict=False):
        alone = reference.transcribe(clips[text], "en")
        assert similarity(result.text, alone.text) >= 0.9, (result.text, alone.text)
        assert (result.engine, result.model) == ("openai-whisper", "tiny.en")
