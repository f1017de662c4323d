"""The one door for FHIR HTTP: timeouts, headers, bearer token, typed errors, retry policy."""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import orjson
import requests

from smartapp.gateway.errors import (
    FhirError,
    FhirResponseTooLarge,
    FhirUnavailable,
    FhirUnsafeUrl,
    error_for_status,
)

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
# smart.md 82: only these are worth a second try, and only for requests safe to repeat.
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class TokenSource(Protocol):
    """Where the gateway gets the launch's access token (single-flight refresh lives behind it)."""

    def access_token(self) -> str:
        """The current access token."""
        ...

    def refresh(self) -> str:
        """Refresh the token set and return the new access token."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Bounds on waiting for a busy EHR (Retry-After is honoured up to `max_wait` seconds)."""

    attempts: int = 3
    max_wait: float = 5.0
    default_wait: float = 0.2


@dataclass(frozen=True, slots=True, kw_only=True)
class FhirResponse:
    """A successful FHIR answer: status, body (None when empty), ETag and Location verbatim."""

    status: int
    json: dict[str, Any] | None
    etag: str | None
    location: str | None
    headers: Mapping[str, str] = field(default_factory=dict)
    # True when an earlier send of this request got no answer (timeout, dropped connection) and
    # this answer is to the repeat: the first send may have acted (smart.md 76).
    after_lost_answer: bool = False


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date, RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


class FhirClient:
    """A FHIR client for one launch: every FHIR request of the app goes through `send`."""

    def __init__(
        self,
        base_url: str,
        token_source: TokenSource,
        *,
        timeout: float | tuple[float, float] = (3.05, 20.0),
        correlation_id: str,
        session: requests.Session | None = None,
        max_bytes: int = 20 * 1024 * 1024,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.token_source = token_source
        self.timeout = timeout
        self.correlation_id = correlation_id
        self.session = session or requests.Session()
        self.max_bytes = max_bytes
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._refresh_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.requests_sent = 0

    def url_for(self, path: str) -> str:
        """The absolute URL of a path relative to the base; absolute URLs must lie under it."""
        if path.startswith(("http://", "https://")):
            url = path
        else:
            url = urljoin(self.base_url, path.lstrip("/"))
        base, target = urlsplit(self.base_url), urlsplit(url)
        # The bearer token only ever goes to the tenant's own FHIR base (its audience).
        same_origin = (base.scheme, base.netloc) == (target.scheme, target.netloc)
        if not same_origin or not (target.path + "/").startswith(base.path):
            raise FhirUnsafeUrl("A link points outside the EHR's FHIR base", path=path)
        return url

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | tuple[tuple[str, str], ...] | None = None,
        json: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        retry_safe: bool,
    ) -> FhirResponse:
        """Send one FHIR request; raise a typed FhirError for anything but 2xx (and 304)."""
        method = method.upper()
        url = self.url_for(path)
        body = None if json is None else orjson.dumps(json)
        token = self.token_source.access_token()
        refreshed = False
        lost = False
        attempt = 1
        while True:
            try:
                response = self._once(method, url, params, body, headers, token)
            except (requests.Timeout, requests.ConnectionError) as exc:
                kind = "timed out" if isinstance(exc, requests.Timeout) else "connection dropped"
                log.warning(
                    "fhir %s %s %s cid=%s", method, _loggable(url), kind, self.correlation_id
                )
                if retry_safe and attempt < self.retry.attempts:
                    attempt += 1
                    lost = True
                    self._sleep(self.retry.default_wait)
                    continue
                raise FhirUnavailable(
                    f"The EHR did not answer ({kind})", method=method, path=_loggable(url)
                ) from exc
            status = response.status_code
            if status == 401 and not refreshed:
                # smart.md 51/82: one refresh, one retry. The server refused before acting,
                # so even a plain POST is safe to send again.
                response.close()
                token = self._refreshed_token(token)
                refreshed = True
                continue
            if status in RETRY_STATUSES and retry_safe and attempt < self.retry.attempts:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                response.close()
                if wait is None:
                    wait = self.retry.default_wait * attempt
                if wait <= self.retry.max_wait:
                    attempt += 1
                    self._sleep(wait)
                    continue
                raise FhirUnavailable(
                    "The EHR asked to wait longer than the app will",
                    status=status,
                    method=method,
                    path=_loggable(url),
                )
            answer = self._finish(method, url, response)
            return replace(answer, after_lost_answer=True) if lost else answer

    def _once(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | tuple[tuple[str, str], ...] | None,
        body: bytes | None,
        extra: Mapping[str, str] | None,
        token: str,
    ) -> requests.Response:
        headers = {
            "Accept": FHIR_JSON,
            "Authorization": f"Bearer {token}",
            "X-Request-ID": self.correlation_id,
        }
        if body is not None:
            headers["Content-Type"] = f"{FHIR_JSON}; charset=utf-8"
        if method in ("POST", "PUT", "PATCH"):
            # smart.md 78: ask for the written resource back (id, versionId, ETag).
            headers["Prefer"] = "return=representation"
        headers.update(extra or {})
        with self._count_lock:
            self.requests_sent += 1
        return self.session.request(
            method,
            url,
            params=params,
            data=body,
            headers=headers,
            timeout=self.timeout,
            allow_redirects=False,
            stream=True,
        )

    def _refreshed_token(self, used: str) -> str:
        with self._refresh_lock:
            current = self.token_source.access_token()
            if current != used:
                return current  # another thread of this launch refreshed already
            # A failed refresh raises the token source's own typed error (the launch has ended).
            return self.token_source.refresh()

    def _finish(self, method: str, url: str, response: requests.Response) -> FhirResponse:
        try:
            raw = self._read_bounded(response)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise FhirUnavailable(
                "The EHR connection dropped mid-answer", method=method, path=_loggable(url)
            ) from exc
        finally:
            response.close()
        status = response.status_code
        log.info("fhir %s %s -> %s cid=%s", method, _loggable(url), status, self.correlation_id)
        payload = _parse_json(raw)
        if status >= 400 or (300 <= status < 400 and status != 304):
            raise error_for_status(status, outcome=payload, method=method, path=_loggable(url))
        return FhirResponse(
            status=status,
            json=payload,
            etag=response.headers.get("ETag"),
            location=response.headers.get("Location") or response.headers.get("Content-Location"),
            headers=dict(response.headers),
        )

    def _read_bounded(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FhirResponseTooLarge("The EHR's answer is too large", status=response.status_code)
        chunks, size = [], 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > self.max_bytes:
                raise FhirResponseTooLarge(
                    "The EHR's answer is too large", status=response.status_code
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _parse_json(raw: bytes) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    try:
        # orjson: a heavy patient's search pages are megabytes; the stdlib parser alone
        # would take half of the app's CPU budget for the context.
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _loggable(url: str) -> str:
    """The path without the query: ids are fine in logs, search values may be PHI (smart.md 71)."""
    return urlsplit(url).path


__all__ = ["FhirClient", "FhirError", "FhirResponse", "RetryPolicy", "TokenSource"]
