"""Lexicon files: the shipped ones are complete; invalid files name the file, the term and the problem."""

from __future__ import annotations

import pytest

from toolkit.errors import LexiconError
from toolkit.lexicon import load_lexicon, resolve, shipped_names
from toolkit.lexicon.loader import shipped_paths
from toolkit.models import Category

HEAD = '[lexicon]\nname = "mine"\nversion = "1"\ncategory = "smuggling_offer"\n'


def write(tmp_path, body, head=HEAD, name="mine.toml"):
    path = tmp_path / name
    path.write_text(head + body, encoding="utf-8")
    return path


def test_shipped_lexicons_cover_the_issue_and_document_every_term():
    names = set(shipped_names())
    assert {"smuggling_offer", "smuggling_talk", "drug_sale", "recruitment", "extortion", "places", "context"} <= names
    lexicons = resolve(["default"])
    categories = {t.category for lex in lexicons for t in lex.terms if t.category}
    assert categories == {c.value for c in Category} - {"other"}
    for lex in lexicons:
        for term in lex.terms:
            assert term.meaning and term.ambiguity, f"{lex.name}: {term.term} lacks meaning or ambiguity"
    offer = next(lex for lex in lexicons if lex.name == "smuggling_offer")
    assert {t.lang for t in offer.terms} == {"es", "en", "pt", "ht"}
    places = next(lex for lex in lexicons if lex.name == "places")
    assert {"Tijuana", "Reynosa", "McAllen", "Piedras Negras", "Ciudad Juarez", "Tapachula", "Darien"} <= {
        t.term for t in places.terms}


@pytest.mark.parametrize("body,problem", [
    ('[[terms]]\nterm = "x"\nweight = "high"\n', "weight must be a number"),
    ('[[terms]]\nterm = "x"\nweight = 500\n', "weight must be a number from 0 to 100"),
    ('[[terms]]\nterm = "x"\nwithin = 5\n', "within is set but requires is empty"),
    ('[[terms]]\nterm = "x"\nrequires = ["nonsense"]\n', "unknown signal 'nonsense'"),
    ('[[terms]]\nterm = "x"\nregex = "(unclosed"\n', "regex does not compile"),
    ('[[terms]]\nterm = "x"\nregex = "a*"\n', "regex matches the empty string"),
    ('[[terms]]\nterm = "x"\ninflect = "sometimes"\n', "inflect must be one of"),
    ('[[terms]]\nterm = "x"\ncolour = "red"\n', "unknown key(s): colour"),
    ('[[terms]]\nterm = "x"\ncategory = "weapons"\n', "category must be one of"),
    ('[[terms]]\nterm = "!!!"\n', "no letters, digits or emoji"),
    ('[[terms]]\nterm = "x🍁"\n', "mixes emoji and letters"),
    ('[[terms]]\nterm = "Coyote"\n[[terms]]\nterm = "coyote"\n', "duplicate of term #1"),
])
def test_term_errors_name_file_term_and_problem(tmp_path, body, problem):
    path = write(tmp_path, body)
    with pytest.raises(LexiconError) as caught:
        resolve([str(path)])
    message = caught.value.message
    assert str(path) in message
    assert "term '" in message
    assert problem in message
    assert caught.value.hint


@pytest.mark.parametrize("text,problem", [
    ('[lexicon]\nname = "Bad Name"\nversion = "1"\n[[terms]]\nterm = "x"\n', "name must be lower-case"),
    ('[lexicon]\nname = "a"\n[[terms]]\nterm = "x"\n', "version must be a non-empty string"),
    ('[lexicon]\nname = "a"\nversion = "1"\ncategory = "smuggling_offer"\n', "no [[terms]]"),
    ('[lexicon]\nname = "a"\nversion = "1"\n[[terms]]\nterm = "x"\n', "category must be one of"),
    ('[lexicon\nname = "a"', "not valid TOML"),
    ('name = "a"\n', "no [lexicon] table"),
])
def test_file_errors_name_the_file(tmp_path, text, problem):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LexiconError) as caught:
        load_lexicon(path)
    assert str(path) in caught.value.message and problem in caught.value.message


def test_case_lexicon_extends_a_category_and_disables_a_shipped_term(tmp_path):
    write(tmp_path, '[[terms]]\nterm = "lancha rapida"\nweight = 2\nrequires = ["price"]\n',
                 head=HEAD + 'disable = ["smuggling_offer:agencia de viajes"]\n')
    lexicons = resolve(["default", "mine.toml"], base=tmp_path)
    offer = next(lex for lex in lexicons if lex.name == "smuggling_offer")
    assert "agencia de viajes" not in {t.term for t in offer.terms}
    assert any(lex.name == "mine" for lex in lexicons)


def test_unknown_lexicon_name_and_name_clash(tmp_path):
    with pytest.raises(LexiconError, match="unknown lexicon 'nope'"):
        resolve(["nope"])
    clash = write(tmp_path, '[[terms]]\nterm = "x"\n', head=HEAD.replace('"mine"', '"places"'))
    with pytest.raises(LexiconError, match="also used by"):
        resolve(["default", str(clash)])


def test_every_shipped_file_is_loadable_alone():
    for path in shipped_paths():
        assert load_lexicon(path).terms
