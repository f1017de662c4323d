"""The Flask app: factory, routes, the EHR gateway, write strategies, the SQL store, CLI."""
