"""Compositional rules and negative contexts of the shipped lexicons: each with an example where it
applies and one where it does not, and the explanation naming it."""

from __future__ import annotations

import pytest

from toolkit.errors import LexiconError
from toolkit.lexicon import Tagger, load_lexicon, resolve
from toolkit.lexicon.loader import check_set

# rule -> (a text where it fires, a text where one of its signals is missing)
RULE_EXAMPLES = {
    "price_and_travel": ("Viaje a Houston $4,500", "Viaje a Houston"),
    "price_and_transport": ("Te llevamos a Houston por $4,500", "Te llevamos a Houston"),
    "travel_and_guarantee": ("Viaje a Houston garantizado", "Viaje a Houston"),
    "crossing_and_guarantee": ("Cruce directo por Juárez, garantizado", "Cruce directo por Juárez"),
    "transport_and_place": ("Te llevamos a Houston", "Te llevamos mañana, $4,500"),
    "papers_and_travel": ("Viaje a Houston si no tienes visa", "Viaje a Houston"),
    "papers_and_transport": ("Si no tienes visa, te llevamos", "Te llevamos"),
    "papers_and_guarantee": ("Si no tienes visa, 100% garantizado", "Si no tienes visa"),
    "walk_and_price": ("Caminas una hora, $2,300", "Caminas una hora"),
    "walk_and_place": ("Caminas una hora hasta Reynosa", "Caminas una hora, $2,300"),
    "payment_per_person": ("Te cobramos 500 dólares por persona", "Te cobramos 500 dólares"),
    "contact_and_transport": ("Te llevamos, escríbeme al WhatsApp", "Te llevamos"),
    "contact_and_crossing": ("Cruce directo, escríbeme al WhatsApp", "Cruce directo por Juárez"),
    "contact_and_travel": ("Viaje a Houston, escríbeme al WhatsApp", "Viaje a Houston"),
    "dream_and_transport": ("Te llevamos, cumple tu sueño", "Te llevamos"),
    "dream_and_travel": ("Viaje para estados unidos, cumple tu sueño", "Viaje para estados unidos"),
    "dream_and_price": ("Cumple tu sueño por $4,500", "Cumple tu sueño"),
    "boat_departure_price": ("Lancha, salida esta semana, $1,000", "Lancha, $1,000"),
    "boat_and_travel": ("Viaje a Italia en lancha", "Lancha a la venta"),
    "departure_and_crossing": ("Salida esta semana, cruce directo por Juárez", "Cruce directo por Juárez"),
    "proof_and_crossing": ("Seguimos metiendo goles, cruce por Juárez", "Seguimos metiendo goles"),
    "route_promise_and_travel": ("Viaja a Estados Unidos sin pasar la selva", "Viaja a Estados Unidos"),
    "drug_and_sale": ("Vendo cocaína", "cocaína"),
    "drug_and_price": ("cocaína $500", "cocaína"),
    "drug_and_contact": ("cocaína, escríbeme al WhatsApp", "cocaína"),
    "quantity_and_price": ("medio gramo 80 euros", "medio gramo"),
    "street_and_quantity": ("una onza de mota", "mota a domicilio"),
    "menu_of_drugs": ("perico y cocaína", "cocaína"),
    "emoji_code_and_sale": ("❄️💊 DM for menu", "❄️💊"),
    "smuggler_and_guarantee": ("Coyote guatemalteco 100% confiable", "Coyote guatemalteco"),
    "travel_and_destination": ("Viajes express Honduras–USA", "Viajes express Honduras"),
    "wish_and_destination": ("¿Quieres ir a Estados Unidos? $6,000", "¿Quieres ir a la fiesta? $200"),
    "vehicle_and_route_promise": ("Salida en camioneta, sin retenes", "Salida en camioneta"),
    "vehicle_and_papers": ("Viaje en avión con papeles", "Viaje en avión"),
    "travel_and_border": ("Sales de Reynosa, $4,500", "Sales de Monterrey, $4,500"),
    "vehicle_price_border": ("By car from Greece, 3,000 euros", "By car from Greece"),
    "route_promise_and_price": ("Sin retenes, $4,500", "Sin retenes"),
    "cartel_on_a_handle": ("@Empresa.4.letras6", "las 4 letras"),
    "job_on_a_handle": ("@Reclutamiento_20_q", "reclutamiento"),
    "bait_for_security": ("Guardias de seguridad, sueldo semanal", "Guardias de seguridad"),
    "drive_for_money": ("Need 2 or 3 drivers, easy cash", "Need 2 or 3 drivers"),
    "drive_and_price": ("Need 2 or 3 drivers, $1,000 a head", "Need 2 or 3 drivers"),
    "threat_and_demand": ("Si no pagas, te vamos a visitar", "Te vamos a visitar"),
    "demand_and_price": ("Si no pagas los 5,000 pesos", "Si no pagas"),
    "gang_and_demand": ("Somos del grupo, queremos su colaboración", "Queremos su colaboración"),
    "gang_and_threat": ("Le saluda la banda, piensa en tu familia", "Piensa en tu familia"),
    "threat_to_addressee": ("Señores transportistas, piensen en sus familias", "Piensen en sus familias"),
    "job_and_pay": ("¿Quieres trabajar? 15 mil pesos a la semana", "¿Quieres trabajar? Escríbeme"),
    "job_and_easy_money": ("¿Quieres trabajar? Dinero rápido", "¿Quieres trabajar? Escríbeme"),
    "job_and_cartel": ("¿Quieres trabajar con la empresa del Mencho?", "¿Quieres trabajar? Escríbeme"),
    "cartel_and_threat": ("Gente del Mencho: piensa en tu familia, tienes 24 horas", "Piensa en tu familia, tienes 24 horas"),
}

OFFER = "Coyote, cruce seguro a USA $4,500"
DRUG_OFFER = "Vendo perico y mota, $300, inbox"
# negative context -> (the offer with that context added, as reporting or a look-alike would have it); the
# smuggling offer unless the context is a negative of another category only (then that category's offer).
RECRUITER = "Se buscan jóvenes para trabajar con la empresa, 4 letras, buena paga, mándame inbox"
OTHER_NEGATIVES = {"goods": ("drug_sale", DRUG_OFFER, DRUG_OFFER + ", bolsa de hielo y vidrio templado"),
                   "employer": ("recruitment", RECRUITER, RECRUITER + ", prestaciones de ley e IMSS")}
NEGATIVE_EXAMPLES = {
    "news": OFFER + ", informó la fiscalía",
    "warning": OFFER + ", no caigas",
    "harm": OFFER + ", murieron tres migrantes",
    "smuggling_solicitation": OFFER + ", busco coyote",
    "smuggling_information": OFFER + ", asilo",
    "wildlife": OFFER + ", dicen los vecinos",
    "food": OFFER + ", pollo a la brasa",
    "sports": OFFER + ", fichaje del club",
    "platform": OFFER + " en TikTok",
    "about_smugglers": OFFER + ", dicen los traficantes de personas",
    "about_migrants": OFFER + " para los migrantes",
    "tourism": OFFER + ", hotel y desayuno",
    "legal": OFFER + ", abogado de inmigración",
    "quote": "“" + OFFER + "”",
    "news_link": OFFER + " https://www.example.com/noticias/detienen-a-coyote-que-anunciaba-cruces",
    **{signal: framed for signal, (_, _, framed) in OTHER_NEGATIVES.items()},
}


@pytest.fixture(scope="module")
def tagger():
    return Tagger(resolve(["default"]))


def _rules(tagger, text: str) -> set[str]:
    return {rule["rule"] for rule in tagger.analyse(text).score.explanation["rules"]}


def test_every_shipped_rule_and_negative_has_examples(tagger):
    shipped = {rule.rule for lex in tagger.lexicons for rule in lex.rules}
    assert shipped == set(RULE_EXAMPLES)
    negatives = {signal for lex in tagger.lexicons for signal in lex.negative}
    assert negatives == set(NEGATIVE_EXAMPLES)


@pytest.mark.parametrize("rule", sorted(RULE_EXAMPLES))
def test_rule_fires_only_with_all_its_signals(tagger, rule):
    positive, negative = RULE_EXAMPLES[rule]
    assert rule in _rules(tagger, positive), tagger.analyse(positive).score.explanation
    assert rule not in _rules(tagger, negative), tagger.analyse(negative).score.explanation


def test_a_rule_raises_the_score_and_is_named_in_the_summary(tagger):
    with_rule = tagger.analyse("Te cobramos 500 dólares por persona").score
    without = tagger.analyse("Te cobramos 500 dólares").score
    assert with_rule.score > without.score
    assert "=payment_per_person" in with_rule.explanation["summary"]
    rule = with_rule.explanation["rules"][0]
    assert rule == {"rule": "payment_per_person", "category": "smuggling_offer", "weight": 1.0,
                    "signals": ["payment", "per_person", "price"]}


@pytest.mark.parametrize("signal", sorted(NEGATIVE_EXAMPLES))
def test_negative_context_lowers_the_offer(tagger, signal):
    category, offer, _ = OTHER_NEGATIVES.get(signal, ("smuggling_offer", OFFER, None))
    plain = tagger.analyse(offer).score
    framed = tagger.analyse(NEGATIVE_EXAMPLES[signal]).score
    assert plain.category == category
    assert signal not in plain.explanation["negatives"].get(category, {})
    assert signal in framed.explanation["negatives"][category], framed.explanation
    assert framed.explanation["by_category"][category] < plain.explanation["by_category"][category]


def test_death_words_are_not_a_warning_against_an_extortion_threat(tagger):
    """`harm` (deaths, overdoses) lowers offers of the other categories, not extortion, whose messages threaten death."""
    threat = tagger.analyse("Si no pagas la cuota de 500 pesos, habrá muertes, a ti y a tu familia").score
    assert threat.category == "extortion"
    assert "harm" not in threat.explanation["negatives"].get("extortion", {})
    assert threat.score >= 20


@pytest.mark.parametrize("threat", ["Mira, ya te tengo ubicado", "Si abren, habrá consecuencias", "We will kill you",
                                    "Vou te matar", "No llames a la policía",
                                    "I have your nudes and I will send them to all your followers"])
def test_an_unmistakable_threat_counts_alone_and_reporting_it_does_not(tagger, threat):
    """Second-person threats ('you are next', 'we know where you are') need no demand to be extortion
    messages; the same words quoted by a news report are pushed under the threshold by the news
    and quotation negatives."""
    alone = tagger.analyse(threat).score
    assert alone.category == "extortion" and alone.score >= 20, alone.explanation
    reported = tagger.analyse(f"“{threat}”, decía el mensaje, informó la fiscalía").score
    assert reported.score < 20, reported.explanation


# category -> (a text where a term that needs company has it, the same term without it)
TERMS_IN_COMPANY = {
    "county lines recruitment, next to pay": ("recruitment", "Runners needed, £500 a day, DM me",
                                              "Runners needed for the charity 10k on Sunday"),
    "pay and work in peace, next to a demand": ("extortion", "Pague a taxa e trabalhe de boa",
                                                "Só quero que você trabalhe de boa"),
    "a buyer asking for a drug by its slang": ("drug_sale", "Busco mota", "Busco trabajo"),
}


@pytest.mark.parametrize("case", sorted(TERMS_IN_COMPANY))
def test_a_term_counts_in_its_company_only(tagger, case):
    category, offer, plain = TERMS_IN_COMPANY[case]
    scored = tagger.analyse(offer).score
    assert scored.category == category and scored.score >= 20, scored.explanation
    alone = tagger.analyse(plain).score
    assert alone.score < 20, alone.explanation


def test_a_context_word_inside_a_threat_is_the_threats_own(tagger):
    """'policía' inside 'no llames a la policía' is part of the threat, not a news signal; inside a
    cartel's name ('Cártel del Noreste') the reporting signal still counts."""
    threat = tagger.analyse("No llames a la policía").score
    assert "news" not in threat.explanation["signals"]
    report = tagger.analyse("Sicarios del Cártel del Noreste secuestraron a una familia en Nuevo Laredo").score
    assert "about_smugglers" in report.explanation["negatives"].get(report.category, {}), report.explanation


def test_reporting_about_smugglers_scores_far_below_their_offer(tagger):
    offer = tagger.analyse("Si no tienes visa para Estados Unidos, nosotros te llevamos. Escríbeme al WhatsApp").score
    news = tagger.analyse("Los traficantes ofrecen en TikTok: si no tienes visa para Estados Unidos, nosotros te "
                          "llevamos, informó la policía").score
    assert offer.score >= 50 and news.score < 10


def _lexicon(tmp_path, body: str):
    path = tmp_path / "mine.toml"
    path.write_text('[lexicon]\nname = "mine"\nversion = "1"\ncategory = "smuggling_offer"\n\n'
                    '[[terms]]\nterm = "zorrito"\ntags = ["fox"]\n\n' + body, encoding="utf-8")
    return path


def test_user_rule_loads_and_scores(tmp_path):
    path = _lexicon(tmp_path, '[[rules]]\nrule = "fox_with_price"\nall = ["fox", "price"]\nweight = 4\n'
                              'meaning = "a test rule"\n')
    tagger = Tagger(check_set([*resolve(["default"]), load_lexicon(path)]))
    assert "fox_with_price" in _rules(tagger, "zorrito $500")
    assert "fox_with_price" not in _rules(tagger, "zorrito")


@pytest.mark.parametrize("body, problem", [
    ('[[rules]]\nrule = "one"\nall = ["fox"]\n', "at least two different signals"),
    ('[[rules]]\nrule = "Bad Name"\nall = ["fox", "price"]\n', "rule must be a name"),
    ('[[rules]]\nrule = "r"\nall = ["fox", "price"]\nspeed = 3\n', "unknown key"),
    ('[[rules]]\nrule = "r"\nall = ["fox", "price"]\n\n[[rules]]\nrule = "r"\nall = ["fox", "contact"]\n', "defined twice"),
    ('[[rules]]\nrule = "r"\nall = ["fox", "nonexistent_signal"]\n', "unknown signal 'nonexistent_signal'"),
    ('[[rules]]\nrule = "r"\nall = ["fox", "price"]\nweight = 500\n', "weight must be a number"),
])
def test_bad_rules_are_named(tmp_path, body, problem):
    path = _lexicon(tmp_path, body)
    with pytest.raises(LexiconError) as caught:
        check_set([*resolve(["default"]), load_lexicon(path)])
    assert problem in str(caught.value) and str(path) in str(caught.value)
