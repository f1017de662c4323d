"""Encryption at rest for tokens and launch secrets, and hashing of lookup keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class DecryptError(Exception):
    """A stored value could not be decrypted (wrong key or tampered row)."""


def _derive(secret_key: str, purpose: bytes) -> bytes:
    # HKDF (RFC 5869) turns the one configured secret into independent keys per purpose.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret_key.encode("utf-8")
    )


class Cipher:
    """Fernet (AES-128-CBC + HMAC-SHA256) keyed from FUNCTIONFIRST_SECRET_KEY."""

    __slots__ = ("_fernet", "_mac_key")

    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"functionfirst store")))
        self._mac_key = _derive(secret_key, b"functionfirst lookup")

    def seal(self, payload: dict[str, object]) -> bytes:
        """Encrypt a JSON-able mapping."""
        return self._fernet.encrypt(json.dumps(payload, separators=(",", ":")).encode("utf-8"))

    def open(self, sealed: bytes) -> dict[str, object]:
        """Decrypt what `seal` made; raises DecryptError when the key or the data is wrong."""
        try:
            data = json.loads(self._fernet.decrypt(bytes(sealed)))
        except InvalidToken:
            raise DecryptError(
                "stored value does not decrypt with the configured secret key"
            ) from None
        if not isinstance(data, dict):
            raise DecryptError("stored value is not a mapping")
        return data

    def lookup_hash(self, value: str) -> str:
        """A keyed hash for storing a secret lookup key (session id, state) without the value."""
        return hmac.new(self._mac_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def sign(self, *parts: str) -> str:
        """An HMAC over `parts` (used for CSRF tokens bound to session and launch)."""
        message = "\x1f".join(parts).encode("utf-8")
        digest = hmac.new(self._mac_key, b"sign\x1f" + message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
