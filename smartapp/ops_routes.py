"""Operations routes: the app's public keys and the health checks."""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from smartapp.services import services

bp = Blueprint("ops", __name__)


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    """The app's public signing keys (never a private member, smart.md 30)."""
    keys = services().keys
    response = jsonify(keys.public_jwks() if keys is not None else {"keys": []})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: the database answers."""
    ready = services().store.is_ready()
    response = jsonify({"status": "ready" if ready else "database unreachable"})
    response.status_code = 200 if ready else 503
    return response
