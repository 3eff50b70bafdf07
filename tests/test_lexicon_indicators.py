"""Indicators: phones to E.164 with region hints, WhatsApp/Telegram links, emails, prices."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.lexicon.indicators import extract, parse_phone


def values(text, kind=None):
    return [(i.type, i.value) for i in extract(text) if kind is None or i.type == kind]


@pytest.mark.parametrize("raw,expected", [
    ("+52 55 5555 0101", "+525555550101"),
    ("55-5555-0101", "+525555550101"),  # Mexico City, no country code: the MX hint
    ("55.5555.0101", "+525555550101"),
    ("(55) 5555 0101", "+525555550101"),
    ("+1 213 555 0122", "+12135550122"),
    ("+502 5555 0101", "+50255550101"),  # Guatemala
    ("+504 9555 0101", "+50495550101"),  # Honduras
    ("+509 3555 0112", "+50935550112"),  # Haiti
    ("+55 33 95555 0110", "+5533955550110"),  # Brazil
    ("525555550101", "+525555550101"),  # international without the plus
])
def test_phone_numbers_written_many_ways(raw, expected):
    assert parse_phone(raw) == expected


def test_phone_in_text_with_cel_and_wa_words_keeps_its_span():
    text = "Info: cel 55 5555 0101 o wa 656 555 0107."
    found = [i for i in extract(text) if i.type == "phone"]
    assert [i.value for i in found] == ["+525555550101", "+526565550107"]
    assert [text[i.start:i.end] for i in found] == ["55 5555 0101", "656 555 0107"]


def test_years_dates_and_short_numbers_are_not_phones():
    assert values("Salimos el 12/05/2021 a las 10:30, somos 15 personas, año 2021", "phone") == []


@pytest.mark.parametrize("text,value", [
    ("escribe a wa.me/5215555550104", "+525555550104"),
    ("https://api.whatsapp.com/send?phone=5215555550101&text=hola", "+525555550101"),
    ("https://api.whatsapp.com/send/?text=x&phone=%2B", None),
    ("grupo: https://chat.whatsapp.com/AbCdEfGhIjKlMn", "invite:AbCdEfGhIjKlMn"),
    ("catálogo https://wa.me/c/5215555550101", "catalog:+525555550101"),
    ("https://www.whatsapp.com/catalog/5215555550101/", "catalog:+525555550101"),
])
def test_whatsapp_links(text, value):
    got = values(text, "whatsapp")
    assert got == ([("whatsapp", value)] if value else [])


def test_whatsapp_link_digits_are_not_read_again_as_a_phone():
    assert values("wa.me/5215555550104", "phone") == []


def test_telegram_links_and_handles():
    assert values("canal t.me/cruces_ejemplo", "telegram") == [("telegram", "@cruces_ejemplo")]
    assert values("únete https://t.me/+AbCdEfGhIjKl", "telegram") == [("telegram", "invite:AbCdEfGhIjKl")]
    assert values("escríbeme por Telegram @Plug_Demo", "telegram") == [("telegram", "@plug_demo")]
    assert values("sígueme en Instagram @fotos_demo", "telegram") == []  # a handle without Telegram nearby


def test_email():
    assert values("info: Viajes.Demo@Example.com", "email") == [("email", "viajes.demo@example.com")]


@pytest.mark.parametrize("text,value", [
    ("$7,500", "7500 USD"),
    ("$4,500 dólares", "4500 USD"),
    ("4500 dolares", "4500 USD"),
    ("8 mil", "8000 XXX"),
    ("10 mil dls", "10000 USD"),
    ("US$ 15 mil", "15000 USD"),
    ("150 pesos", "150 MXN"),
    ("20 mil pesos", "20000 MXN"),
    ("7k", "7000 XXX"),
    ("$4.500", "4500 USD"),
    ("$19.99", "19.99 USD"),
    ("R$ 2.000", "2000 BRL"),
    ("5000 dola", "5000 USD"),
])
def test_prices(text, value):
    assert values(f"precio {text} por persona", "price") == [("price", value)]


def test_prefilter_skips_texts_without_digits_or_links():
    assert extract("pura palabra sin numeros ni enlaces") == []


def only(text, kind):
    """The values of the indicators of one type."""
    return [value for _, value in values(text, kind)]


@pytest.mark.parametrize("text", [
    "12 mil seguidores", "2,1 mil Me gusta", "1.2K followers", "5 mil miembros", "Miembros: 5 mil",
    "3,4 mil likes", "10 mil personas", "8.5K views", "200 mil reproducciones", "1,5 mil curtidas",
])
def test_audience_counts_are_not_prices(text):
    assert only(text, "price") == []


@pytest.mark.parametrize("text, price", [
    ("8 mil", "8000 XXX"), ("$12 mil seguidores", "12000 USD"), ("12 mil dólares, 3 mil seguidores", "12000 USD"),
    ("80 euros", "80 EUR"), ("€5,500", "5500 EUR"), ("£1,000", "1000 GBP"),
])
def test_amounts_next_to_counts_and_new_currencies(text, price):
    assert only(text, "price") == [price]


@pytest.mark.parametrize("text", [
    "+52 1 55 5555 0104", "+521 55 5555 0104", "+52 55 5555 0104", "wa.me/5215555550104", "wa.me/525555550104",
    "https://api.whatsapp.com/send?phone=5215555550104", "521 55 5555 0104",
])
def test_mexican_mobiles_old_and_new_forms_join(text):
    found = only(text, "phone") + only(text, "whatsapp")
    assert found == ["+525555550104"]


def test_handles_and_framing():
    assert only("síguenos @CruceSeguroUSA", "handle") == ["@crucesegurousa"]
    assert only("escribe por telegram a @coyote_tj", "telegram") == ["@coyote_tj"]
    assert only("el cruce “100% seguro” que anuncian", "quote") == ["100% seguro"]
    assert only("nota: https://www.example.com/noticias/detienen-a-un-coyote-en-reynosa", "news_link") == ["example.com"]
    assert only("grupo https://www.facebook.com/groups/cruce-seguro-a-usa-con-garantia-total", "news_link") == []


@pytest.mark.parametrize("text, price", [
    # The sign after the amount, as European and Balkan-route adverts write it.
    ("4000€", "4000 EUR"), ("4.000 €", "4000 EUR"), ("5000$", "5000 USD"), ("£3k", "3000 GBP"),
    # A peso named with its country is that country's: before, every "pesos" read as MXN.
    ("300 mil pesos colombianos", "300000 COP"), ("1.500.000 pesos chilenos", "1500000 CLP"),
    ("50 mil pesos argentinos", "50000 ARS"), ("$300.000 COP", "300000 COP"), ("300.000 COP", "300000 COP"),
    ("2 mil pesos dominicanos", "2000 DOP"), ("500 bolos", "500 VES"),
    # Mexican slang for pesos.
    ("3,000 pesitos", "3000 MXN"), ("5 mil varos", "5000 MXN"),
])
def test_currencies_written_after_the_amount_and_pesos_by_country(text, price):
    assert only(text, "price") == [price]


@pytest.mark.parametrize("text, prices", [
    ("año 2023 $500", ["500 USD"]),  # a "$" opening the next amount is not the year's sign
    ("2 cop cars", []),  # the code COP only in capitals: "cop" is English
])
def test_a_sign_after_a_number_is_read_only_where_it_closes_it(text, prices):
    assert only(text, "price") == prices


@given(st.sampled_from(["colombianos", "chilenos", "argentinos", "dominicanos"]),
       st.integers(min_value=1, max_value=999_999), st.sampled_from(["", " mil"]))
def test_a_peso_named_with_its_country_is_never_read_as_mexican(country, amount, mil):
    found = only(f"precio {amount}{mil} pesos {country}", "price")
    assert len(found) == 1 and not found[0].endswith("MXN")
