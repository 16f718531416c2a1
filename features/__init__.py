"""Jenjang's data layer: canonical schema, reference data, ingestion, generator, features."""
