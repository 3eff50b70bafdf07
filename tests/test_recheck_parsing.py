"""Property tests for the small parsers of rechecking: body decoding, Retry-After, capped bodies."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.platforms.page_encoding import decode_page
from toolkit.recheck.fetch import BodyLimit, CappedBody, host_key, reason_for, retry_after

CONTENT_TYPES = st.sampled_from([None, "text/html", "text/html; charset=utf-8", "text/html; charset=iso-8859-1",
                                 "text/html; charset=x-klingon", "text/html; charset=\"windows-1252\""])


@given(st.binary(max_size=2000), CONTENT_TYPES)
def test_decode_never_fails(body, content_type):
    text, note = decode_page(body, content_type)
    assert isinstance(text, str)
    assert note is None or isinstance(note, str)


@given(st.text(max_size=400))
def test_decode_reads_utf8_as_declared(text):
    assert decode_page(text.encode("utf-8"), "text/html; charset=utf-8") == (text, None)


def test_decode_falls_back_for_wrong_and_unknown_charsets():
    body = "Este contenido no está disponible".encode("cp1252")
    assert decode_page(body, "text/html; charset=utf-8") == (
        "Este contenido no está disponible", "charset utf-8 does not fit the body, read as windows-1252")
    text, note = decode_page(b'<meta charset="iso-8859-1">' + "Tránsito".encode("latin-1"), "text/html; charset=x-klingon")
    assert text.endswith("Tránsito") and note == "unknown charset x-klingon"


@given(st.text(max_size=60))
def test_retry_after_never_fails(value):
    seconds = retry_after(value)
    assert seconds is None or seconds >= 0


def test_retry_after_forms():
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: no wait
    assert retry_after("soon") is None and retry_after(None) is None


@given(st.binary(max_size=5000), st.integers(min_value=1, max_value=3000), st.sampled_from(["", "gzip", "deflate"]))
def test_capped_body_never_exceeds_the_cap(data, cap, encoding):
    wire = gzip.compress(data) if encoding == "gzip" else zlib.compress(data) if encoding == "deflate" else data
    body = CappedBody(encoding, cap)
    try:
        for start in range(0, len(wire), 97):
            body.feed(wire[start:start + 97])
        value = body.value()
    except BodyLimit as exc:
        assert len(data) > cap and exc.reason in {"body-too-large", "decompression-bomb"}
        assert sum(len(p) for p in body.parts) <= cap
    else:
        assert value == data


def test_gzip_bomb_is_named_and_garbage_is_bad_encoding():
    bomb = gzip.compress(b"\0" * 5_000_000)
    body = CappedBody("gzip", 100_000)
    with pytest.raises(BodyLimit, match="decompression-bomb"):
        body.feed(bomb)
    with pytest.raises(BodyLimit, match="bad-encoding"):
        CappedBody("gzip", 100).feed(b"not gzip at all")
    with pytest.raises(BodyLimit, match="bad-encoding"):
        CappedBody("br", 100)


def test_host_keys_and_reason_codes():
    import httpx

    assert host_key("https://WWW.Facebook.com/x") == "www.facebook.com"
    assert host_key("http://127.0.0.1:8001/x") == "127.0.0.1:8001"
    assert reason_for(httpx.ConnectTimeout("x")) == "connect-timeout"
    assert reason_for(httpx.ReadError("[Errno 104] Connection reset by peer")) == "reset"
    assert reason_for(httpx.RemoteProtocolError("Server disconnected without sending a response.")) == "reset"
    assert reason_for(httpx.ConnectError("[Errno -2] Name or service not known")) == "dns-error"
