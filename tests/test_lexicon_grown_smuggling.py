"""Smuggling and recruitment lexicons 3.2 (and their context and places additions): every class of
terms added has an offer it flags and the same words without their company that it does not;
every context added has an offer and the same offer framed by it, scored lower. The examples are
written for these tests, in the forms public reporting quotes (not copies of the evaluation set)."""

from __future__ import annotations

import pytest

from toolkit.lexicon import Tagger, resolve

THRESHOLD = 20


@pytest.fixture(scope="module")
def tagger():
    return Tagger(resolve(["default"]))


# class -> (category, an offer it flags, the same words without the company they need)
CLASSES = {
    "paid only once across": ("smuggling_offer", "Se cobran $6,500 y no pagas nada hasta que estés en Houston",
                              "Compra hoy, no pagas nada hasta que llegue tu pedido, $500"),
    "paid only once across, English": ("smuggling_offer", "£2,000 to the UK, nothing upfront",
                                       "Nothing upfront, cancel any time"),
    "paid only once across, Portuguese": ("smuggling_offer", "Travessia para os EUA pelo México, sem adiantamento",
                                          "Sem adiantamento"),
    "first-person singular crossing": ("smuggling_offer", "Paso gente a Estados Unidos, pregunte sin compromiso",
                                       "Paso a Estados Unidos"),
    "we take you, English": ("smuggling_offer", "Don't worry, we can get you to London, message me",
                             "Don't worry, we can get you a table"),
    "we take you, Portuguese": ("smuggling_offer", "Vou levar você até a fronteira, R$ 60 mil",
                                "Vou levar você ao cinema"),
    "a journey told to the client": ("smuggling_offer", "The journey takes two hours from Dunkirk",
                                     "The journey takes two hours"),
    "a journey as a page name": ("smuggling_offer", "Journey to England", "Journey of a lifetime"),
    "guarantee in words": ("smuggling_offer", "Cruce por Reynosa, cien por ciento seguro",
                           "Cien por ciento seguro"),
    "attempts promised": ("smuggling_offer", "Três chances de entrada nos Estados Unidos, pagamento ao chegar",
                          "Três chances"),
    "a route that avoids the risk": ("smuggling_offer", "En avión, sin arriesgarte en el desierto",
                                     "Sin arriesgarte"),
    "the controls will not stop you": ("smuggling_offer", "By lorry from Calais, nobody will stop you",
                                       "Nobody will stop you"),
    "papers sold with the trip": ("smuggling_offer", "Visa de trabajo a Canadá por 9 mil dólares, todo es legal",
                                  "Productos 100% legal, $500"),
    "stay regularised for a price": ("smuggling_offer", "Te arreglamos los papeles en México, $3,000",
                                     "Te arreglamos los papeles"),
    "trocha crossing with a place": ("smuggling_offer", "Paso por la trocha a Cúcuta, 20 dólares",
                                     "La trocha estaba cerrada"),
    "trocha crossing as a service": ("smuggling_offer", "Servicio de trocha", "Trocha"),
    "guides with a crossing": ("smuggling_offer", "Cruce por Piedras Negras con guías con experiencia, $5,000",
                               "Guías con experiencia"),
    "we pass you into a named place": ("smuggling_offer", "Te pasamos a 🇺🇸, pregunta", "Te pasamos a saludar"),
    "a boat of the Western Mediterranean": ("smuggling_offer", "Patera desde Orán a Almería, salida esta semana, 3000 euros",
                                            "Patera, 3000 euros"),
    "US-side crossings in English": ("smuggling_offer", "Coyote services, we get you in, text me",
                                     "We get you in"),
    "passports and visas sold": ("smuggling_offer", "Buy registered passports and visas, WhatsApp +1 202 555 0143",
                                 "Registered passports"),
    "pay at destination": ("smuggling_offer", "Viagem para os EUA via México, pagamento no destino",
                           "Pagamento no destino"),
    "urgency to leave": ("smuggling_offer", "Come now, boat to the UK, £2,000", "Come now, dinner is ready"),
    "arrival captions of proof videos": ("smuggling_offer", "Welcome to London! Boat arrived this morning, next departure Friday",
                                         "Welcome to London"),
    "a deposit on the trip": ("smuggling_offer", "Viaje a Houston con un anticipo de 2,500 dólares",
                              "Anticipo de 2,500 dólares"),
    "arrival within days": ("smuggling_offer", "Travel to the UK within three days, WhatsApp +44 7700 900123",
                            "Delivered within three days"),
    "a page name with a promise": ("smuggling_offer", "Viajes Honduras USA 100% seguros", "Viajes Honduras USA"),
    "crossings in the plural": ("smuggling_offer", "Cruces a USA, escríbenos", "Cruces"),
    "picked up and taken to the relatives": ("smuggling_offer",
                                             "Você vai andar uma hora, depois um carro vai te pegar até chegar aos seus parentes",
                                             "Um carro vai te pegar às oito"),
    "the price is only": ("smuggling_offer", "Viaje de Monterrey a San Antonio, cuesta solo $4,500",
                          "Cuesta solo $45"),
    "neither visa nor passport": ("smuggling_offer", "Sin visa ni pasaporte a Estados Unidos, escríbenos",
                                  "Sin visa ni pasaporte"),
    "a safe trip and pay on arrival, Portuguese": ("smuggling_offer",
                                                   "Viagem segura para os EUA, pagamento após a chegada",
                                                   "Viagem segura para Portugal, pacote com hotel e passeios"),
    "crossing the border offered": ("smuggling_offer", "We help you cross the border, $6,000", "Crossing the border"),
    "a taxi boat": ("smuggling_offer", "Taxi boat to England, £1,800", "Taxi boat tours in Cancún, $50"),
    "money couriers across the border": ("recruitment", "Looking for individuals who can carry cash to El Paso",
                                         "Carry cash"),
    "the cartel war as the job": ("recruitment", "Ocupamos gente para la pelea, buena paga", "Para la pelea"),
    "a gang's bounty": ("recruitment", "Lo ocupamos ubicar, info al privado, 500 mil por él",
                        "Lo ocupamos ubicar"),
    "fortnightly pay for cartel work": ("recruitment", "Hay jale pa la empresa, pago quincenal, escríbeme",
                                        "Hay jale en la obra"),
    "money flips and mule accounts": ("recruitment", "Empresta sua conta laranja, R$ 500 por semana, chama no zap",
                                      "Conta laranja"),
    "gunmen wanted": ("recruitment", "Ocupo gatilleros, buen sueldo, mándame mensaje", "Gatilleros"),
    "the Brazilian drug trade's jobs": ("recruitment", "Vaga de vapor na boca, chama no privado",
                                        "Vaga de vapor"),
    "armed groups next to a job": ("recruitment", "Únete a las filas del Clan del Golfo, buen sueldo, escríbenos",
                                   "Clan del Golfo"),
    "working for the cartel": ("recruitment", "Trabajo para el cartel, escríbeme al WhatsApp",
                               "Trabajo para el hospital, escríbeme al WhatsApp"),
}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_a_grown_class_flags_its_offer_and_not_its_words_alone(tagger, name):
    category, offer, plain = CLASSES[name]
    scored = tagger.analyse(offer).score
    assert scored.category == category and scored.score >= THRESHOLD, scored.explanation
    alone = tagger.analyse(plain).score
    assert alone.score < THRESHOLD, alone.explanation


@pytest.mark.parametrize("text", ["Servicio garantizado, $500", "Mecánico confiable, $500",
                                  "Compra hoy, no pagas nada hasta que llegue tu pedido, $500",
                                  "Te pasamos el link, $200, WhatsApp 55 1234 5678",
                                  "Te traigo tu pedido, $200", "Productos 100% legal, $500",
                                  "Trocha ganadera en buen estado, $500, llámanos", "Crossing the border"])
def test_a_promise_or_a_payment_term_with_a_bare_price_is_not_a_smuggling_offer(tagger, text):
    """Promises ('garantizado', 'confiable'), pay-later terms, 'te pasamos' and 'trocha' count fully
    only next to a trip, a crossing or a place, and everyday words feed no rule: a bare price or a
    phone is every shop's (before 3.2 the first two scored 22 and 'te pasamos' alone 31)."""
    score = tagger.analyse(text).score
    assert score.score < THRESHOLD, score.explanation


def test_guides_do_not_count_on_a_tour(tagger):
    """'Con guía' is a smuggler calling himself a guide, unless the text is a tour (tourism excludes it)."""
    tour = tagger.analyse("Tour a Cancún con guía experto, hotel y desayuno, $5,000").score
    counted = {hit["term"]: hit["counted"] for hit in tour.explanation["terms"]}
    assert counted["nuestros guias"] == 0
    assert tour.score < THRESHOLD, tour.explanation


# context added -> (signal, the offer, the offer framed as reporting or a look-alike would have it)
OFFER = "Viaje con coyote a Estados Unidos, $8,000"
CONTEXTS = {
    # "rumbo a USA" with a destination is how trips are offered, and how families say they go on holiday
    "a holiday": ("tourism", "Vamos rumbo a USA con la familia", "Vamos rumbo a USA de vacaciones con la familia"),
    "prices summed up 'up to'": ("news", OFFER, "Un viaje con coyote a Estados Unidos cuesta hasta $8,000"),
    "a journey told in the past": ("news", "Journey to Texas, instructions via WhatsApp",
                                   "He made the journey to Texas following instructions sent via WhatsApp"),
    "smuggling named as a crime": ("news", "Coiote, entrada nos EUA, 30 mil dólares",
                                   "Coiote cobrava 30 mil dólares para agenciar a entrada nos EUA"),
    "viral video": ("news", "Coiote, travessia pelo México, 20 mil dólares",
                    "Coiote é filmado na travessia pelo México, 20 mil dólares"),
    "wildlife in Portuguese": ("wildlife", "Coiote na fronteira, 20 mil dólares",
                               "Matilha de coiotes na fronteira, 20 mil dólares"),
    "ferry fares": ("tourism", "Crossings daily from Dunkirk, £1,500",
                    "Ferry crossings daily from Dunkirk, fares from £70 return"),
    "travel regulations": ("legal", "Viajes a Estados Unidos, $4,500",
                           "Viajes a Estados Unidos: requisitos de entrada, divisas no superior a $4,500"),
}
RECRUITER = "Únete al Clan del Golfo, trabajo para el cartel, buen sueldo"
CONTEXTS_OTHER = {
    "recruitment named as a crime": ("recruitment", "news", RECRUITER,
                                     "Denuncian reclutamiento forzado: 'únete al Clan del Golfo, trabajo para el cartel, buen sueldo'"),
}


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_a_grown_context_lowers_the_offer(tagger, name):
    signal, offer, framed = CONTEXTS[name]
    plain = tagger.analyse(offer).score
    assert plain.category == "smuggling_offer" and plain.score >= THRESHOLD, plain.explanation
    assert signal not in plain.explanation["signals"]
    lowered = tagger.analyse(framed).score
    assert signal in lowered.explanation["signals"], lowered.explanation
    assert lowered.score < plain.score and lowered.score < THRESHOLD, lowered.explanation


@pytest.mark.parametrize("name", sorted(CONTEXTS_OTHER))
def test_a_grown_context_lowers_an_offer_of_another_category(tagger, name):
    category, signal, offer, framed = CONTEXTS_OTHER[name]
    plain = tagger.analyse(offer).score
    assert plain.category == category and plain.score >= THRESHOLD, plain.explanation
    lowered = tagger.analyse(framed).score
    assert signal in lowered.explanation["negatives"].get(category, {}), lowered.explanation
    assert lowered.score < THRESHOLD, lowered.explanation


def test_the_victim_named_marks_reporting_not_a_threat(tagger):
    """'La víctima' is how reporting speaks of the person threatened; a threat addresses them."""
    threat = tagger.analyse("Somos de la MS-13, si no pagas te vamos a matar").score
    report = tagger.analyse("Dicen ser de la MS-13 porque saben que con eso basta para que la víctima pague").score
    assert "news" not in threat.explanation["signals"]
    assert "news" in report.explanation["signals"] and report.score < THRESHOLD, report.explanation


@pytest.mark.parametrize("text", ["Gracias por su confianza! Pasteles a domicilio $150, pedidos por WhatsApp 55 1234 5678",
                                  "Clientes satisfechos: corte de cabello $100, agenda tu cita por inbox",
                                  "Happy customers! Phone repair $40, text me", "Satisfied customers, $20, DM me"])
def test_a_shop_thanking_its_customers_is_no_proof_post(tagger, text):
    """Every shop thanks its customers beside a price and a contact: those captions weigh half the
    delivered-clients ones, so alone they stay under the threshold (before, each scored 21.6)."""
    score = tagger.analyse(text).score
    assert score.score < THRESHOLD, score.explanation


def test_thanks_beside_a_crossing_still_counts(tagger):
    score = tagger.analyse("Clientes satisfechos: otro grupo cruzó por Piedras Negras, $5000").score
    assert score.category == "smuggling_offer" and score.score >= THRESHOLD, score.explanation


@pytest.mark.parametrize(("text", "offer"), [("Si quieres ir a la fiesta, $200", False),
                                              ("Quer ir para a festa? R$ 50, chama no zap", False),
                                              ("Quer ir para os EUA? R$ 30.000, chama no zap", True),
                                              ("Want to go to the UK? £3,000, text me", True)])
def test_wanting_to_go_counts_with_a_destination_only(tagger, text, offer):
    """'¿Quieres ir a...?' opens offers and party invitations alike: before, any price beside it made
    travel offered (the party scored 46.5); now it needs a destination, the border or a crossing."""
    score = tagger.analyse(text).score
    assert (score.score >= THRESHOLD) is offer, score.explanation
