"""Security headers (CSP with nonces and the tenant's frame-ancestors) and the session cookie."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask import Flask, Request, g, request
from werkzeug.wrappers import Response

from smartapp.config import AppConfig

COOKIE_SECURE = "__Host-ff_session"  # __Host-: Secure, Path=/, no Domain (RFC 6265bis)
COOKIE_DEV = "ff_session"  # plain-HTTP loopback development only


def csp_nonce() -> str:
    """The CSP nonce of this response (templates: `nonce="{{ csp_nonce() }}"`)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        g.csp_nonce = nonce
    return str(nonce)


def allow_framing_by(origins: Iterable[str]) -> None:
    """Let these EHR origins frame this response (smart.md 61); the default is nobody."""
    g.frame_ancestors = tuple(origins)


def content_security_policy(nonce: str, frame_ancestors: tuple[str, ...]) -> str:
    """A strict CSP: self only, scripts and styles by nonce, framing by the tenant's EHR only."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"frame-ancestors {ancestors}",
        )
    )


def cookie_name(config: AppConfig) -> str:
    """The session cookie's name (the __Host- prefix needs Secure)."""
    return COOKIE_SECURE if config.secure_cookies else COOKIE_DEV


def session_id_from(req: Request, config: AppConfig) -> str | None:
    """The opaque session id the browser sent, if any."""
    value = req.cookies.get(cookie_name(config))
    return value if value and len(value) <= 128 else None


def set_session_cookie(response: Response, config: AppConfig, sid: str) -> None:
    """Set the session cookie: opaque id only; HttpOnly, Secure, SameSite=None, Partitioned.

    SameSite=None and Partitioned (CHIPS) keep the cookie inside an EHR iframe (smart.md 59);
    plain-HTTP loopback development cannot use Secure, so it falls back to Lax there only.
    """
    secure = config.secure_cookies
    response.set_cookie(
        cookie_name(config),
        sid,
        path="/",
        httponly=True,
        secure=secure,
        samesite="None" if secure else "Lax",
        partitioned=secure,
        max_age=int(config.session_max.total_seconds()),
    )


def add_security_headers(response: Response) -> Response:
    """after_request: CSP, no sniffing, no referrer leak, no caching of pages with patient data."""
    # same-origin: a launch URL never reaches another site, and Chromium keeps sending our real
    # Origin on our own form posts (under no-referrer it sends "Origin: null", which
    # `require_csrf` must refuse).
    nonce = csp_nonce()
    frame_ancestors: tuple[str, ...] = g.get("frame_ancestors", ())
    response.headers["Content-Security-Policy"] = content_security_policy(nonce, frame_ancestors)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin-allow-popups"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    correlation = g.get("correlation_id")
    if correlation:
        response.headers["X-Request-ID"] = str(correlation)
    return response


def init_security(app: Flask) -> None:
    """Install the header hook and the `csp_nonce()` template function."""
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
