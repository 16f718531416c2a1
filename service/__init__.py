"""Jenjang's service: the FastAPI app, its settings, and the `jenjang` command line."""
