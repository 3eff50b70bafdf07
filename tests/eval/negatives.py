"""Generic negatives for training the offer model: Debian's fortune files as labelled `none` texts.

The labelled set's negatives are news, warnings and texts chosen because they use an offer's words
innocently; trained on them alone, a model learns "not written like news" and flags a third of
ordinary posts (measured on real Telegram and TikTok posts). Everyday sentences in the three
languages teach it what ordinary text looks like. The fortunes are quotations, proverbs and jokes
from the Debian packages `fortunes-es` (1.36), `fortunes-min`/`fortunes` (1:1.99.1-7.3) and
`fortunes-br` (20220821), not copied into the repository (their licences are the packages');
install or unpack them, then:

    python tests/eval/negatives.py /usr/share/games/fortunes OUT.csv [--per-language 500] [--seed 7]

writes OUT.csv (text, label, language, source, citation) for `toolkit lexicon train`: up to N texts
per language (20-400 characters each, whitespace squeezed), drawn with a seeded RNG in file order.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

FIELDS = ["text", "label", "language", "source", "citation"]


def fortunes(path: Path) -> list[str]:
    """The fortunes of one fortune file (entries separated by lines holding only '%')."""
    text = path.read_text(encoding="utf-8", errors="replace")
    out = []
    for entry in text.split("\n%\n"):
        squeezed = " ".join(entry.split())
        if 20 <= len(squeezed) <= 400:
            out.append(squeezed)
    return out


def files(root: Path) -> dict[str, list[Path]]:
    """Fortune files by language: es/*.fortunes (not the offensive ones), brasil, and the English rest."""
    def plain(p: Path) -> bool:
        return p.is_file() and p.suffix not in (".dat", ".u8")
    english = sorted(p for p in root.iterdir() if plain(p) and p.name != "brasil")
    return {"es": sorted(p for p in (root / "es").glob("*.fortunes") if plain(p)),
            "en": english, "pt": [root / "brasil"] if (root / "brasil").is_file() else []}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-language", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows = []
    for language, paths in files(args.root).items():
        texts = [(text, path.name) for path in paths for text in fortunes(path)]
        rng.shuffle(texts)
        rows += [{"text": text, "label": "none", "language": language, "source": f"debian-fortunes:{name}",
                  "citation": "Debian fortune file, generic negative"} for text, name in texts[: args.per_language]]
    with args.out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{args.out}: {len(rows)} texts")


if __name__ == "__main__":
    main()
