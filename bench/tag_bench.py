"""Tagging throughput: toolkit's matcher and scorer against a naive `re` alternation, side by side.

Generates N Spanish posts (default 1,000,000) from a fixed vocabulary with a seeded RNG, and a lexicon
of T terms (default 2,000): the shipped lexicons plus generated Spanish-like words and phrases,
written to a real TOML file and loaded through the normal validation. Then it measures, on one
core, in batches of 2,000 posts (the scan's batch size):

  end to end   fold + match + score (toolkit.lexicon.Tagger.tag_batch without contact extraction): every
               hit with its term and span, in arrays, and a score and category per post
  + Score      the same, then a Score object per post with its explanation as JSON, as the scan
               stores them (the explanation is built when read)
  + model      end to end with the shipped offer model (a case's `[scan] model = "default"`): its
               n-gram points for every post, and a Score with the model's part where they win
  find         fold + match alone (the matcher's `find` on each batch's texts)
  indicators   phone/WhatsApp/Telegram/email/price extraction alone, on the same posts
  full         both together, as the scan runs them
  naive        one big case-insensitive `re` alternation with \\b, per post, as most research
               tools do (on a subsample: it is slow), run in the same process

Usage: python bench/tag_bench.py [--posts N] [--terms T] [--naive-posts M] [--engine hyperscan|ahocorasick]
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import sys
import tempfile
import time
from functools import partial
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit.lexicon import Tagger, load_lexicon, resolve
from toolkit.lexicon.indicators import extract
from toolkit.lexicon.loader import check_set
from toolkit.lexicon.model import DEFAULT_MODEL, OfferModel

VOCABULARY = """
de la que el en y a los se del las un por con no una su para es al lo como más pero sus le ya o este sí porque
esta entre cuando muy sin sobre también me hasta hay donde quien desde todo nos durante todos uno les ni contra
otros ese eso ante ellos e esto mí antes algunos qué unos yo otro otras otra él tanto esa estos mucho quienes
nada muchos cual poco ella estar estas algunas algo nosotros mi mis tú te ti tu tus ellas nosotras vosotros
familia casa trabajo amigos hoy mañana noche día semana mes año vida gente ciudad pueblo calle carro camión
viaje venta vendo compro precio barato nuevo usado bonito grande pequeño bueno malo mejor peor feliz triste
gracias saludos hola buenas tardes noches bendiciones dios madre padre hijo hija hermano hermana abuela niños
comida agua café cerveza fiesta música baile fútbol partido equipo escuela maestro doctor hospital iglesia
teléfono celular mensaje foto video página grupo publicación comentario me_gusta compartir seguir información
tienda mercado ropa zapatos dinero pago cuenta banco tarjeta efectivo envío entrega domicilio disponible
llegar salir entrar pasar cruzar esperar buscar encontrar llamar escribir hablar decir saber conocer querer
""".replace("me_gusta", "me gusta").split()
PUNCT = [",", ".", "!", "?", "...", " -", ":", "", "", "", "", ""]
EMOJI = ["🙏", "❤️", "😂", "🔥", "👍", "🇲🇽", "🇺🇸", "✨", "🍁", "💊"]
SYLLABLES = ["ba", "be", "bi", "bo", "bu", "ca", "co", "cu", "da", "de", "di", "do", "fa", "fe", "fi", "fo", "ga", "go", "gu", "la", "le", "li", "lo", "lu", "ma", "me", "mi", "mo", "mu", "na", "ne", "ni", "no", "pa", "pe", "pi", "po", "ra", "re", "ri", "ro", "sa", "se", "si", "so", "ta", "te", "ti", "to", "va", "ve", "vi", "za", "zo", "cha", "che", "chi", "cho", "lla", "lle", "llo", "rra", "rre"]


def make_terms(rng: random.Random, count: int, existing: set[str]) -> list[tuple[str, int]]:
    """Generated Spanish-like words (3-4 syllables) and two-word phrases, with weights."""
    out: list[tuple[str, int]] = []
    seen = set(existing)
    while len(out) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4)))
        term = word if rng.random() < 0.7 else f"{word} {rng.choice(VOCABULARY)}"
        if term not in seen:
            seen.add(term)
            out.append((term, rng.randint(1, 3)))
    return out


def write_lexicon(path: Path, terms: list[tuple[str, int]]) -> None:
    lines = ['[lexicon]\nname = "bench_generated"\nversion = "1"\ncategory = "other"\ninflect = "plural"\n']
    for term, weight in terms:
        lines.append(f'[[terms]]\nterm = "{term}"\nweight = {weight}\nrequires = ["contact", "price", "place"]\n'
                     'meaning = "generated"\nambiguity = "generated"\n')
    path.write_text("\n".join(lines), encoding="utf-8")


def make_posts(rng: random.Random, count: int, spellings: list[str]) -> list[str]:
    """Posts of 8-40 words with punctuation, emoji, case and accents; a quarter carry 1-3 terms.

    Words are drawn with Zipf frequencies (the word of rank r with weight 1/r, the vocabulary being
    listed roughly by frequency), as in real text: function words dominate, content words are rare.
    """
    posts = []
    vocabulary, punct, emoji = VOCABULARY, PUNCT, EMOJI
    cumulative = list(accumulate(1 / rank for rank in range(1, len(vocabulary) + 1)))
    for _ in range(count):
        chosen = rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(8, 40))
        marks = rng.choices(punct, k=len(chosen))
        words = [w + m for w, m in zip(chosen, marks, strict=True)]
        if rng.random() < 0.25:
            for _ in range(rng.randint(1, 3)):
                words.insert(rng.randrange(len(words) + 1), rng.choice(spellings))
        if rng.random() < 0.3:
            words.append(rng.choice(emoji))
        if rng.random() < 0.15:
            words.append(rng.choice(["$4,500", "8 mil dólares", "WhatsApp 55 5555 0101", "cel 656-555-0107",
                                     "wa.me/5215555550104", "precio 7500"]))
        text = " ".join(words)
        posts.append(text.upper() if rng.random() < 0.05 else text.capitalize())
    return posts


def make_corpus(seed: int, terms: int, count: int, keep: Path | None = None) -> tuple[list, list[str], list[str]]:
    """The benchmark's lexicons (shipped plus generated, to `terms` in all, through the normal
    validation), every term's spelling, and `count` generated posts, from one seeded RNG.

    `keep`: a folder where the generated lexicon file stays (bench_generated.toml), for a
    benchmark that hands it to a `toolkit` command; by default it is written to a temporary one.
    """
    lexicons, all_terms, more = make_corpus_stream(seed, terms, keep)
    return lexicons, all_terms, more(count)


def make_corpus_stream(seed: int, terms: int, keep: Path | None = None):
    """As `make_corpus`, with the posts drawn on demand: (lexicons, terms, more) where `more(n)`
    gives the next n posts of the same seeded stream (a corpus larger than memory, in pieces)."""
    rng = random.Random(seed)
    shipped = resolve(["default"])
    shipped_terms = [t.term for lex in shipped for t in lex.terms if t.regex is None]
    generated = make_terms(rng, max(0, terms - len(shipped_terms)), {t.lower() for t in shipped_terms})
    if keep is not None:
        path = keep / "bench_generated.toml"
        write_lexicon(path, generated)
        lexicons = check_set([*shipped, load_lexicon(path)])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench_generated.toml"
            write_lexicon(path, generated)
            lexicons = check_set([*shipped, load_lexicon(path)])
    all_terms = shipped_terms + [t for t, _ in generated]
    spellings = all_terms + [t.upper() for t in all_terms[:200]] + ["c0y0te", "Cruze", "E.U.A", "pago  al llegar"]
    return lexicons, all_terms, lambda count: make_posts(rng, count, spellings)


def timed(label: str, posts: list[str], run) -> float:
    size = sum(len(p.encode("utf-8")) for p in posts)
    start, cpu_start = time.perf_counter(), time.process_time()
    result = run()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    # The machine may be shared: CPU seconds (this process only) give the per-core rate; wall time is shown too.
    rate = len(posts) / cpu
    print(f"{label:<38} {len(posts):>9,} posts {cpu:7.2f} CPU-s ({elapsed:6.2f} s wall) {rate:>10,.0f} posts/s/core "
          f"{size / cpu / 1e6:6.1f} MB/s/core   ({result})")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--terms", type=int, default=2_000)
    parser.add_argument("--naive-posts", type=int, default=20_000, help="posts for the naive baseline (it is slow)")
    parser.add_argument("--engine", default=None, help="hyperscan or ahocorasick (default: the fastest installed)")
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()

    lexicons, all_terms, posts = make_corpus(args.seed, args.terms, args.posts)
    started = time.perf_counter()
    tagger = Tagger(lexicons, engine=args.engine)
    compile_time = time.perf_counter() - started
    size = sum(len(p.encode("utf-8")) for p in posts)
    print(f"{len(all_terms):,} terms ({len(tagger.matcher.forms):,} folded forms), engine {tagger.matcher.engine.name}, "
          f"compiled in {compile_time:.2f} s; {len(posts):,} posts, {size / 1e6:.1f} MB, "
          f"{size / len(posts):.0f} bytes/post, batches of {args.batch:,}")

    batches = [[{"text": p} for p in posts[i : i + args.batch]] for i in range(0, len(posts), args.batch)]
    texts = [posts[i : i + args.batch] for i in range(0, len(posts), args.batch)]
    # The scan streams batches; this benchmark holds the whole corpus in memory. Keep those millions of
    # objects out of the garbage collector's scans so it does not charge the tagger for them.
    gc.collect()
    gc.freeze()

    def end_to_end(tagger: Tagger) -> str:
        scored = hits = 0
        for batch in batches:
            tags = tagger.tag_batch(batch, indicators=False)
            hits += len(tags.found.tid)
            scored += len(tags.category) - tags.category.count(None)
        return f"{hits:,} hits, {scored:,} posts with a category"

    def explained(tagger: Tagger) -> str:
        # As the scan stores them: a Score object per post with its explanation as JSON.
        size = 0
        for batch in batches:
            size += sum(len(score.explanation_json) for score in tagger.tag_batch(batch, indicators=False).scores)
        return f"{size / 1e6:,.1f} MB of explanations"

    def find_only() -> str:
        return f"{sum(len(tagger.matcher.find(batch).post) for batch in texts):,} hits"

    def indicators_only() -> str:
        return f"{sum(len(extract(p)) for p in posts):,} indicators"

    def full(tagger: Tagger) -> str:
        flagged = sum(len(tags.category) - tags.category.count(None) for tags in map(tagger.tag_batch, batches))
        return f"{flagged:,} posts with a category"

    # A new tagger for each run, so that none starts with the memoised scores of the one before.
    fast = timed("toolkit end to end (fold+match+score)", posts, partial(end_to_end, Tagger(lexicons, engine=args.engine)))
    timed("  + Score objects and explanations", posts, partial(explained, Tagger(lexicons, engine=args.engine)))
    timed("  with the offer model ([scan] model)", posts,
          partial(end_to_end, Tagger(lexicons, engine=args.engine, model=OfferModel.load(DEFAULT_MODEL))))
    timed("toolkit find() alone (fold+match)", posts, find_only)
    timed("toolkit indicators alone", posts, indicators_only)
    timed("toolkit full (with indicators)", posts, partial(full, Tagger(lexicons, engine=args.engine)))

    naive_posts = posts[: args.naive_posts]
    words = sorted({w for t in all_terms for w in [t.lower()] if w}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    naive = timed("naive re alternation with \\b", naive_posts,
                  lambda: f"{sum(len(pattern.findall(p)) for p in naive_posts):,} hits")
    print(f"speed-up end to end over the naive alternation: {fast / naive:,.0f}x "
          f"(target: >= 300,000 posts/s and >= 100x)")


if __name__ == "__main__":
    main()
