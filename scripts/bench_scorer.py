"""How many replies a second the scorer labels, on one core.

    python scripts/bench_scorer.py [--rounds 7] [--replies 2000]

Replies come from the labelled data sets (every language, typed and transcribed style). Each
round scores every reply once; the figure is the median over rounds. For scale, the same run
times the obvious alternative: every lexicon pattern compiled and searched on its own (labels
only, no evidence spans, no negation), which is how a first version would do it. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import tomllib
from pathlib import Path

from voicesim.core.lexicon import LEXICON_DIR, SUPPORTED_LANGUAGES, _compile
from voicesim.core.scorer import score_reply

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "scorer"


def load_replies(limit: int) -> list[tuple[str, str]]:
    replies = []
    for folder in ("dev", "heldout"):
        for lang in SUPPORTED_LANGUAGES:
            path = DATA / folder / f"{lang}.jsonl"
            if path.exists():
                for line in path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        replies.append((json.loads(line)["text"], lang))
    if not replies:
        raise SystemExit("no labelled replies found under tests/data/scorer")
    return (replies * (limit // len(replies) + 1))[:limit]


def naive_patterns(lang: str) -> list[re.Pattern[str]]:
    """Every pattern of the language's lexicon compiled on its own (no per-label alternation)."""
    data = tomllib.loads((LEXICON_DIR / f"{lang}.toml").read_text(encoding="utf-8"))
    macros = data.get("macros", {})
    numbers = "(?:\\d+|" + "|".join(re.escape(w) for w in data.get("numbers", ["one"])) + ")"
    patterns = []
    for label, table in data["labels"].items():
        for index, source in enumerate(table["patterns"] + table.get("specific", [])):
            patterns.append(_compile([source], macros, numbers, f"{lang}:{label}[{index}]"))
    return patterns


def naive_score(text: str, patterns: list[re.Pattern[str]]) -> int:
    """Lower-case, strip apostrophes, then search every pattern separately."""
    normal = " ".join(re.findall(r"\w+", re.sub(r"['’]", "", text.lower())))
    return sum(1 for pattern in patterns if pattern.search(normal))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--replies", type=int, default=2000)
    args = parser.parse_args()
    replies = load_replies(args.replies)
    for lang in SUPPORTED_LANGUAGES:  # compile outside the timing
        score_reply("warm up", lang)
    naive = {lang: naive_patterns(lang) for lang in SUPPORTED_LANGUAGES}

    scorer_rates, naive_rates = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for text, lang in replies:
            score_reply(text, lang)
        scorer_rates.append(len(replies) / (time.perf_counter() - start))
        start = time.perf_counter()
        for text, lang in replies:
            naive_score(text, naive[lang])
        naive_rates.append(len(replies) / (time.perf_counter() - start))
    rate = statistics.median(scorer_rates)
    baseline = statistics.median(naive_rates)
    words = statistics.mean(len(text.split()) for text, _ in replies)
    print(f"{len(replies)} replies (mean {words:.1f} words), {args.rounds} rounds, one core")
    print(
        f"score_reply:      {rate:>9.0f} replies/s (median; min {min(scorer_rates):.0f}, max {max(scorer_rates):.0f})"
    )
    print(f"naive per-pattern:{baseline:>9.0f} replies/s (median; labels only, no evidence)")
    print(
        json.dumps(
            {
                "replies_per_s": round(rate),
                "naive_replies_per_s": round(baseline),
                "ratio_vs_naive": round(rate / baseline, 2),
                "rounds": args.rounds,
                "replies": len(replies),
                "mean_words": round(words, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
