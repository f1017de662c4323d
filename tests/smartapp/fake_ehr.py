"""A fake EHR on the wire (responses) for the app's launch tests: discovery, token, JWKS."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import responses
from joserfc import jwt
from joserfc.jwk import RSAKey

APP = "https://app.example"
ISS = "https://ehr.example/fhir"
ISS_B = "https://other-ehr.example/r4"
EHR_ORIGIN = "https://ehr.example"
GRANTED = (
    "launch openid fhirUser patient/Patient.r patient/Goal.crus patient/CarePlan.rs offline_access"
)


# Granular scopes, one per LOINC code: a realistic way for a tenant's scopes to pass the ~2 kB a
# URL safely carries (smart.md 19).
GRANULAR_SCOPES = tuple(
    f"patient/Observation.rs?code=http://loinc.org|{code}-{code % 10}"
    for code in range(10000, 10040)
)


def tenants_toml(extra: str = "") -> str:
    """Two EHR registrations: a public client and a client_secret_basic one."""
    return f"""
[[tenant]]
name = "ehr"
iss = "{ISS}"
client_id = "functionfirst"
client_auth = "public"
standalone = true
frame_ancestors = ["{EHR_ORIGIN}"]
scopes = "openid fhirUser patient/Patient.r patient/Goal.crus patient/CarePlan.rs offline_access"

[[tenant]]
name = "other"
iss = "{ISS_B}"
client_id = "ff-other"
client_auth = "client_secret_basic"
client_secret_env = "OTHER_SECRET"
frame_ancestors = ["https://other-ehr.example"]
{extra}"""


def write_tenants(directory: Path, extra: str = "") -> Path:
    """Write the tenants file and return its path."""
    path = directory / "tenants.toml"
    path.write_text(tenants_toml(extra), encoding="utf-8")
    return path


@dataclass
class FakeEhr:
    """One EHR: endpoints under its iss host; signs id_tokens; issues and refreshes tokens."""

    key: RSAKey
    iss: str = ISS
    client_id: str = "functionfirst"
    patient: str = "pat-1"
    expires_in: int = 600
    patient_name: str | None = None  # a name text to serve instead of "Pat <ID>"
    fhir_user: str = "Practitioner/prac-1"  # the id_token's fhirUser
    issued: list[dict[str, object]] = field(default_factory=list)
    secrets_seen: list[str] = field(default_factory=list)
    token_calls: int = 0
    authorize_post: bool = False  # advertise SMART 2.2 `authorize-post`

    @property
    def host(self) -> str:
        parts = urlsplit(self.iss)
        return f"{parts.scheme}://{parts.netloc}"

    def smart_configuration(self) -> dict[str, object]:
        return {
            "issuer": self.iss,
            "authorization_endpoint": f"{self.host}/auth/authorize",
            "token_endpoint": f"{self.host}/auth/token",
            "jwks_uri": f"{self.host}/auth/jwks",
            "capabilities": [
                "launch-ehr",
                "launch-standalone",
                "permission-v2",
                "sso-openid-connect",
                "client-public",
                "client-confidential-symmetric",
                "client-confidential-asymmetric",
                *(["authorize-post"] if self.authorize_post else []),
            ],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
        }

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.iss,
            "sub": "user-1",
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "fhirUser": self.fhir_user,
        }
        token = jwt.encode({"alg": "RS256", "kid": "ehr-1", "typ": "JWT"}, claims, self.key)
        self.secrets_seen.append(token)
        return token

    def jwks(self) -> dict[str, object]:
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "kid": "ehr-1", "alg": "RS256", "use": "sig"}]}

    def token(self, request: responses.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.token_calls += 1
        form = {k: v[0] for k, v in parse_qs(str(request.body or "")).items()}
        self.secrets_seen.extend(
            v
            for k, v in form.items()
            if k in ("code", "code_verifier", "refresh_token", "client_assertion")
        )
        access, refresh = "at-" + secrets.token_hex(16), "rt-" + secrets.token_hex(16)
        self.secrets_seen.extend((access, refresh))
        body: dict[str, object] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": GRANTED,
            "refresh_token": refresh,
            "patient": self.patient,
            "need_patient_banner": True,
        }
        if form.get("grant_type") == "authorization_code":
            nonce = self.pending_nonce(form)
            if nonce:
                body["id_token"] = self.id_token(nonce)
        self.issued.append(body)
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def answer_tokens_with(self, wire: responses.RequestsMock, **changes: object) -> None:
        """From now on each token answer carries `changes` over what this EHR would say."""

        def changed(request: responses.PreparedRequest) -> tuple[int, dict[str, str], str]:
            status, headers, body = self.token(request)
            return status, headers, json.dumps({**json.loads(body), **changes})

        wire.remove(responses.POST, f"{self.host}/auth/token")
        wire.add_callback(responses.POST, f"{self.host}/auth/token", callback=changed)

    nonces: dict[str, str] = field(default_factory=dict)  # code -> nonce

    def pending_nonce(self, form: dict[str, str]) -> str | None:
        return self.nonces.get(form.get("code", ""))

    def install(self, wire: responses.RequestsMock) -> None:
        wire.add_callback(  # read at each request: a test may change what is advertised
            responses.GET,
            f"{self.iss}/.well-known/smart-configuration",
            callback=lambda _request: (200, {}, json.dumps(self.smart_configuration())),
        )
        wire.add(responses.GET, f"{self.host}/auth/jwks", json=self.jwks())
        wire.add_callback(responses.POST, f"{self.host}/auth/token", callback=self.token)
        wire.add_callback(
            responses.GET,
            re.compile(re.escape(self.iss) + r"/Patient/[^/?]+$"),
            callback=self.patient_read,
        )

    def patient_read(self, request: responses.PreparedRequest) -> tuple[int, dict[str, str], str]:
        """Patient/<id>: a name per id; only a token this EHR issued is accepted."""
        token = str(request.headers.get("Authorization", "")).removeprefix("Bearer ")
        if token not in {str(body["access_token"]) for body in self.issued}:
            return 401, {}, ""
        pid = str(request.url).rsplit("/", 1)[1]
        name = {"given": ["Pat"], "family": pid.upper()}
        if self.patient_name:
            name = {"text": self.patient_name}
        body = {"resourceType": "Patient", "id": pid, "name": [name]}
        return 200, {"Content-Type": "application/fhir+json"}, json.dumps(body)

    def authorize(self, url: str) -> str:
        """Play the EHR's authorize step: check the request, return the callback URL with a code."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{self.host}/auth/authorize"
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["aud"] == self.iss
        assert query["code_challenge_method"] == "S256"
        code = "code-" + secrets.token_hex(16)
        self.nonces[code] = query["nonce"]
        self.secrets_seen.extend((code, query["state"], query["nonce"]))
        return f"/callback?code={code}&state={query['state']}"
