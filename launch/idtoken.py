"""id_token validation (OIDC Core 3.1.3.7) and safe `fhirUser` resolution.

smart.md items 42-45: the signature is checked against the tenant-pinned `jwks_uri` from
discovery (never a key the token names or embeds), with an explicit algorithm list that never
holds `none`; `iss`, `aud`, `exp`, `iat` and `nonce` are checked; an unknown `kid` refetches the
JWKS once. `fhirUser` may be relative to `aud` or absolute under the FHIR base, nothing else.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from launch.discovery import SmartConfiguration
from launch.errors import LaunchError, OAuthHttpError
from launch.http import OAuthHttp
from launch.tenant_model import Tenant

log = logging.getLogger("launch.idtoken")

# SMART 2.2: servers SHALL sign with RS256; RS384 and ES384 are accepted too. Never `none`.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "ES384")
LEEWAY = timedelta(seconds=60)
FHIR_USER_TYPES = ("Practitioner", "Patient", "RelatedPerson", "Person", "PractitionerRole")
_REFERENCE = re.compile(r"^(?:%s)/[A-Za-z0-9\-.]{1,64}$" % "|".join(FHIR_USER_TYPES))  # noqa: UP031


class JwksCache:
    """JWKS per `jwks_uri`, kept for `ttl`; one per app (threads share it)."""

    def __init__(self, *, ttl: timedelta = timedelta(hours=1)) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._sets: dict[str, tuple[datetime, KeySet]] = {}

    def get(
        self, http: OAuthHttp, jwks_uri: str, *, now: datetime, refresh: bool = False
    ) -> KeySet:
        """The key set at `jwks_uri`, fetched when missing, stale or `refresh` is asked."""
        with self._lock:
            held = self._sets.get(jwks_uri)
            if held is not None and not refresh and held[0] <= now < held[0] + self._ttl:
                return held[1]
        keys = fetch_jwks(http, jwks_uri)
        with self._lock:
            self._sets[jwks_uri] = (now, keys)
        return keys


def fetch_jwks(http: OAuthHttp, jwks_uri: str) -> KeySet:
    """Fetch and parse a public JWKS; keys that do not parse are skipped."""
    try:
        body = http.get_json(jwks_uri).body or {}
    except OAuthHttpError as exc:
        raise LaunchError(
            "id_token_invalid", "the EHR's signing keys could not be fetched"
        ) from exc
    raw = body.get("keys")
    usable = []
    for entry in raw if isinstance(raw, list) else ():
        if not isinstance(entry, dict) or any(m in entry for m in ("d", "k")):
            continue  # never accept a private or symmetric key from the network
        try:
            usable.append(KeySet.import_key_set({"keys": [entry]}).keys[0])
        except (JoseError, ValueError, TypeError, KeyError):
            continue
    return KeySet(usable)


def _header(token: str) -> Mapping[str, object]:
    try:
        segment = token.split(".")[0]
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError) as exc:
        raise LaunchError("id_token_invalid", "the id_token is not a JWT") from exc
    if not isinstance(value, dict):
        raise LaunchError("id_token_invalid", "the id_token is not a JWT")
    return value


def validate_id_token(
    id_token: str,
    *,
    tenant: Tenant,
    smart: SmartConfiguration,
    nonce: str,
    http: OAuthHttp,
    now: datetime,
    jwks: JwksCache | None = None,
) -> Mapping[str, object]:
    """The verified claims of an id_token; LaunchError("id_token_invalid") otherwise."""
    header = _header(id_token)
    alg = header.get("alg")
    if alg not in ID_TOKEN_ALGORITHMS:
        raise LaunchError(
            "id_token_invalid", "the id_token is not signed with an accepted algorithm"
        )
    if "jwk" in header or "jku" in header or "x5u" in header:
        log.info(
            "id_token header names its own key for tenant %s; ignored (keys are pinned)",
            tenant.name,
        )
    if smart.jwks_uri is None:
        raise LaunchError("id_token_invalid", "the EHR publishes no jwks_uri to check the id_token")
    cache = jwks or JwksCache()
    keys = cache.get(http, smart.jwks_uri, now=now)
    kid = header.get("kid")
    if isinstance(kid, str) and all(k.kid != kid for k in keys.keys):
        keys = cache.get(http, smart.jwks_uri, now=now, refresh=True)  # rotation: refetch once
    claims = _verified_claims(
        id_token, keys, kid=kid if isinstance(kid, str) else None, alg=str(alg)
    )
    _check_claims(claims, tenant=tenant, smart=smart, nonce=nonce, now=now)
    return claims


def _verified_claims(token: str, keys: KeySet, *, kid: str | None, alg: str) -> dict[str, object]:
    """Verify with the key named by `kid`; without a kid, with each key of the right type
    (OIDC Core 10.1: the kid MAY be left out when the choice is unambiguous)."""
    if kid is not None:
        candidates: list[KeySet] = [keys]
    else:
        kty = "RSA" if alg.startswith("RS") else "EC"
        candidates = [KeySet([k]) for k in keys.keys if k.key_type == kty]
    for candidate in candidates:
        try:
            return dict(jwt.decode(token, candidate, algorithms=list(ID_TOKEN_ALGORITHMS)).claims)
        except (JoseError, ValueError):
            continue
    raise LaunchError("id_token_invalid", "the id_token signature does not verify")


def _check_claims(
    claims: Mapping[str, object],
    *,
    tenant: Tenant,
    smart: SmartConfiguration,
    nonce: str,
    now: datetime,
) -> None:
    expected_iss = smart.issuer or tenant.iss
    if claims.get("iss") != expected_iss:
        raise LaunchError("id_token_invalid", "the id_token comes from another issuer")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if tenant.client_id not in audiences:
        raise LaunchError("id_token_invalid", "the id_token is not meant for this app")
    if len(audiences) > 1 and claims.get("azp") != tenant.client_id:
        raise LaunchError("id_token_invalid", "the id_token's authorized party is not this app")
    stamp = now.timestamp()
    exp, iat = claims.get("exp"), claims.get("iat")
    if (
        isinstance(exp, bool)
        or not isinstance(exp, (int, float))
        or stamp > exp + LEEWAY.total_seconds()
    ):
        raise LaunchError("id_token_invalid", "the id_token has expired")
    if (
        isinstance(iat, bool)
        or not isinstance(iat, (int, float))
        or iat > stamp + LEEWAY.total_seconds()
    ):
        raise LaunchError("id_token_invalid", "the id_token was issued in the future")
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise LaunchError("id_token_invalid", "the id_token does not belong to this launch (nonce)")
    if not isinstance(claims.get("sub"), str):
        raise LaunchError("id_token_invalid", "the id_token names no subject")


def resolve_fhir_user(value: object, *, iss: str) -> str | None:
    """`fhirUser` as a relative reference ("Practitioner/123"), or None when it is not safe.

    Relative values resolve against `aud` (the iss); an absolute value is accepted only under
    the tenant's FHIR base (SMART 2.2: never follow a reference elsewhere with the token).
    """
    if not isinstance(value, str):
        return None
    prefix = iss.rstrip("/") + "/"
    relative = value[len(prefix) :] if value.startswith(prefix) else value
    if "://" in relative or not _REFERENCE.match(relative):
        log.warning("fhirUser is not a reference under this EHR's FHIR base; ignored")
        return None
    return relative
