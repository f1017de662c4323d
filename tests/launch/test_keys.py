"""The key file: generate, rotate, prune; the public JWKS never holds a private member."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from launch.errors import KeyStoreError
from launch.keys import PRIVATE_MEMBERS, KeyStore, cli, generate, prune, rotate


def members(jwks: dict[str, object]) -> set[str]:
    keys = jwks["keys"]
    assert isinstance(keys, list)
    return {name for key in keys for name in key}


def test_the_public_jwks_has_no_private_member(keys: KeyStore) -> None:
    # smart.md 30
    jwks = keys.public_jwks()
    assert not members(jwks) & PRIVATE_MEMBERS
    assert not members(jwks) & {"d", "p", "q", "dp", "dq", "qi"}
    published = {(k["alg"], k["kty"]) for k in jwks["keys"]}  # type: ignore[attr-defined]
    assert published == {("RS384", "RSA"), ("ES384", "EC")}
    assert all(k["kid"] and k["use"] == "sig" for k in jwks["keys"])  # type: ignore[attr-defined]


def test_generate_writes_an_owner_only_file_and_refuses_to_overwrite(
    tmp_path: Path, keys: KeyStore
) -> None:
    # smart.md 68
    path = tmp_path / "keys.json"
    keys.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(KeyStoreError, match="exists"):
        generate(path)
    loaded = KeyStore.load(path)
    assert [k.kid for k in loaded.keys] == [k.kid for k in keys.keys]
    assert loaded.signing_key("ES384").kid == keys.signing_key("ES384").kid


def test_rotate_keeps_the_previous_public_key_published_until_pruned(key_file: Path) -> None:
    # smart.md 30: publish the next key before the old one goes.
    before = KeyStore.load(key_file)
    old_kids = {k.kid for k in before.keys}
    rotated = rotate(key_file)
    new_current = {rotated.signing_key(alg).kid for alg in ("RS384", "ES384")}
    assert not new_current & old_kids
    published = {k["kid"] for k in rotated.public_jwks()["keys"]}  # type: ignore[attr-defined]
    assert published == new_current | old_kids
    twice = rotate(key_file)  # the oldest generation goes on the next rotation
    assert not {k.kid for k in twice.keys} & old_kids
    pruned = prune(key_file)
    assert {k.kid for k in pruned.keys} == {pruned.signing_key(a).kid for a in ("RS384", "ES384")}
    assert KeyStore.load(key_file).public_jwks() == pruned.public_jwks()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "readable JSON"),
        ('{"version": 1}', "not a FunctionFirst key file"),
        ('{"version": 1, "keys": [{"alg": "HS256", "jwk": {}}]}', "malformed"),
        ('{"version": 1, "keys": []}', "exactly one current"),
    ],
)
def test_a_bad_key_file_is_a_clear_error(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content)
    with pytest.raises(KeyStoreError, match=reason):
        KeyStore.load(path)


def test_a_public_only_key_in_the_file_is_refused(tmp_path: Path, keys: KeyStore) -> None:
    path = tmp_path / "keys.json"
    keys.save(path)
    data = json.loads(path.read_text())
    data["keys"][0]["jwk"] = {
        k: v for k, v in data["keys"][0]["jwk"].items() if k not in PRIVATE_MEMBERS
    }
    path.write_text(json.dumps(data))
    with pytest.raises(KeyStoreError, match="no private part"):
        KeyStore.load(path)


def test_a_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="keys generate"):
        KeyStore.load(tmp_path / "none.json")


def test_the_cli_generates_rotates_and_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "k.json"
    assert cli(["generate", "--file", str(path)]) == 0
    assert cli(["generate"], default_path=str(path)) == 1  # exists
    assert cli(["rotate"], default_path=str(path)) == 0
    assert cli(["show", "--file", str(path)]) == 0
    out = capsys.readouterr()
    assert out.out.count("current") >= 6
    assert "retired" in out.out
    assert "exists" in out.err
    assert '"d"' not in out.out
    assert cli(["show"]) == 2
