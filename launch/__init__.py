"""The SMART App Launch client: tenants, discovery, authorize, token, refresh (no Flask)."""
