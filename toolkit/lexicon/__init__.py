"""Lexicons, text folding, the matcher, contact indicators and scoring.

    loader.py      load and validate lexicon TOML files; resolve the names a case asks for
    normalise.py   fold text to one byte per character (case, accents, leetspeak, punctuation)
    forms.py       a term's surface forms: variants and inflections
    matcher.py     all terms against a batch of posts in one pass (Hyperscan or pyahocorasick)
    indicators.py  phones (E.164), WhatsApp/Telegram links, emails, prices
    scoring.py     per-capture score, category and explanation
    batch.py       a tagged batch kept in columns; per-record objects built when asked for
    tagger.py      what the scan calls: match + indicators + score, as rows the scan stores with lexicon@version
    explain.py     a score's stored explanation as one line a researcher can check by hand
    evaluate.py    a lexicon set measured on labelled texts (recall, precision, ROC AUC)
"""

from toolkit.lexicon.loader import Lexicon, Term, load_lexicon, resolve, shipped_names
from toolkit.lexicon.matcher import Matcher
from toolkit.lexicon.tagger import Analysis, Tagger

__all__ = ["Analysis", "Lexicon", "Matcher", "Tagger", "Term", "load_lexicon", "resolve", "shipped_names"]
