"""The clinician's pages: overview, set goals, saved, review, handout (server-rendered)."""

from __future__ import annotations

from flask import Flask

from smartapp.views.pages import bp


def init_pages(app: Flask) -> None:
    """Register the pages and their per-app helpers (caches, draft and saved-plan stores)."""
    from smartapp.gateway.capabilities import CapabilityCache
    from smartapp.gateway.context import ContextCache
    from smartapp.store.drafts import DraftStore
    from smartapp.store.engine import migrate
    from smartapp.views.ehr import PageServices
    from smartapp.views.saved import SavedPlans
    from smartapp.web import Services

    found = app.extensions["functionfirst"]
    assert isinstance(found, Services)
    store = found.store
    migrate(store.engine)  # the draft table is added to the schema by its module (imported above)
    app.extensions["functionfirst.pages"] = PageServices(
        contexts=ContextCache(),
        capabilities=CapabilityCache(shared=store.cache),  # one /metadata read for all workers
        drafts=DraftStore(store.engine, store.cipher, now=store.now),
        saved=SavedPlans(store),
        styles={},
    )
    app.register_blueprint(bp)


__all__ = ["bp", "init_pages"]
