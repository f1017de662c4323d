"""The one door for OAuth HTTP: discovery, JWKS and token calls go through `OAuthHttp`.

Every call has explicit connect/read timeouts, TLS verification, no redirects and a bound on the
response size (smart.md item 11; OWASP SSRF guidance). Errors come back typed. Nothing here logs
a body, a header value or a query string: only method, host, path, status and time.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import requests

from launch.errors import OAuthHttpError

log = logging.getLogger("launch.http")

JsonObject = Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonResponse:
    """Status and parsed JSON object (None when the body was empty or not a JSON object)."""

    status: int
    body: JsonObject | None


class OAuthHttp:
    """A small HTTP client with the project's safety settings; one per app, shared by threads."""

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_bytes: int = 1_048_576,
        verify: bool | str = True,
    ) -> None:
        self._session = session or requests.Session()
        # Proxies and .netrc from the environment must not add credentials to OAuth calls.
        self._session.trust_env = False
        self._timeout = (connect_timeout, read_timeout)
        self._max_bytes = max_bytes
        self._verify = verify

    def get_json(self, url: str, *, accept: str = "application/json") -> JsonResponse:
        """GET a JSON document; a non-2xx status raises OAuthHttpError with `status`."""
        response = self._send("GET", url, headers={"Accept": accept})
        if not 200 <= response.status < 300:
            raise OAuthHttpError(
                "http_status", f"{_where(url)} answered {response.status}", status=response.status
            )
        if response.body is None:
            raise OAuthHttpError(
                "invalid_json",
                f"{_where(url)} did not answer with a JSON object",
                status=response.status,
            )
        return response

    def post_form(
        self, url: str, data: Mapping[str, str], *, basic_auth: tuple[str, str] | None = None
    ) -> JsonResponse:
        """POST a form; returns any status with its JSON so the caller reads OAuth errors."""
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        auth = None
        if basic_auth is not None:
            # RFC 6749 2.3.1: id and secret are form-encoded before the Basic encoding.
            user, secret = (quote(part, safe="") for part in basic_auth)
            auth = (user, secret)
        return self._send("POST", url, headers=headers, data=dict(data), auth=auth)

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def _send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> JsonResponse:
        started = time.perf_counter()
        try:
            with self._session.request(
                method,
                url,
                headers=dict(headers),
                data=data,
                auth=auth,
                timeout=self._timeout,
                verify=self._verify,
                allow_redirects=False,
                stream=True,
            ) as response:
                status = response.status_code
                if 300 <= status < 400:
                    raise OAuthHttpError(
                        "redirect_refused",
                        f"{_where(url)} redirected; redirects are not followed",
                        status=status,
                    )
                raw = self._read_bounded(response, url)
        except requests.Timeout as exc:
            raise OAuthHttpError("timeout", f"{_where(url)} did not answer in time") from exc
        except requests.exceptions.SSLError as exc:
            raise OAuthHttpError("tls_error", f"TLS verification failed for {_where(url)}") from exc
        except requests.ConnectionError as exc:
            raise OAuthHttpError(
                "connection_failed", f"could not connect to {_where(url)}"
            ) from exc
        except requests.RequestException as exc:
            raise OAuthHttpError("http_error", f"request to {_where(url)} failed") from exc
        log.debug(
            "oauth http %s %s -> %s in %.0f ms",
            method,
            _where(url),
            status,
            (time.perf_counter() - started) * 1000,
        )
        return JsonResponse(status=status, body=_parse_object(raw))

    def _read_bounded(self, response: requests.Response, url: str) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise OAuthHttpError(
                "too_large", f"{_where(url)} answered more than {self._max_bytes} bytes"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > self._max_bytes:
                raise OAuthHttpError(
                    "too_large", f"{_where(url)} answered more than {self._max_bytes} bytes"
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _where(url: str) -> str:
    """Host and path only: a query string may carry values that must not reach logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def _parse_object(raw: bytes) -> JsonObject | None:
    if not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
