"""Measuring a lexicon set on labelled texts: recall, precision, ROC AUC, misses and false alarms.

A labelled file holds one text per row with its `label`: a category token (what an investigator
would flag: `smuggling_offer`, `drug_sale`, `recruitment`, `extortion`, or the other categories)
or `none` (unrelated text that may use the same words), `news` or `warning` (reporting on, or
warning against, the same crimes). Optional columns: `language`, `source`.

A text is *flagged* when its score reaches the threshold (scores 0-100, as `toolkit items
--min-score` reads them). The figures:

- offers (labels `smuggling_offer`, `drug_sale`, `recruitment`, `extortion`): recall is the share
  flagged, whatever category the score suggests (flagged means surfaced for review); per category,
  recall also asks for the right category and precision is the share of the texts flagged with that
  category that carry that label;
- precision against unrelated texts: flagged offers / (flagged offers + flagged `none` texts);
  against news and warnings likewise; overall, against both;
- ROC AUC of offers against news and warnings, and against unrelated texts: the chance that a random
  offer outscores a random text of the other group, ties counting one half (the Mann-Whitney U
  statistic divided by the number of pairs), so it does not depend on the threshold;
- the same counts at other thresholds (`sweep`): offers flagged, false alarms, and how many texts a
  reviewer would read, to choose a case's `[review] min_score` from the texts rather than by guess;
- the score distribution per label, and every miss (an offer not flagged) and false alarm (a news,
  warning or unrelated text flagged) with the terms and rules that scored it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
from scipy.stats import rankdata

from toolkit.errors import InputError
from toolkit.models import Category

OFFERS = ("smuggling_offer", "drug_sale", "recruitment", "extortion")
REPORTING = ("news", "warning")
UNRELATED = "none"
LABELS = (*[c.value for c in Category], UNRELATED, *REPORTING)
# Thresholds `sweep` reports besides the one asked for (scores run 0-100).
SWEEP = (5, 10, 15, 20, 25, 30, 40, 50, 60, 70)
MAX_TEXT = 100_000  # characters; a labelled text is a post, not a book
MAX_ROWS = 1_000_000


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled text and where it came from (`line`: its line in the file, for messages)."""

    text: str
    label: str
    language: str
    source: str
    line: int


@dataclass(slots=True)
class Result:
    """How one labelled text scored."""

    item: Labelled
    score: float
    category: str | None
    flagged: bool
    summary: str
    terms: list[str]
    rules: list[str]

    @property
    def outcome(self) -> str:
        """hit (flagged offer), miss, false_alarm (flagged news/warning/unrelated), pass, or other."""
        label = self.item.label
        if label in OFFERS:
            return "hit" if self.flagged else "miss"
        if label == UNRELATED or label in REPORTING:
            return "false_alarm" if self.flagged else "pass"
        return "other"


@dataclass
class Evaluation:
    """The results on every text and the figures computed from them (see the module docstring)."""

    threshold: float
    results: list[Result]
    lexicons: list[str]
    figures: dict = field(default_factory=dict)


def read_labelled(path: str | Path) -> list[Labelled]:
    """Read a labelled CSV (header with `text` and `label`) or JSON Lines file.

    Raises InputError naming the file and line for anything that cannot be used: a missing column,
    an unknown label, an empty text, a line that is not a JSON object.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read ({exc.strerror or exc})", "Check the path") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), "not UTF-8 text", "Save the file as UTF-8") from exc
    if path.suffix.lower() in (".jsonl", ".ndjson") or (path.suffix.lower() != ".csv" and text.lstrip().startswith("{")):
        rows = _jsonl_rows(path, text)
    else:
        rows = _csv_rows(path, text)
    out = []
    for line, row in rows:
        out.append(_labelled(path, line, row))
        if len(out) > MAX_ROWS:
            raise InputError(str(path), f"more than {MAX_ROWS:,} rows", "Evaluate a sample of the texts")
    if not out:
        raise InputError(str(path), "no labelled texts", "Give one text per row with columns text and label")
    return out


def _csv_rows(path: Path, text: str) -> Iterable[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    missing = [c for c in ("text", "label") if c not in columns]
    if missing:
        raise InputError(str(path), f"no column {', '.join(missing)} in the header", "The header needs text and label "
                         "(optional: language, source)", line=1)
    for row in reader:
        yield reader.line_num, row


def _jsonl_rows(path: Path, text: str) -> Iterable[tuple[int, dict]]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InputError(str(path), f"not JSON ({exc})", "One JSON object per line", line=number) from exc
        if not isinstance(row, dict):
            raise InputError(str(path), "not a JSON object", 'Write {"text": "...", "label": "..."}', line=number)
        yield number, row


def _labelled(path: Path, line: int, row: dict) -> Labelled:
    text, label = row.get("text"), row.get("label")
    if not isinstance(text, str) or not text.strip():
        raise InputError(str(path), "empty text", "Every row needs a text", line=line)
    if len(text) > MAX_TEXT:
        raise InputError(str(path), f"text longer than {MAX_TEXT:,} characters", "Cut the text to the post itself",
                         line=line)
    label = label.strip() if isinstance(label, str) else label
    if label not in LABELS:
        raise InputError(str(path), f"unknown label {label!r}", f"Use one of: {', '.join(LABELS)}", line=line)
    language = row.get("language") or ""
    source = row.get("source") or ""
    return Labelled(text, label, str(language).strip(), str(source).strip(), line)


def evaluate(tagger, items: list[Labelled], threshold: float) -> Evaluation:
    """Score every text with `tagger` (a lexicon.Tagger) and compute the figures at `threshold`."""
    analyses = tagger.analyse_batch([{"text": item.text} for item in items])
    results = []
    for item, analysis in zip(items, analyses, strict=True):
        score = analysis.score
        explanation = score.explanation
        flagged = score.category is not None and score.score >= threshold
        terms = [t["term"] for t in explanation["terms"] if t["counted"] > 0]
        rules = [r["rule"] for r in explanation.get("rules", [])]
        results.append(Result(item, score.score, score.category, flagged, explanation["summary"], terms, rules))
    evaluation = Evaluation(threshold, results, list(tagger.idents))
    evaluation.figures = figures(results)
    evaluation.figures["thresholds"] = sweep(results, sorted({*SWEEP, threshold}))
    return evaluation


def sweep(results: list[Result], thresholds: Iterable[float]) -> list[dict]:
    """Per threshold: offers flagged (and recall), false alarms among unrelated texts and among news
    and warnings, precision overall, and `flagged`: every text flagged, whatever its label (what a
    reviewer would read). A text is flagged as in `evaluate`: a category and a score at or above the
    threshold."""
    scores = np.array([r.score if r.category is not None else -1.0 for r in results], dtype=np.float64)
    labels = np.array([r.item.label for r in results], dtype=object)
    offer = np.isin(labels, OFFERS)
    reporting = np.isin(labels, REPORTING)
    unrelated = labels == UNRELATED
    out = []
    for threshold in thresholds:
        flagged = scores >= threshold
        hit = int((flagged & offer).sum())
        alarms = int((flagged & (reporting | unrelated)).sum())
        out.append({"threshold": float(threshold), "flagged": int(flagged.sum()), "offers_flagged": hit,
                    "recall": _share(hit, int(offer.sum())), "false_alarms_unrelated": int((flagged & unrelated).sum()),
                    "false_alarms_news_warnings": int((flagged & reporting).sum()),
                    "precision_overall": _share(hit, hit + alarms)})
    return out


def roc_auc(positive: Iterable[float], negative: Iterable[float]) -> float | None:
    """P(a random positive scores above a random negative), ties counting 1/2; None if a side is empty.

    Computed as the Mann-Whitney U of the positives (from mid-ranks over both groups) divided by
    the number of pairs.
    """
    pos = np.asarray(list(positive), dtype=np.float64)
    neg = np.asarray(list(negative), dtype=np.float64)
    if not len(pos) or not len(neg):
        return None
    ranks = rankdata(np.concatenate((pos, neg)))  # average ranks for ties
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _distribution(scores: list[float]) -> dict:
    values = np.asarray(scores, dtype=np.float64)
    return {"n": len(values), "min": float(values.min()), "p25": float(np.percentile(values, 25)),
            "median": float(np.median(values)), "p75": float(np.percentile(values, 75)), "max": float(values.max()),
            "mean": float(values.mean())}


def figures(results: list[Result]) -> dict:
    """Recall, precision, AUC and score distributions from scored results (see the module docstring)."""
    offers = [r for r in results if r.item.label in OFFERS]
    reporting = [r for r in results if r.item.label in REPORTING]
    unrelated = [r for r in results if r.item.label == UNRELATED]
    hit = sum(r.flagged for r in offers)
    alarms_reporting = sum(r.flagged for r in reporting)
    alarms_unrelated = sum(r.flagged for r in unrelated)
    categories = []
    for category in [c.value for c in Category]:
        labelled = [r for r in results if r.item.label == category]
        predicted = [r for r in results if r.flagged and r.category == category]
        if not labelled and not predicted:
            continue
        right = sum(r.flagged and r.category == category for r in labelled)
        categories.append({"category": category, "n": len(labelled), "flagged": sum(r.flagged for r in labelled),
                           "recall_any": _share(sum(r.flagged for r in labelled), len(labelled)),
                           "recall": _share(right, len(labelled)), "predicted": len(predicted),
                           "precision": _share(right, len(predicted))})
    languages = []
    for language in sorted({r.item.language for r in offers}):
        mine = [r for r in offers if r.item.language == language]
        languages.append({"language": language or "-", "n": len(mine), "flagged": sum(r.flagged for r in mine),
                          "recall": _share(sum(r.flagged for r in mine), len(mine))})
    distribution = []
    for label in LABELS:
        scores = [r.score for r in results if r.item.label == label]
        if scores:
            distribution.append({"label": label, **_distribution(scores)})
    return {
        "texts": len(results),
        "offers": {"n": len(offers), "flagged": hit, "recall": _share(hit, len(offers))},
        "precision": {
            "vs_unrelated": _share(hit, hit + alarms_unrelated),
            "vs_news_warnings": _share(hit, hit + alarms_reporting),
            "overall": _share(hit, hit + alarms_unrelated + alarms_reporting),
        },
        "false_alarms": {"unrelated": alarms_unrelated, "of_unrelated": len(unrelated),
                         "news_warnings": alarms_reporting, "of_news_warnings": len(reporting)},
        "roc_auc": {
            "offers_vs_news_warnings": roc_auc([r.score for r in offers], [r.score for r in reporting]),
            "offers_vs_unrelated": roc_auc([r.score for r in offers], [r.score for r in unrelated]),
        },
        "categories": categories,
        "languages": languages,
        "distribution": distribution,
    }
