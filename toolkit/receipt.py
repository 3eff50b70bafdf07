"""Receipts: the head of a case's custody log, kept outside the case, optionally signed.

A receipt anchors the log: whoever holds one can tell whether the case they are given is the one
the receipt was made for, or a later state of it (its log extends the receipt's head), whatever
was done to the case in between; a log edited and then recomputed from scratch no longer contains
the receipt's head. Signed with the researcher's Ed25519 key (`toolkit key new`), a receipt also
says who vouched for that head: it cannot be forged without the private key.

    {"format": "toolkit-receipt-1", "case": ..., "events": N, "head": ..., "made_at": ...,
     "toolkit": ..., "signature": {"alg": "ed25519", "public_key": <base64>, "value": <base64>}}

The signature covers the receipt without its `signature` member, as canonical JSON (sorted keys).
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import orjson

from toolkit.atomic_write import write_whole
from toolkit.errors import InputError

FORMAT = "toolkit-receipt-1"
MAX_BYTES = 64 << 10  # a receipt is a few hundred bytes; anything much larger is not one


def _crypto():
    # Imported only when a key is used: most commands never sign anything.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    return InvalidSignature, serialization, ed25519


def new_key(path: Path) -> tuple[Path, str]:
    """Write a new Ed25519 private key to `path` (PEM, readable by its owner only) and its public key
    to `path`.pub; return (public key path, fingerprint). Refuses to overwrite either file."""
    _, serialization, ed25519 = _crypto()
    public_path = path.with_name(path.name + ".pub")
    for target in (path, public_path):
        if target.exists():
            raise InputError(str(target), "already exists", "Choose another name; a key is never overwritten")
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    public_path.write_bytes(public)
    return public_path, fingerprint(_raw_public(key.public_key()))


def _raw_public(public) -> bytes:
    _, serialization, _ = _crypto()
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(raw_public: bytes) -> str:
    """A short name for a public key: the first 16 hex digits of the sha256 of its raw bytes."""
    return hashlib.sha256(raw_public).hexdigest()[:16]


def _load(path: Path, private: bool):
    _, serialization, ed25519 = _crypto()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read the key ({exc.__class__.__name__})", "Check the path") from exc
    try:
        key = (serialization.load_pem_private_key(data, password=None) if private
               else serialization.load_pem_public_key(data))
    except (ValueError, TypeError) as exc:
        what = "private" if private else "public"
        raise InputError(str(path), f"not a {what} key toolkit can read",
                         f"Give the {what} key file `toolkit key new` wrote"
                         + ("" if private else " (the .pub file)")) from exc
    wanted = ed25519.Ed25519PrivateKey if private else ed25519.Ed25519PublicKey
    if not isinstance(key, wanted):
        raise InputError(str(path), "not an Ed25519 key", "Make one with: toolkit key new FILE")
    return key


def _body(receipt: dict[str, Any]) -> bytes:
    return orjson.dumps({k: v for k, v in receipt.items() if k != "signature"}, option=orjson.OPT_SORT_KEYS)


def make(case: str, events: int, head: str, made_at: str, version: str, key_path: Path | None = None) -> dict[str, Any]:
    """A receipt for this head, signed with the private key at `key_path` when given."""
    receipt: dict[str, Any] = {"format": FORMAT, "case": case, "events": events, "head": head, "made_at": made_at,
                               "toolkit": version}
    if key_path is not None:
        key = _load(key_path, private=True)
        receipt["signature"] = {"alg": "ed25519",
                                "public_key": base64.b64encode(_raw_public(key.public_key())).decode(),
                                "value": base64.b64encode(key.sign(_body(receipt))).decode()}
    return receipt


def dumps(receipt: dict[str, Any]) -> bytes:
    return orjson.dumps(receipt, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def write(path: Path, receipt: dict[str, Any]) -> None:
    """Write a receipt file (through a temporary file and a rename: never half a receipt)."""
    write_whole(path, dumps(receipt))


def parse(data: bytes, where: str) -> dict[str, Any]:
    """A receipt read from bytes; InputError when it is not one."""
    try:
        receipt = orjson.loads(data) if len(data) <= MAX_BYTES else None
    except orjson.JSONDecodeError:
        receipt = None
    if (not isinstance(receipt, dict) or receipt.get("format") != FORMAT or not isinstance(receipt.get("head"), str)
            or not isinstance(receipt.get("events"), int) or isinstance(receipt.get("events"), bool)):
        raise InputError(where, "not a toolkit receipt", "Give a receipt written by toolkit verify or export")
    return receipt


def load(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(str(path), f"cannot read the receipt ({exc.__class__.__name__})", "Check the path") from exc
    return parse(data, str(path))


def check_signature(receipt: dict[str, Any], public_key_path: Path | None) -> tuple[str | None, str | None]:
    """(fingerprint of the key that signed it, or None when unsigned; problem, or None).

    With `public_key_path`, the receipt must be signed by that key. Without it, a signature is
    checked against the public key the receipt carries (which proves nothing about who signed:
    anyone can sign with a key of their own; give the key you expect)."""
    invalid, _, ed25519 = _crypto()
    signature = receipt.get("signature")
    if not signature:
        return None, ("the receipt is not signed" if public_key_path is not None else None)
    try:
        raw = base64.b64decode(signature["public_key"], validate=True)
        value = base64.b64decode(signature["value"], validate=True)
        carried = ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except (KeyError, TypeError, ValueError):
        return None, "the receipt's signature cannot be read"
    found = fingerprint(raw)
    if public_key_path is not None:
        expected = _load(public_key_path, private=False)
        if _raw_public(expected) != raw:
            return found, (f"the receipt is signed by key {found}, not by the key given"
                           f" ({fingerprint(_raw_public(expected))})")
    try:
        carried.verify(value, _body(receipt))
    except invalid:
        return found, "the receipt's signature does not match its content (the receipt was altered)"
    return found, None
