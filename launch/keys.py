"""The app's signing keys: a JSON key file with RS384 and ES384 private JWKs, each with a `kid`.

SMART 2.2 client-confidential-asymmetric: clients SHALL support RS384 and ES384 and publish
their public keys as a JWKS; rotation publishes the next key before the old one goes
(smart.md items 29-30, 68). The key file is written with mode 0600.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from joserfc.jwk import ECKey, KeyParameters, RSAKey

from launch.errors import KeyStoreError

ALGORITHMS = ("RS384", "ES384")
# RFC 7517 / 7518: members that belong to a private key only.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_FILE_VERSION = 1

PrivateKey = RSAKey | ECKey


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredKey:
    """One key of the file: `current` signs; a retired key stays published until pruned."""

    kid: str
    alg: str
    created: str
    current: bool
    key: PrivateKey


def _new_key(alg: str, now: datetime) -> StoredKey:
    params: KeyParameters = {"alg": alg, "use": "sig"}
    key: PrivateKey = (
        RSAKey.generate_key(2048, parameters=params)
        if alg == "RS384"
        else ECKey.generate_key("P-384", parameters=params)
    )
    kid = key.thumbprint()  # RFC 7638: the kid names the key material itself
    key = type(key).import_key({**key.as_dict(private=True), "kid": kid})
    return StoredKey(
        kid=kid, alg=alg, created=now.isoformat(timespec="seconds"), current=True, key=key
    )


class KeyStore:
    """The loaded key file."""

    def __init__(self, keys: tuple[StoredKey, ...]) -> None:
        self.keys = keys

    @classmethod
    def load(cls, path: Path) -> KeyStore:
        """Read a key file; KeyStoreError names what is wrong (never the key material)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise KeyStoreError(
                f"key file {path} does not exist; run `functionfirst keys generate`"
            ) from exc
        except (OSError, ValueError) as exc:
            raise KeyStoreError(f"key file {path} is not readable JSON") from exc
        if (
            not isinstance(data, dict)
            or data.get("version") != _FILE_VERSION
            or not isinstance(data.get("keys"), list)
        ):
            raise KeyStoreError(f"key file {path} is not a FunctionFirst key file")
        keys: list[StoredKey] = []
        for number, entry in enumerate(data["keys"], start=1):
            keys.append(_read_entry(path, number, entry))
        for alg in ALGORITHMS:
            if sum(1 for k in keys if k.alg == alg and k.current) != 1:
                raise KeyStoreError(f"key file {path} must hold exactly one current {alg} key")
        return cls(tuple(keys))

    def save(self, path: Path) -> None:
        """Write the file atomically with owner-only permissions."""
        data = {
            "version": _FILE_VERSION,
            "keys": [
                {
                    "kid": k.kid,
                    "alg": k.alg,
                    "created": k.created,
                    "current": k.current,
                    "jwk": k.key.as_dict(private=True),
                }
                for k in self.keys
            ],
        }
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.replace(tmp, path)

    def signing_key(self, alg: str = "RS384") -> StoredKey:
        """The current key for an algorithm (RS384 or ES384)."""
        for key in self.keys:
            if key.alg == alg and key.current:
                return key
        raise KeyStoreError(f"no current {alg} key")

    def key_for_kid(self, kid: str) -> StoredKey:
        """A key by its kid (a tenant may pin the kid it registered)."""
        for key in self.keys:
            if key.kid == kid:
                return key
        raise KeyStoreError("the configured kid is not in the key file")

    def public_jwks(self) -> dict[str, object]:
        """The public JWKS to publish: current and retired keys, never a private member."""
        published: list[dict[str, object]] = []
        for stored in self.keys:
            public = {
                k: v
                for k, v in stored.key.as_dict(private=False).items()
                if k not in PRIVATE_MEMBERS
            }
            published.append({**public, "kid": stored.kid, "alg": stored.alg, "use": "sig"})
        return {"keys": published}


def _read_entry(path: Path, number: int, entry: object) -> StoredKey:
    if (
        not isinstance(entry, dict)
        or entry.get("alg") not in ALGORITHMS
        or not isinstance(entry.get("jwk"), dict)
    ):
        raise KeyStoreError(f"key file {path}: key {number} is malformed")
    try:
        jwk = entry["jwk"]
        key: PrivateKey = (
            RSAKey.import_key(jwk) if entry["alg"] == "RS384" else ECKey.import_key(jwk)
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise KeyStoreError(f"key file {path}: key {number} is not a valid JWK") from exc
    if not key.is_private:
        raise KeyStoreError(f"key file {path}: key {number} has no private part")
    return StoredKey(
        kid=str(entry.get("kid") or key.thumbprint()),
        alg=str(entry["alg"]),
        created=str(entry.get("created", "")),
        current=bool(entry.get("current", False)),
        key=key,
    )


def generate(path: Path, *, force: bool = False, now: datetime | None = None) -> KeyStore:
    """Create a key file with one new RS384 and one new ES384 key."""
    path = Path(path)
    if path.exists() and not force:
        raise KeyStoreError(f"key file {path} exists; use `keys rotate` to replace its keys")
    now = now or datetime.now(UTC)
    store = KeyStore(tuple(_new_key(alg, now) for alg in ALGORITHMS))
    store.save(path)
    return store


def rotate(path: Path, *, now: datetime | None = None) -> KeyStore:
    """New current keys; the old current keys stay published (retired); older retired go."""
    old = KeyStore.load(path)
    now = now or datetime.now(UTC)
    retired = tuple(
        StoredKey(kid=k.kid, alg=k.alg, created=k.created, current=False, key=k.key)
        for k in old.keys
        if k.current
    )
    store = KeyStore(tuple(_new_key(alg, now) for alg in ALGORITHMS) + retired)
    store.save(path)
    return store


def prune(path: Path) -> KeyStore:
    """Remove retired keys once relying EHRs have picked up the new ones."""
    old = KeyStore.load(path)
    store = KeyStore(tuple(k for k in old.keys if k.current))
    store.save(path)
    return store


def cli(argv: list[str], *, default_path: str | None = None) -> int:
    """`keys generate [--force] | rotate | prune | show [--file PATH]`; returns an exit code."""
    parser = argparse.ArgumentParser(
        prog="functionfirst keys", description="Manage the app's signing keys."
    )
    parser.add_argument("action", choices=("generate", "rotate", "prune", "show"))
    parser.add_argument(
        "--file", default=default_path, help="key file (default: FUNCTIONFIRST_KEYS)"
    )
    parser.add_argument("--force", action="store_true", help="generate: overwrite an existing file")
    args = parser.parse_args(argv)
    if not args.file:
        print("error: no key file: pass --file or set FUNCTIONFIRST_KEYS", file=sys.stderr)
        return 2
    path = Path(args.file)
    try:
        if args.action == "generate":
            store = generate(path, force=args.force)
        elif args.action == "rotate":
            store = rotate(path)
        elif args.action == "prune":
            store = prune(path)
        else:
            store = KeyStore.load(path)
    except KeyStoreError as exc:
        print(f"error: {exc.description}", file=sys.stderr)
        return 1
    for key in store.keys:
        print(
            f"{key.alg} kid={key.kid} {'current' if key.current else 'retired'}"
            f" created={key.created}"
        )
    return 0
