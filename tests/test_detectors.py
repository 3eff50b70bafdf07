"""Contract tests over the detector registry, and each detector on its fixture pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit.models import Kind, Status
from toolkit.platforms.detect import Detector, detectors, read_page
from toolkit.platforms.markers import book

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
FIXTURES = sorted(PAGES.glob("*/*.html"))


def saved_url(path: Path) -> str:
    """The URL in a fixture's SingleFile header comment."""
    match = re.search(rb"url: (\S+)", path.read_bytes()[:600])
    assert match, f"{path} has no SingleFile url header"
    return match.group(1).decode()


def fixture_status(path: Path) -> Status:
    return Status(path.stem.split("-")[0])


@pytest.mark.parametrize("name", sorted(detectors()))
def test_detector_contract(name):
    detector = detectors()[name]
    assert isinstance(detector, Detector)
    assert detector.platform == name
    assert re.fullmatch(r"[a-z]+@\d+(\.\d+)*", detector.name)
    assert Status.AVAILABLE in detector.statuses and Status.ERROR in detector.statuses
    assert Status.NOT_SEEN not in detector.statuses  # a page read always says something
    # Every status the detector can return has a fixture page, and every fixture's status is declared.
    fixtures = {fixture_status(p) for p in (PAGES / name).glob("*.html")}
    assert fixtures == set(detector.statuses), f"{name}: fixtures {sorted(fixtures)} vs declared {sorted(detector.statuses)}"
    # Every marker status the detector's rules can produce is declared.
    assert {r.status for r in book().rules(name)} <= set(detector.statuses)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_page_gives_its_status(path):
    reading = read_page(path.read_bytes(), saved_url(path), observed_at="2024-05-16T14:20:00Z")
    assert reading.platform == path.parent.name
    assert reading.verdict.status == fixture_status(path), reading.verdict
    assert reading.verdict.detector == detectors()[path.parent.name].name
    if reading.verdict.status == Status.ERROR:
        assert reading.verdict.reason == "no-markers"
    else:
        assert reading.verdict.place and reading.verdict.marker
    for capture in reading.captures:
        assert capture.status is not None and capture.detector == reading.verdict.detector
        assert capture.observed_at == "2024-05-16T14:20:00Z"
    if reading.captures:
        main = reading.main
        assert (main.status, main.status_marker, main.status_place) == (
            reading.verdict.status, reading.verdict.marker, reading.verdict.place)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_recorded_platform_reads_a_mirror_the_same(path):
    """A local mirror URL with the recorded platform gives the same verdict as the real host."""
    url = saved_url(path)
    if "/login" in url or "/checkpoint/" in url:
        pytest.skip("the verdict comes from the final URL itself")
    mirror = re.sub(r"^https://[^/]+", "http://127.0.0.1:8765", url)
    reading = read_page(path.read_bytes(), mirror, platform=path.parent.name)
    assert reading.platform == path.parent.name
    assert reading.verdict.status == fixture_status(path)


def read(platform: str, name: str):
    path = PAGES / platform / name
    return read_page(path.read_bytes(), saved_url(path))


def test_facebook_page_fields():
    main = read("facebook", "available-page.html").main
    # The URL names the item; the page's numeric id is kept beside it.
    assert (main.item.kind, main.item.key) == (Kind.PAGE, "cruceseguro.usa")
    assert (main.fields["facebook_id"], main.fields["facebook_type"]) == ("100064000000001", "page")
    assert (main.name, main.followers, main.created_at, main.country) == ("Cruce Seguro USA", 1100, "2021-01-05", "México")


def test_facebook_group_and_its_feed():
    reading = read("facebook", "available-group.html")
    group, post = reading.captures[0], reading.captures[1]
    assert (group.item.kind, group.item.key, group.members, group.name) == (Kind.GROUP, "viajeros.norte", 44000,
                                                                           "Viajeros al Norte 2024")
    assert (post.item.kind, post.item.key, post.parent) == (Kind.POST, "320000000000003", group.item)
    assert post.text.startswith("Salida el lunes desde Reynosa")


def test_facebook_post_with_json_ld_and_parent_page():
    reading = read("facebook", "available-post.html")
    post, page = reading.captures
    assert post.item.kind == Kind.POST and post.item.key.startswith("pfbid02")
    assert (post.likes, post.fields["comments"], post.fields["shares"]) == (214, 37, 12)
    assert post.created_at == "2024-04-10T20:03:22Z"
    assert post.parent == page.item and page.name == "Cruce Seguro USA"


def test_facebook_mbasic_permalink():
    post, page = read("facebook", "available-post-mbasic.html").captures
    assert (post.item.key, post.parent.key, page.name) == ("340000000000005", "100064000000001", "Cruce Seguro USA")
    assert post.text.startswith("Nuevo grupo sale el 20 de abril")
    assert post.created_at == "2024-04-16T17:53:20Z"


@pytest.mark.parametrize("name,status", [("available-listing.html", Status.AVAILABLE), ("sold.html", Status.SOLD)])
def test_marketplace_listing(name, status):
    reading = read("facebook", name)
    listing = reading.main
    assert reading.verdict.status == status
    assert (listing.item.kind, listing.item.key, listing.name) == (Kind.LISTING, "880000000000006",
                                                                  "Cristal 1 onza, entrega discreta")
    assert listing.fields == {"price": "1500.00", "currency": "MXN", "price_text": "MX$1,500",
                              "location": "Tijuana, BC", "seller_name": "Vendedor Tijuana"}
    assert listing.parent.key == "100000000000088"


def test_gone_page_keeps_only_the_requested_item():
    reading = read("facebook", "unavailable-en.html")
    assert [c.item.key for c in reading.captures] == ["320000000000003"]
    assert reading.main.parent.key == "310000000000002"
    assert reading.main.name is None and reading.main.text is None


def test_login_redirect_is_recorded_against_the_next_target():
    reading = read("facebook", "login_required-en.html")
    assert reading.main.item.key == "cruceseguro.usa"


def test_telegram_message_list():
    reading = read("telegram", "available.html")
    channel, *messages = reading.captures
    assert (channel.item.kind, channel.item.key, channel.followers, channel.name) == (
        Kind.CHANNEL, "cruce_seguro_mx", 3400, "Cruce Seguro MX")
    assert [m.item.key for m in messages] == [f"cruce_seguro_mx/{n}" for n in (101, 102, 103)]
    assert all(m.parent == channel.item for m in messages)
    assert messages[0].fields["views"] == 1200 and messages[0].fields["links"] == ["https://wa.me/5215555550104"]
    assert messages[0].created_at == "2024-05-10T14:05:00Z"
    assert messages[1].status == Status.REMOVED and messages[1].status_place == "container:div.tgme_widget_message_text"
    assert messages[2].status == Status.AVAILABLE and messages[2].fields["forwarded_from"] == "Viajes Norte Info"


def test_telegram_requested_message_comes_first_and_speaks_for_the_page():
    path = PAGES / "telegram" / "available.html"
    reading = read_page(path.read_bytes(), "https://t.me/s/cruce_seguro_mx/101")
    assert reading.main.item.key == "cruce_seguro_mx/101" and reading.verdict.status == Status.AVAILABLE
    reading = read_page(path.read_bytes(), "https://t.me/s/cruce_seguro_mx/102")
    assert (reading.main.item.key, reading.verdict.status) == ("cruce_seguro_mx/102", Status.REMOVED)
    assert reading.verdict.place == "container:div.tgme_widget_message_text"


def test_tiktok_video_and_author():
    video, author = read("tiktok", "available.html").captures
    assert (video.item.kind, video.item.key, video.likes, video.fields["plays"]) == (
        Kind.VIDEO, "7360000000000000001", 4870, 120000)
    assert (author.item.key, author.followers, author.name) == ("viajes.rapidos", 18300, "Viajes Rápidos")
    assert video.parent == author.item


def test_instagram_profile_counts():
    profile = read("instagram", "available-profile.html").main
    assert (profile.item.key, profile.followers, profile.fields["posts"]) == ("viajesnorte.mx", 12400, 96)


def test_markers_only_count_in_their_places():
    """A post quoting the notice is still available: body text is not a marker place."""
    page = (PAGES / "facebook" / "available-post.html").read_text(encoding="utf-8").replace(
        "Salimos este viernes desde Tapachula, cruce garantizado, pago al llegar.</span>",
        "Este contenido no está disponible en este momento en otros sitios, pero aquí sí.</span>")
    reading = read_page(page, "https://www.facebook.com/cruceseguro.usa/posts/pfbid02AbCdEfGhIjKlMnOpQrStUvWxYz123456789l")
    assert reading.verdict.status == Status.AVAILABLE


def test_empty_and_binary_bodies_are_errors():
    assert read_page(b"", "https://www.facebook.com/x").verdict.reason == "not-html"
    assert read_page(b"\x00\x01\x02" * 50, "https://www.facebook.com/x").verdict.status == Status.ERROR


@pytest.mark.parametrize("code,status", [(404, Status.UNAVAILABLE), (410, Status.UNAVAILABLE),
                                         (429, Status.RATE_LIMITED), (503, Status.ERROR)])
def test_http_status(code, status):
    path = PAGES / "facebook" / "available-page.html"
    reading = read_page(path.read_bytes(), saved_url(path), http_status=code)
    assert reading.verdict.status == status
    assert reading.verdict.place == "http" and reading.verdict.reason == f"http-{code}"


def test_dead_listing_with_suggested_listings_is_not_available():
    """Other listings in the page's JSON ("today's picks") are not the listing asked for."""
    body = (PAGES / "facebook" / "available-listing.html").read_text(encoding="utf-8")
    body = body.replace('<meta property="og:url" content="https://www.facebook.com/marketplace/item/880000000000006/">', "")
    reading = read_page(body, "https://www.facebook.com/marketplace/item/990000000000123/")
    assert reading.verdict.status != Status.AVAILABLE
    assert reading.main.item.key == "990000000000123"


def test_relative_next_target_names_the_item():
    reading = read("instagram", "restricted-challenge.html")
    assert (reading.main.item.kind, reading.main.item.key) == (Kind.PROFILE, "viajesnorte.mx")
