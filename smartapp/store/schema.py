"""The app database's tables, on one shared SQLAlchemy `metadata` (other modules add theirs).

Migrations: the schema is created on start with `metadata.create_all` (it only adds missing
tables). A change to an existing table ships as an additive, idempotent step in
`smartapp/store/engine.py:migrate` (ADD COLUMN ... with a default), so a rolling restart of
several instances on one PostgreSQL never needs a separate migration tool.
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    event,
)

metadata = MetaData()

# One browser (one cookie); the cookie carries a random id, the table only its SHA-256.
browser_sessions = Table(
    "ff_browser_session",
    metadata,
    Column("sid_hash", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

# An authorization in flight: state, nonce and PKCE verifier, single use, bound to the browser
# session (SMART 2.2 app-launch: state "securely tied to the user's current session").
pending_authorizations = Table(
    "ff_pending_authorization",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("sid_hash", String(64), nullable=False),
    Column("tenant", String(200), nullable=False),
    Column("secret", LargeBinary, nullable=False),  # encrypted: state, nonce, verifier, launch
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# One completed launch: its own id (in every URL), bound to the browser session; tokens
# encrypted at rest (SMART 2.2 app-launch: tokens in app-specific storage, never in cookies).
launch_sessions = Table(
    "ff_launch_session",
    metadata,
    Column("launch_id", String(64), primary_key=True),
    Column("sid_hash", String(64), nullable=False, index=True),
    Column("tenant", String(200), nullable=False),
    Column("patient_id", String(200)),
    Column("fhir_user", String(400)),
    Column("tokens", LargeBinary, nullable=False),
    Column("token_version", Integer, nullable=False, default=1),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    # The SQLite refresh lease (PostgreSQL uses SELECT ... FOR UPDATE on this row instead).
    Column("refresh_holder", String(64)),
    Column("refresh_until", DateTime(timezone=True)),
)

# Append-only audit trail (HIPAA 164.312(b) audit controls; ids only, no PHI beyond them).
audit_log = Table(
    "ff_audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", String(80), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("tenant", String(200)),
    Column("launch_id", String(64)),
    Column("fhir_user", String(400)),
    Column("patient_id", String(200)),
    Column("resources", Text, nullable=False, default="[]"),  # JSON list of "Type/id/_history/v"
    Column("correlation_id", String(64)),
    Column("detail", String(400)),
)
Index("ix_ff_audit_log_patient", audit_log.c.tenant, audit_log.c.patient_id)

# Per-tenant discovery document and CapabilityStatement facts, with an expiry.
tenant_cache = Table(
    "ff_tenant_cache",
    metadata,
    Column("tenant", String(200), primary_key=True),
    Column("kind", String(40), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# The database refuses to change or delete audit rows, whoever asks: (dialect, statement) pairs
# run once the table exists.
_AUDIT_APPEND_ONLY_DDL = (
    (
        "sqlite",
        "CREATE TRIGGER ff_audit_log_no_update BEFORE UPDATE ON ff_audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ),
    (
        "sqlite",
        "CREATE TRIGGER ff_audit_log_no_delete BEFORE DELETE ON ff_audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ),
    (
        "postgresql",
        "CREATE OR REPLACE FUNCTION ff_audit_log_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql",
    ),
    (
        "postgresql",
        "CREATE TRIGGER ff_audit_log_append_only BEFORE UPDATE OR DELETE ON ff_audit_log "
        "FOR EACH ROW EXECUTE FUNCTION ff_audit_log_append_only()",
    ),
)
for _dialect, _statement in _AUDIT_APPEND_ONLY_DDL:
    event.listen(
        audit_log,
        "after_create",
        DDL(_statement).execute_if(dialect=_dialect),  # type: ignore[no-untyped-call]
    )
