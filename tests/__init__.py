"""Jenjang's test suite (a package, so tests import their factories as `tests.factories`)."""
