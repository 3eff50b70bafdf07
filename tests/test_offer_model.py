"""The offer model (toolkit/lexicon/model.py, training.py): features, scoring in bulk, training,
the model file, the tagger's use of it and the commands that take `--model`."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.cli.root import app
from toolkit.errors import LexiconError, UsageError
from toolkit.lexicon import Tagger, resolve
from toolkit.lexicon.evaluate import Labelled
from toolkit.lexicon.model import (
    DEFAULT_MODEL,
    POINTS_AT_BOUNDARY,
    ModelScore,
    OfferModel,
    fold_texts,
    load_model,
    ngram_buckets,
)
from toolkit.lexicon.training import train

# Synthetic labelled texts in the shape of the evaluation set (tests/eval): short offers as the
# reporting quotes them, next to news about the same crimes and everyday posts.
OFFERS = [
    ("Cruce seguro a USA, pago al llegar, info al whats", "smuggling_offer"),
    ("Pasamos gente a Estados Unidos, salida cada semana, pregunta sin compromiso", "smuggling_offer"),
    ("Viajes a USA sin papeles, cruce garantizado, inbox para info", "smuggling_offer"),
    ("Tenemos tusi y perico, entregas a domicilio, escribe al DM", "drug_sale"),
    ("Vendo pastillas y cristal, envios discretos, precio por DM", "drug_sale"),
    ("Cobramos la cuota cada semana, si no pagas te quemamos el negocio", "extortion"),
    ("Paga la cuota o atente a las consecuencias, ya sabemos donde vives", "extortion"),
]
OTHERS = [
    ("La policia detuvo a dos coyotes que anunciaban viajes en Facebook", "news"),
    ("Autoridades alertan sobre anuncios de cruce seguro en redes sociales", "warning"),
    ("El gobierno denuncia el cobro de cuotas a comerciantes del mercado", "news"),
    ("Hoy jugamos futbol con los amigos del barrio, que buen partido", "none"),
    ("Feliz cumpleaños mamá, te queremos mucho, bendiciones", "none"),
    ("Receta de tamales de la abuela, con masa y salsa verde", "none"),
    ("El partido de mañana empieza a las ocho en el estadio", "none"),
    ("Gracias a todos por venir a la fiesta del sábado", "none"),
]


def _items() -> list[Labelled]:
    rows = [*OFFERS, *OTHERS]
    return [Labelled(text, label, "es", f"synthetic-{i}", i + 2) for i, (text, label) in enumerate(rows)]


@pytest.fixture(scope="module")
def small_model(tmp_path_factory) -> OfferModel:
    path = tmp_path_factory.mktemp("model") / "small.npz"
    train(_items(), name="small", version="2", false_alarms=0.2).save(path)
    return OfferModel.load(path)


def _reference_logits(model: OfferModel, texts: list[str]) -> np.ndarray:
    """The logits from the listed n-grams (the form training reads), the slow way."""
    post, bucket, _ = ngram_buckets(fold_texts(texts), model.info.bits, model.info.ngrams)
    sums = np.bincount(post, weights=model.weights[bucket].astype(np.float64), minlength=len(texts) + 1)[1:]
    counts = np.bincount(post, minlength=len(texts) + 1)[1:]
    return model.info.bias + sums / np.sqrt(np.maximum(counts, 1))


TEXTS = st.text(alphabet=st.sampled_from(list("ab coyote,.!\n\x00\u200b💊ñÁ0123456789@#")), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=8))
def test_bulk_logits_equal_the_listed_ngrams(texts):
    model = OfferModel.load(DEFAULT_MODEL)
    fast = model.logits(fold_texts(texts), len(texts))
    assert np.allclose(fast, _reference_logits(model, texts), rtol=0, atol=1e-5)


@settings(max_examples=100, deadline=None)
@given(TEXTS, st.lists(TEXTS, max_size=3), st.lists(TEXTS, max_size=3))
def test_a_texts_points_do_not_depend_on_its_neighbours(text, before, after):
    model = OfferModel.load(DEFAULT_MODEL)
    alone = model.text_points([text])[0]
    together = model.text_points([*before, text, *after])[len(before)]
    assert together == pytest.approx(alone, abs=1e-4)


def test_the_matchers_folded_batch_gives_the_same_points_as_the_texts_alone():
    model = OfferModel.load(DEFAULT_MODEL)
    texts = [text for text, _ in OFFERS + OTHERS] + ["", "x", "c\u200bo\u200by\u200bo\u200bt\u200be 💊", "a\x00b"]
    tagger = Tagger(resolve(["default"]), model=model)
    found = tagger.matcher.find(texts)
    assert np.allclose(model.points(found.folded, len(texts)), model.text_points(texts), atol=1e-6)


def test_a_text_without_ngrams_gets_the_models_prior_and_empty_batches_work():
    model = OfferModel.load(DEFAULT_MODEL)
    logits = model.logits(fold_texts(["", "!!!", "💊 🙏"]), 3)  # nothing but separators: no n-gram
    assert logits.tolist() == [model.info.bias] * 3
    assert model.logits(fold_texts([]), 0).tolist() == []


def test_training_separates_its_texts_and_is_deterministic(tmp_path):
    first, second = train(_items(), false_alarms=0.2), train(_items(), false_alarms=0.2)
    first.save(tmp_path / "a.npz")
    second.save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    points = first.text_points([text for text, _ in OFFERS + OTHERS])
    offers, others = points[: len(OFFERS)], points[len(OFFERS):]
    assert offers.min() > others.max()  # its own training texts, perfectly ranked
    assert first.info.categories == ("drug_sale", "extortion", "smuggling_offer")
    assert first.categories(["Pasamos gente a Estados Unidos", "Vendo pastillas por DM"]) == ["smuggling_offer", "drug_sale"]
    assert first.info.trained["offers"] == len(OFFERS) and first.info.trained["others"] == len(OTHERS)


def test_the_boundary_leaves_the_chosen_share_of_unseen_others_above_it():
    # The boundary is a quantile of the others' cross-validated logits: a looser rate flags more.
    strict, loose = train(_items(), false_alarms=0.0), train(_items(), false_alarms=0.5)
    texts = [text for text, _ in OFFERS + OTHERS]
    assert (strict.text_points(texts) >= POINTS_AT_BOUNDARY).sum() <= (loose.text_points(texts) >= POINTS_AT_BOUNDARY).sum()
    assert loose.info.trained["false_alarms"] == 0.5 and loose.info.trained["folds"] == 5


def test_training_needs_both_kinds_of_text():
    with pytest.raises(UsageError):
        train([item for item in _items() if item.label in ("news", "none", "warning")])


def test_a_model_file_round_trips(small_model, tmp_path):
    small_model.save(tmp_path / "again.npz")
    again = OfferModel.load(tmp_path / "again.npz")
    assert np.array_equal(again.weights, small_model.weights) and again.info == small_model.info
    assert again.ident == "small@2" and len(again.digest) == 12


@pytest.mark.parametrize("damage", ["not a zip", "no weights", "weights too long", "bad meta", "bits out of range"])
def test_a_damaged_model_file_is_refused_with_its_name(small_model, tmp_path, damage):
    path = tmp_path / "bad.npz"
    if damage == "not a zip":
        path.write_bytes(b"PK\x03\x04 this is not a model")
    else:
        arrays = dict(np.load(small_model.path, allow_pickle=False))
        meta = orjson.loads(str(arrays["meta"]))
        if damage == "no weights":
            del arrays["weight"]
        elif damage == "weights too long":
            arrays["weight"] = np.append(arrays["weight"], np.float32(1))
        elif damage == "bad meta":
            arrays["meta"] = np.array("{not json")
        else:
            meta["bits"] = 40
            arrays["meta"] = np.array(orjson.dumps(meta).decode())
        np.savez(path, **arrays)
    with pytest.raises(LexiconError, match=r"bad\.npz"):
        OfferModel.load(path)


def test_a_pickled_array_is_never_loaded(small_model, tmp_path):
    path = tmp_path / "pickled.npz"
    arrays = dict(np.load(small_model.path, allow_pickle=False))
    arrays["meta"] = np.array([{"name": "x"}], dtype=object)  # needs pickle to read
    np.savez(path, **arrays)
    with pytest.raises(LexiconError, match=r"pickled\.npz"):
        OfferModel.load(path)
    assert zipfile.is_zipfile(path)


def test_load_model_names(tmp_path, small_model):
    assert load_model(None) is None and load_model("none") is None and load_model("") is None
    assert load_model("default").path == DEFAULT_MODEL
    assert load_model("small.npz", base=small_model.path.parent).ident == "small@2"
    with pytest.raises(LexiconError, match=r"missing\.npz"):
        load_model("missing.npz", base=tmp_path)


def test_the_tagger_raises_a_score_only_where_the_model_reads_an_offer(small_model):
    plain = Tagger(resolve(["default"]))
    tagger = Tagger(resolve(["default"]), model=small_model)
    records = [{"text": "Salida cada semana, pregunta sin compromiso"},  # the model's offer, below the lexicons' 20
               {"text": "Feliz cumpleaños mamá, te queremos mucho"},  # below the model's boundary
               {"name": "Gracias a todos", "text": "Tenemos tusi y perico, escribe al DM"},
               # The lexicons bring it up already: it keeps their score, however high the model's points.
               {"text": "Pasamos gente a Estados Unidos, salida cada semana, pregunta sin compromiso"}]
    before, after = plain.analyse_batch(records), tagger.analyse_batch(records)
    points = small_model.text_points([records[0]["text"], records[1]["text"]])
    assert points[0] >= POINTS_AT_BOUNDARY > points[1]
    raised = after[0].score
    assert isinstance(raised, ModelScore) and raised.score == pytest.approx(round(points[0], 1))
    assert raised.category is not None  # the lexicon's, else the model's category part
    assert raised.explanation["summary"].startswith("model ")
    assert raised.explanation["model"]["model"] == f"small@2#{small_model.digest}"
    assert after[1].score is before[1].score or after[1].score.score == before[1].score.score
    # The record's score is its highest field's; the model never lowers a lexicon score.
    assert after[2].score.score >= before[2].score.score
    assert small_model.text_points([records[3]["text"]])[0] > before[3].score.score >= POINTS_AT_BOUNDARY
    assert after[3].score.score == before[3].score.score and not isinstance(after[3].score, ModelScore)
    assert f"small@2#{small_model.digest}" in tagger.idents and tagger.signature != plain.signature


def test_a_records_rows_carry_the_models_part(small_model):
    tagger = Tagger(resolve(["default"]), model=small_model)
    rows = tagger.tag_rows([(1, 1, None, "Salida cada semana, pregunta sin compromiso")])
    (score,) = rows.scores
    assert score[2] == tagger.signature and "small@2#" in score[2]
    assert orjson.loads(score[5])["model"]["points"] == pytest.approx(score[3], abs=0.05)


def _labelled_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label", "language", "source"])
        for item in _items():
            writer.writerow([item.text, item.label, item.language, item.source])
    return path


def test_lexicon_train_and_eval_with_the_model(runner, tmp_path):
    labelled = _labelled_csv(tmp_path / "labelled.csv")
    result = runner.invoke(app, ["lexicon", "train", str(labelled), "--out", str(tmp_path / "m.npz"),
                                 "--name", "mine", "--version", "3", "--false-alarms", "0.2"])
    assert result.exit_code == 0, result.output
    assert "mine@3" in result.stderr and (tmp_path / "m.npz").is_file()
    model = OfferModel.load(tmp_path / "m.npz")
    assert model.info.trained["files"][0]["file"] == "labelled.csv"
    result = runner.invoke(app, ["lexicon", "eval", str(labelled), "--model", str(tmp_path / "m.npz"), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = orjson.loads(result.stdout)
    assert any(name.startswith("mine@3#") for name in out["lexicons"])
    assert out["offers"]["recall"] == 1.0  # its own training texts
    result = runner.invoke(app, ["lexicon", "test", "Pasamos gente a Estados Unidos", "--model", str(tmp_path / "m.npz")])
    assert result.exit_code == 0 and "model mine@3#" in result.stdout


def test_lexicon_train_refuses_a_wrong_name_and_one_sided_texts(runner, tmp_path):
    labelled = _labelled_csv(tmp_path / "labelled.csv")
    result = runner.invoke(app, ["lexicon", "train", str(labelled), "--out", str(tmp_path / "m.bin")])
    assert result.exit_code != 0 and ".npz" in result.stderr
    only = tmp_path / "only.csv"
    only.write_text("text,label\nhola,none\nadios,news\n", encoding="utf-8")
    result = runner.invoke(app, ["lexicon", "train", str(only), "--out", str(tmp_path / "m.npz")])
    assert result.exit_code != 0 and "offers and other texts" in result.stderr
    assert not (tmp_path / "m.npz").exists() and not list(tmp_path.glob("*.partial"))


def test_a_case_with_the_model_scores_with_it_and_records_its_file(case, invoke):
    assert 'model = "default"' in (case / "case.toml").read_text(encoding="utf-8")  # new cases read with it
    # tests/fixtures/crowdtangle/pages.csv with one more post, written in no lexicon's words.
    fixture = (Path(__file__).parent / "fixtures" / "crowdtangle" / "pages.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(fixture)))
    extra = list(rows[1])
    message, url = rows[0].index("Message"), rows[0].index("URL")
    extra[message] = "Llegas seguro con nosotros, salidas cada lunes"
    extra[url] = extra[url].rstrip("/") + "99"
    export = case.parent / "pages.csv"
    with export.open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows([*rows, extra])
    result = invoke("scan", case, export)
    assert result.exit_code == 0, result.output
    import sqlite3
    with sqlite3.connect(case / "case.db") as conn:
        signatures = {row[0] for row in conn.execute("SELECT lexicons FROM score")}
    assert signatures and all("offers@2#" in signature for signature in signatures)
    from toolkit.case import load_config
    from toolkit.context import case_files
    assert "toolkit:lexicon/data/offer_model.npz" in case_files(case, load_config(case))
    assert invoke("verify", case).exit_code == 0
    with sqlite3.connect(case / "case.db") as conn:
        raised = conn.execute("SELECT count(DISTINCT capture_id) FROM score WHERE explanation LIKE '%\"model\":{%'").fetchone()[0]
    assert raised >= 1  # the fixture's posts include some the lexicons leave below 20
    result = invoke("report", case, "--format", "md", "--output", case.parent / "report")
    assert result.exit_code == 0, result.output
    methodology = (case.parent / "report" / "report.md").read_text(encoding="utf-8")
    plural = "s" if raised != 1 else ""
    assert f"The offer model offers@2#{OfferModel.load(DEFAULT_MODEL).digest} brought {raised} capture{plural}" in methodology


def _everyday_posts(samples: Path) -> list[str]:
    """Real posts with nothing to do with the crimes: a Telegram channel's messages (religious
    teaching) and TikTok captions (Zeeschuimer), from ../shared/samples."""
    texts = []
    channel = samples / "telegram_desktop_json" / "channel_uponthepathofsalaf_result.json"
    if channel.is_file():
        for message in orjson.loads(channel.read_bytes()).get("messages", []):
            text = message.get("text")
            if isinstance(text, list):
                text = "".join(part if isinstance(part, str) else part.get("text", "") for part in text)
            if isinstance(text, str) and text.strip():
                texts.append(text)
    tiktok = samples / "zeeschuimer_ndjson" / "tiktok_jorisheijkant_tiktok-test.ndjson"
    if tiktok.is_file():
        for line in tiktok.read_bytes().splitlines():
            try:
                desc = (orjson.loads(line).get("data") or {}).get("desc")
            except orjson.JSONDecodeError:
                continue
            if isinstance(desc, str) and desc.strip():
                texts.append(desc)
    return texts


def test_the_shipped_model_leaves_real_everyday_posts_alone(samples):
    # The first model trained on the evaluation set alone flagged a third of these (it had learnt
    # "not written like news"); with everyday negatives in training it must stay near the lexicons.
    texts = _everyday_posts(samples)
    if len(texts) < 100:
        pytest.skip("the Telegram and TikTok samples are not present")
    plain = Tagger(resolve(["default"]))
    tagger = Tagger(resolve(["default"]), model=OfferModel.load(DEFAULT_MODEL))
    records = [{"text": text} for text in texts]

    def flagged(scores) -> int:
        return sum(score.category is not None and score.score >= POINTS_AT_BOUNDARY for score in scores)

    lexicons, both = flagged(plain.tag_batch(records).scores), flagged(tagger.tag_batch(records).scores)
    assert both - lexicons <= 0.01 * len(texts), (lexicons, both, len(texts))


def test_the_explanation_line_names_the_models_part_first(small_model):
    from toolkit.lexicon.explain import explain_line

    tagger = Tagger(resolve(["default"]), model=small_model)
    score = tagger.analyse("Salida cada semana, pregunta sin compromiso").score
    line = explain_line(orjson.loads(score.explanation_json), score.category)
    assert line.startswith(f"model small@2#{small_model.digest}: ") and "points ('" in line and "; lexicons: " in line
    # An explanation without the model's part reads as before.
    plain = Tagger(resolve(["default"])).analyse("Cruce seguro a USA, pago al llegar").score
    assert not explain_line(plain.explanation, plain.category).startswith("model ")


def test_lexicon_stats_gives_the_models_precision_from_the_verdicts(case, invoke):
    config = (case / "case.toml").read_text(encoding="utf-8")
    (case / "case.toml").write_text(config.replace('model = "default"', 'model = "none"'), encoding="utf-8")
    assert invoke("scan", case, Path(__file__).parent / "fixtures" / "crowdtangle" / "pages.csv").exit_code == 0
    import sqlite3

    with sqlite3.connect(case / "case.db") as conn:
        items = [row[0] for row in conn.execute("SELECT id FROM item ORDER BY id LIMIT 3")]
        explained = orjson.dumps({"summary": "model 40", "model": {"model": "offers@1#aaaaaaaaaaaa", "points": 40.0}}).decode()
        again = explained.replace("aaaaaaaaaaaa", "bbbbbbbbbbbb")  # the same model name@version, another file
        for item, explanation in zip(items, (explained, again, None), strict=True):
            conn.execute("INSERT INTO score(item_id, capture_id, lexicons, score, category, explanation, scored_at)"
                         " VALUES (?, NULL, '[]', 40, 'smuggling_offer', ?, '2021-05-01T00:00:00Z')", (item, explanation))
        for item, verdict in zip(items, ("violating", "not_violating", "violating"), strict=True):
            conn.execute("INSERT INTO review(item_id, verdict, reviewer, reviewed_at) VALUES (?, ?, 'ana',"
                         " '2021-05-02T00:00:00Z')", (item, verdict))
    result = invoke("lexicon", "stats", case, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    (model,) = [row for row in rows if row["lexicon"] == "offers@1"]
    assert model["term"] == "(captures the offer model raised)"
    assert (model["reviewed"], model["violating"], model["not_violating"], model["precision"]) == ("2", "1", "1", "0.5")
    only = invoke("lexicon", "stats", case, "--lexicon", "offers", "--format", "csv").stdout.splitlines()
    assert len(only) == 2 and only[1].startswith("offers@1,")


def test_explanations_in_bulk_are_each_texts_own():
    model = OfferModel.load(DEFAULT_MODEL)
    texts = [text for text, _ in OFFERS + OTHERS] + ["", "💊", "Cruce seguro"]
    many = model.explain_many(texts)
    assert many == [model.explain(text) for text in texts]
    for text, part, points in zip(texts, many, model.text_points(texts), strict=True):
        assert part["points"] == pytest.approx(points, abs=0.051)
        shares = [abs(weight) for _, weight in part["ngrams"]]
        assert shares == sorted(shares, reverse=True) and len(shares) <= 8
        folded = " " + " ".join(fold_texts([text]).decode("latin-1").replace("\\x00", " ").split()) + " "
        assert all(gram in folded for gram, _ in part["ngrams"])


def test_turning_the_model_on_and_retagging_rescores_the_case(case, invoke):
    config = (case / "case.toml").read_text(encoding="utf-8")
    (case / "case.toml").write_text(config.replace('model = "default"', 'model = "none"'), encoding="utf-8")
    assert invoke("scan", case, Path(__file__).parent / "fixtures" / "crowdtangle" / "pages.csv").exit_code == 0
    import sqlite3

    def signatures() -> set[str]:
        with sqlite3.connect(case / "case.db") as conn:
            latest = "SELECT s.lexicons FROM score s WHERE s.id = (SELECT max(id) FROM score t WHERE t.capture_id = s.capture_id)"
            return {row[0] for row in conn.execute(latest)}

    assert not any("offers@2#" in signature for signature in signatures())
    (case / "case.toml").write_text(config, encoding="utf-8")  # model = "default" again
    result = invoke("scan", case, "--retag")
    assert result.exit_code == 0, result.output
    assert signatures() and all("offers@2#" in signature for signature in signatures())
    again = invoke("scan", case, "--retag")  # nothing left to rescore: the signatures match
    assert again.exit_code == 0 and signatures() and all("offers@2#" in s for s in signatures())
    assert invoke("verify", case).exit_code == 0
