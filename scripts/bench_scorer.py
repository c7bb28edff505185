"""How many replies a second the scorer labels, on one core.

    python scripts/bench_scorer.py [--rounds 7] [--replies 2000]

Replies come from the labelled data sets (every language, typed and transcribed style). Each
round scores every reply once; the figure is the median over rounds. For scale, the same run
times a naive baseline: one regex search per pattern (no per-label alternation, no shared
tokenisation), which is how a first version would do it. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from voicesim.core.lexicon import SUPPORTED_LANGUAGES, lexicon_for
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
    """Every alternative of every label's compiled pattern as its own regex."""
    patterns = []
    for rules in lexicon_for(lang).rules:
        body = rules.pattern.pattern
        patterns.append(re.compile(body))
        patterns += [re.compile(part) for part in body.split("|(?:")[1:8]]
    return patterns


def naive_score(text: str, patterns: list[re.Pattern[str]]) -> int:
    normal = " ".join(re.findall(r"\w+", text.lower().replace("'", "")))
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
