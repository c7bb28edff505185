"""The scorer's matching machinery, on a small inline lexicon (the real ones are data)."""

from __future__ import annotations

import tomllib

import pytest

from voicesim.core import scorer
from voicesim.core.labels import ApologyKind, Label
from voicesim.core.lexicon import Lexicon, parse_lexicon
from voicesim.errors import LexiconError, UnsupportedLanguageError

SMALL = """
language = "en"
fillers = ["um", "uh"]
negations = ["not", "dont", "never"]
negation_window = 3
numbers = ["one", "two"]
[macros]
day = "(?:monday|friday|today|tomorrow)"
[labels.empathy]
negatable = true
patterns = ["i (?:really )?understand", "that sounds {words:0-2} frustrating"]
[labels.apology]
negatable = true
patterns = ["(?:im|i am) (?:so )?sorry", "sorry"]
specific = ["sorry (?:that|about) {words:2-8}", "my mistake"]
[labels.question]
patterns = ["what happened", "what do you"]
[labels.paraphrase]
patterns = ["so youre saying"]
[labels.boundary]
patterns = ["i wont be shouted at"]
[labels.refocus]
patterns = ["first lets"]
[labels.next_steps]
negatable = true
patterns = ["by {day}", "within {num} days"]
[labels.blame_shift]
patterns = ["not my department"]
[labels.dismissive]
patterns = ["calm down", "as i said", "what do you want me to do"]
[labels.argue]
patterns = ["thats impossible"]
[labels.vague_promise]
patterns = ["maybe someone will call"]
"""


@pytest.fixture()
def small(monkeypatch: pytest.MonkeyPatch) -> Lexicon:
    lexicon = parse_lexicon(tomllib.loads(SMALL), "small")
    monkeypatch.setattr(scorer, "lexicon_for", lambda lang: lexicon)
    return lexicon


def labels(text: str) -> set[str]:
    return {str(label) for label in scorer.score_reply(text, "en").labels}


def test_evidence_spans_index_the_original_text(small: Lexicon) -> None:
    text = "Um, I'm SO sorry that your parcel didn't arrive. What happened?"
    result = scorer.score_reply(text, "en")
    for item in result.evidence:
        assert text[item.start : item.end] == item.phrase
    phrases = {(str(e.label), e.phrase) for e in result.evidence}
    assert (
        "apology",
        "I'm SO sorry that your parcel didn't arrive",
    ) in phrases  # stops at the sentence end
    assert ("question", "What happened") in phrases
    assert result.apology is ApologyKind.SPECIFIC


def test_negation_before_a_match_cancels_it(small: Lexicon) -> None:
    assert labels("I'm not sorry.") == set()
    assert labels("i dont understand") == set()
    assert labels("Not now. I understand.") == {
        "empathy"
    }  # a negation in the previous sentence does not count


def test_transcribed_style_fillers_numbers_and_apostrophes(small: Lexicon) -> None:
    assert labels("uh we will send it within two days") == {"next_steps"}
    assert labels("within 2 days") == {"next_steps"}
    assert labels("thats impossible") == labels("That’s impossible!") == {"argue"}


def test_harmful_match_vetoes_an_overlapping_helpful_one(small: Lexicon) -> None:
    assert labels("What do you want me to do about it") == {"dismissive"}
    assert labels("I understand, but as I said, calm down") == {"empathy", "dismissive"}


def test_blanket_and_specific_apologies(small: Lexicon) -> None:
    assert scorer.score_reply("Sorry.", "en").apology is ApologyKind.BLANKET
    owned = scorer.score_reply("That was my mistake", "en")
    assert owned.labels == (Label.APOLOGY,) and owned.apology is ApologyKind.SPECIFIC


def test_empty_and_filler_only_replies_have_no_labels(small: Lexicon) -> None:
    assert scorer.score_reply("", "en").labels == ()
    assert scorer.score_reply("uh um", "en").labels == ()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace('"calm down"', '"calm (down"'), "labels.dismissive.patterns"),
        (lambda s: s.replace("by {day}", "by {weekday}"), "unknown macro {weekday}"),
        (lambda s: s.replace("[labels.argue]", "[labels.arguing]"), "unknown label 'arguing'"),
        (lambda s: s.replace("within {num} days", "within {words:3-1} days"), "A <= B"),
        (
            lambda s: s.replace(
                '[labels.vague_promise]\npatterns = ["maybe someone will call"]', ""
            ),
            "labels.vague_promise: missing",
        ),
    ],
)
def test_malformed_lexicons_name_the_problem(edit: object, message: str) -> None:
    assert callable(edit)
    with pytest.raises(LexiconError, match=message.replace("{", r"\{").replace("(", r"\(")):
        parse_lexicon(tomllib.loads(edit(SMALL)), "small")


def test_unknown_language_lists_the_supported_ones() -> None:
    with pytest.raises(UnsupportedLanguageError, match="use one of: en, da, nl, sv, pl"):
        scorer.score_reply("hello", "fr")


@pytest.mark.parametrize(
    ("lang", "sympathy", "brush_off"),
    [
        ("en", "oh no, I'm so sorry to hear that", "I'm sorry if you see it that way"),
        ("da", "det er jeg virkelig ked af at høre", "jeg beklager hvis du opfatter det sådan"),
        ("nl", "wat vervelend om te horen", "het spijt me als u het zo ervaart"),
        ("sv", "jag är så ledsen att höra det", "jag beklagar om du uppfattar det så"),
        ("pl", "bardzo przykro mi to słyszeć", "przykro mi, jeśli pan to tak odbiera"),
    ],
)
def test_sorry_words_that_own_nothing_are_not_apologies(lang: str, sympathy: str, brush_off: str) -> None:
    heard = scorer.score_reply(sympathy, lang)
    assert Label.EMPATHY in heard.labels and Label.APOLOGY not in heard.labels
    brushed = scorer.score_reply(brush_off, lang)
    assert Label.DISMISSIVE in brushed.labels and Label.APOLOGY not in brushed.labels
