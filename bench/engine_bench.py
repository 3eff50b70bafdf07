"""The lexicon matcher's engines side by side in one process: the literal scan alone, and `find`.

Builds the corpus and lexicon of tag_bench.py (generated Spanish posts, the shipped lexicons plus
generated terms), folds each batch once, then runs the engines in alternating rounds (A B C A B C
...): per round and engine, CPU seconds (process_time) for `engine.scan` over every folded batch and
for `Matcher.find` over every batch of texts. Prints each round and the medians, in µs per post and
posts per CPU-second, and checks that every engine found as many pairs and hits (tests check they are the same).

Alternating in one process keeps what separate runs cannot: the same corpus, heap and machine load
for every engine.

Usage: python bench/engine_bench.py [--posts N] [--terms T] [--rounds R] [--engines hyperscan,ahocorasick]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tag_bench import make_corpus

from toolkit.lexicon import Matcher
from toolkit.lexicon.matcher import SEP, available_engines
from toolkit.lexicon.normalise import fold_bulk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--terms", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--engines", default=",".join(available_engines()))
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()

    lexicons, all_terms, posts = make_corpus(args.seed, args.terms, args.posts)
    batches = [posts[i : i + args.batch] for i in range(0, len(posts), args.batch)]
    folded = [fold_bulk(SEP.join(["", *batch, ""]))[0] for batch in batches]
    engines = args.engines.split(",")
    matchers = {engine: Matcher(lexicons, engine) for engine in engines}
    print(f"{len(all_terms):,} terms, {len(posts):,} posts in batches of {args.batch:,}; engines {', '.join(engines)}; "
          f"{args.rounds} alternating rounds")
    gc.collect()
    gc.freeze()

    times: dict[str, dict[str, list[float]]] = {engine: {"scan": [], "find": []} for engine in engines}
    found: dict[str, tuple[int, int]] = {}
    for round_ in range(1, args.rounds + 1):
        for engine, matcher in matchers.items():
            started = time.process_time()
            pairs = [matcher.engine.scan(data) for data in folded]
            scan = time.process_time() - started
            started = time.process_time()
            hits = [matcher.find(batch) for batch in batches]
            find = time.process_time() - started
            times[engine]["scan"].append(scan)
            times[engine]["find"].append(find)
            found[engine] = (sum(map(len, pairs)), sum(len(h.post) for h in hits))
            print(f"round {round_} {engine:<12} scan {scan * 1e6 / len(posts):5.2f} µs/post   "
                  f"find {find * 1e6 / len(posts):5.2f} µs/post   ({found[engine][0]:,} pairs, {found[engine][1]:,} hits)")
            del pairs, hits
    print("medians:")
    for engine in engines:
        scan, find = (statistics.median(times[engine][part]) for part in ("scan", "find"))
        print(f"  {engine:<12} scan {scan * 1e6 / len(posts):5.2f} µs/post ({len(posts) / scan:>11,.0f} posts/s)   "
              f"find {find * 1e6 / len(posts):5.2f} µs/post ({len(posts) / find:>11,.0f} posts/s)")
    print("same numbers of pairs and hits from every engine:", len(set(found.values())) == 1)


if __name__ == "__main__":
    main()
