"""URL identity per platform: known shapes, and properties that must hold for any URL."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from toolkit.platforms import identify
from toolkit.platforms.registry import parent_of, platforms

# (url, (platform, kind, key), parent key or None)
KNOWN = [
    ("https://www.facebook.com/CruceSeguroUSA.Oficial", ("facebook", "page", "crucesegurousa.oficial"), None),
    ("facebook.com/CruceSeguroUSA.Oficial/?ref=page_internal", ("facebook", "page", "crucesegurousa.oficial"), None),
    ("https://m.facebook.com/profile.php?id=100064123456789&refid=17", ("facebook", "page", "100064123456789"), None),
    ("https://www.facebook.com/100064123456789/", ("facebook", "page", "100064123456789"), None),
    ("https://www.facebook.com/pages/Viajes-Frontera/123456789012", ("facebook", "page", "123456789012"), None),
    ("https://www.facebook.com/pages/category/Travel-Company/Viajes-Frontera-123456789012/",
     ("facebook", "page", "123456789012"), None),
    ("https://www.facebook.com/people/Viajes-Norte/100089999999999/", ("facebook", "page", "100089999999999"), None),
    ("https://www.facebook.com/Cruce-Seguro-123456789/", ("facebook", "page", "123456789"), None),
    ("https://m.facebook.com/groups/QuieroCruzar/", ("facebook", "group", "quierocruzar"), None),
    ("https://web.facebook.com/groups/123456789/permalink/987654321/?comment_id=5",
     ("facebook", "post", "987654321"), "123456789"),
    ("https://www.facebook.com/groups/quierocruzar/posts/987654321/", ("facebook", "post", "987654321"), "quierocruzar"),
    ("https://www.facebook.com/groups/quierocruzar/?multi_permalinks=987654321&ref=share",
     ("facebook", "post", "987654321"), "quierocruzar"),
    ("https://business.facebook.com/CruceSeguro/posts/pfbid02abcDEF123xyz?__tn__=K-R",
     ("facebook", "post", "pfbid02abcDEF123xyz"), "cruceseguro"),
    ("https://touch.facebook.com/story.php?story_fbid=555666&id=777888&fbclid=x",
     ("facebook", "post", "555666"), "777888"),
    ("https://mbasic.facebook.com/permalink.php?story_fbid=pfbid0Abc&id=777888", ("facebook", "post", "pfbid0Abc"),
     "777888"),
    ("https://www.facebook.com/photo/?fbid=1234567&set=a.999", ("facebook", "post", "1234567"), None),
    ("https://m.facebook.com/photo.php?fbid=1234567", ("facebook", "post", "1234567"), None),
    ("https://www.facebook.com/CruceSeguro/photos/a.111/1234567/", ("facebook", "post", "1234567"), "cruceseguro"),
    ("https://www.facebook.com/watch/?v=123456&ref=sharing", ("facebook", "video", "123456"), None),
    ("https://www.facebook.com/CruceSeguro/videos/viaje-seguro/334455667788/", ("facebook", "video", "334455667788"),
     "cruceseguro"),
    ("https://www.facebook.com/reel/998877665544?mibextid=abc", ("facebook", "video", "998877665544"), None),
    ("https://www.facebook.com/marketplace/item/4455667788/?ref=search", ("facebook", "listing", "4455667788"), None),
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fm.facebook.com%2FCruceSeguro%3Ffbclid%3D1&h=AT0",
     ("facebook", "page", "cruceseguro"), None),
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fwa.me%2F525555550101&h=AT0",
     ("whatsapp", "profile", "+525555550101"), None),
    ("https://www.facebook.com/login/?next=https%3A%2F%2Fwww.facebook.com%2Fgroups%2Fcruces",
     ("facebook", "group", "cruces"), None),
    ("https://www.facebook.com/share/p/1AbCdEf/", ("facebook", "post", "https://www.facebook.com/share/p/1AbCdEf/"), None),
    ("https://fb.watch/abcDEF/", ("facebook", "video", "https://fb.watch/abcDEF/"), None),
    ("https://www.facebook.com/events/123456/", ("generic", "page", "https://facebook.com/events/123456"), None),
    ("https://www.instagram.com/Cruces_MX/?igsh=abc", ("instagram", "profile", "cruces_mx"), None),
    ("https://www.instagram.com/p/CxYz123AbC/?utm_source=ig_web_copy_link", ("instagram", "post", "CxYz123AbC"), None),
    ("https://instagram.com/reel/CxYz123AbC/", ("instagram", "post", "CxYz123AbC"), None),
    ("https://www.instagram.com/tv/CxYz123AbC", ("instagram", "post", "CxYz123AbC"), None),
    ("https://www.instagram.com/cruces_mx/p/CxYz123AbC/", ("instagram", "post", "CxYz123AbC"), "cruces_mx"),
    ("https://www.tiktok.com/@Cruces.MX/video/7200000000000000001?is_from_webapp=1&sender_device=pc",
     ("tiktok", "video", "7200000000000000001"), "cruces.mx"),
    ("https://m.tiktok.com/v/7200000000000000001.html", ("tiktok", "video", "7200000000000000001"), None),
    ("https://www.tiktok.com/@cruces.mx?lang=es", ("tiktok", "profile", "cruces.mx"), None),
    ("https://vm.tiktok.com/ZMabc123/", ("tiktok", "video", "https://vm.tiktok.com/ZMabc123/"), None),
    ("https://t.me/CrucesMX", ("telegram", "channel", "crucesmx"), None),
    ("https://t.me/s/CrucesMX", ("telegram", "channel", "crucesmx"), None),
    ("https://t.me/s/CrucesMX/42", ("telegram", "message", "crucesmx/42"), "crucesmx"),
    ("telegram.me/crucesmx/42?single", ("telegram", "message", "crucesmx/42"), "crucesmx"),
    ("https://crucesmx.t.me/", ("telegram", "channel", "crucesmx"), None),
    ("https://t.me/joinchat/AbCdEfGh12345", ("telegram", "channel", "+AbCdEfGh12345"), None),
    ("https://t.me/+AbCdEfGh12345", ("telegram", "channel", "+AbCdEfGh12345"), None),
    ("https://t.me/c/1234567890/55", ("telegram", "message", "c/1234567890/55"), "c/1234567890"),
    ("https://wa.me/525555550101?text=hola", ("whatsapp", "profile", "+525555550101"), None),
    ("https://api.whatsapp.com/send?phone=+52%2055%205555%200101&text=info", ("whatsapp", "profile", "+525555550101"),
     None),
    ("https://web.whatsapp.com/send?phone=00525555550101", ("whatsapp", "profile", "+525555550101"), None),
    ("https://chat.whatsapp.com/AbCdEfGhIjKlMnOp", ("whatsapp", "group", "AbCdEfGhIjKlMnOp"), None),
    ("https://chat.whatsapp.com/invite/AbCdEfGhIjKlMnOp", ("whatsapp", "group", "AbCdEfGhIjKlMnOp"), None),
    ("https://wa.me/c/525555550101", ("whatsapp", "page", "catalog/+525555550101"), "+525555550101"),
    ("https://www.whatsapp.com/channel/0029VaAbCdEfGhIjKl", ("whatsapp", "channel", "0029VaAbCdEfGhIjKl"), None),
    ("https://example.com/oferta/?utm_source=x&b=2&a=1#top", ("generic", "page", "https://example.com/oferta?a=1&b=2"),
     None),
]


@pytest.mark.parametrize(("url", "identity", "parent"), KNOWN, ids=[k[0][:60] for k in KNOWN])
def test_known_shapes(url, identity, parent):
    ref = identify(url)
    assert ref.identity == identity
    found = parent_of(url)
    assert (found.key if found else None) == parent
    assert identify(ref.url) == ref  # the canonical URL names the same item


def test_every_platform_is_registered():
    assert {"facebook", "instagram", "tiktok", "telegram", "whatsapp", "generic"} <= set(platforms())


def test_platform_override_reads_the_path():
    """A named platform reads a mirror's path as its own, and the mirror's host stays in the key:
    the same path on facebook.com is another item."""
    ref = identify("http://127.0.0.1:8765/groups/QuieroCruzar/", "facebook")
    assert ref.identity == ("facebook", "group", "quierocruzar@127.0.0.1:8765")
    assert ref.url == "http://127.0.0.1:8765/groups/QuieroCruzar/"
    assert identify("https://m.facebook.com/groups/QuieroCruzar/", "facebook").key == "quierocruzar"


# --- properties ---------------------------------------------------------------------------------

names = st.from_regex(r"\A[a-z][a-z0-9]{3,14}(\.[a-z0-9]{2,8})?\Z").filter(lambda n: n not in {"groups", "pages"})
ids = st.integers(min_value=10**5, max_value=10**16).map(str)
phones = st.integers(min_value=10**9, max_value=10**14).map(str)
codes = st.from_regex(r"\A[A-Za-z0-9_-]{11}\Z")
tracking = st.dictionaries(
    st.sampled_from(["fbclid", "utm_source", "utm_medium", "__tn__", "ref", "mibextid", "igsh", "is_from_webapp",
                     "sender_device", "refid", "_rdr", "locale", "hl"]),
    st.from_regex(r"\A[A-Za-z0-9_.-]{1,12}\Z"), max_size=3,
)
FB_HOSTS = ["www.facebook.com", "facebook.com", "m.facebook.com", "mbasic.facebook.com", "web.facebook.com",
            "touch.facebook.com", "business.facebook.com"]


def with_params(url: str, params: dict[str, str]) -> str:
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(params)


@st.composite
def item_urls(draw):
    """A platform URL written the way people paste it: any host variant, case, slash and tracking."""
    shape = draw(st.sampled_from([
        "fb_page", "fb_id", "fb_profile", "fb_group", "fb_group_post", "fb_page_post", "fb_story", "fb_video",
        "fb_photo", "fb_listing", "fb_reel", "ig_profile", "ig_post", "ig_reel", "tt_profile", "tt_video",
        "tg_channel", "tg_message", "tg_invite", "wa_number", "wa_send", "wa_invite", "wa_catalog",
    ]))
    name, num, num2, code, phone = draw(names), draw(ids), draw(ids), draw(codes), draw(phones)
    fb = draw(st.sampled_from(FB_HOSTS))
    name_cased = "".join(c.upper() if draw(st.booleans()) else c for c in name)
    slash = draw(st.sampled_from(["", "/"]))
    url = {
        "fb_page": f"https://{fb}/{name_cased}{slash}",
        "fb_id": f"https://{fb}/{num}{slash}",
        "fb_profile": f"https://{fb}/profile.php?id={num}",
        "fb_group": f"https://{fb}/groups/{name_cased}{slash}",
        "fb_group_post": f"https://{fb}/groups/{num}/permalink/{num2}{slash}",
        "fb_page_post": f"https://{fb}/{name_cased}/posts/{num2}{slash}",
        "fb_story": f"https://{fb}/story.php?story_fbid={num2}&id={num}",
        "fb_video": f"https://{fb}/watch/?v={num}",
        "fb_photo": f"https://{fb}/photo.php?fbid={num}",
        "fb_listing": f"https://{fb}/marketplace/item/{num}{slash}",
        "fb_reel": f"https://{fb}/reel/{num}{slash}",
        "ig_profile": f"https://{draw(st.sampled_from(['www.', '', 'm.']))}instagram.com/{name_cased}{slash}",
        "ig_post": f"https://www.instagram.com/p/{code}{slash}",
        "ig_reel": f"https://instagram.com/{draw(st.sampled_from(['reel', 'reels', 'tv']))}/{code}{slash}",
        "tt_profile": f"https://{draw(st.sampled_from(['www.', '', 'm.']))}tiktok.com/@{name_cased}{slash}",
        "tt_video": f"https://www.tiktok.com/@{name_cased}/video/{num}{slash}",
        "tg_channel": f"https://{draw(st.sampled_from(['t.me', 'telegram.me', 't.me/s']))}/{name_cased.replace('.', '_')}",
        "tg_message": f"https://t.me/{draw(st.sampled_from(['', 's/']))}{name_cased.replace('.', '_')}/{num}",
        "tg_invite": f"https://t.me/{draw(st.sampled_from(['joinchat/', '+']))}{code}",
        "wa_number": f"https://wa.me/{phone}",
        "wa_send": f"https://api.whatsapp.com/send?phone={phone}",
        "wa_invite": f"https://chat.whatsapp.com/{code.replace('-', 'a').replace('_', 'b')}",
        "wa_catalog": f"https://wa.me/c/{phone}",
    }[shape]
    return (draw(st.sampled_from(["", "http://"])) and url.replace("https://", "http://")) or url


@given(item_urls(), tracking)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_canonicalisation_is_idempotent(url, params):
    ref = identify(with_params(url, params))
    assert ref.platform != "generic", url
    assert identify(ref.url) == ref
    parent = parent_of(url)
    if parent is not None:
        assert identify(parent.url) == parent


@given(item_urls(), tracking)
@settings(max_examples=150)
def test_host_variants_and_tracking_params_give_the_same_identity(url, params):
    plain = identify(url)
    assert identify(with_params(url, params)).identity == plain.identity
    for old, new in (("://www.facebook.com/", "://m.facebook.com/"), ("://www.facebook.com/", "://mbasic.facebook.com/"),
                     ("://m.facebook.com/", "://web.facebook.com/"), ("://t.me/", "://telegram.me/"),
                     ("://www.instagram.com/", "://instagram.com/"), ("://www.tiktok.com/", "://m.tiktok.com/")):
        if old in url:
            assert identify(url.replace(old, new)).identity == plain.identity
    wrapped = "https://l.facebook.com/l.php?" + urlencode({"u": url, "h": "AT0xyz"})
    assert identify(wrapped).identity == plain.identity


@given(st.text(max_size=200))
@example("http://[")
@example("https://a:99999/x")
@example("https://l.facebook.com/l.php?u=https://l.facebook.com/l.php?u=")
@example("https://www.facebook.com/%2e%2e/")
@settings(max_examples=500)
def test_never_crashes_on_arbitrary_text(text):
    ref = identify(text)
    assert ref.key
    parent_of(text)
    for platform in ("facebook", "instagram", "tiktok", "telegram", "whatsapp"):
        assert identify(text, platform).platform == platform
        parent_of(text, platform)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60), item_urls())
@settings(max_examples=200)
def test_arbitrary_paths_under_platform_hosts_are_stable(junk, url):
    host_root = url.split("/", 3)[:3]
    ref = identify("/".join(host_root) + "/" + quote(junk))
    assert identify(ref.url).identity == ref.identity
