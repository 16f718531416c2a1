"""Ingestion: reading HR exports, mapping their names, resolving identities, validating
against the canonical schema, and loading them into the store in one transaction."""
