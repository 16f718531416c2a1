"""Benchmarks of Jenjang, run by `make bench` (``python -m bench.run``); never part of the tests.

Every measured step is a function of a module under `bench.steps`, run in a fresh Python process
by `bench.harness.measure`, so that its wall time and peak memory are its own. The modules beside
`run` run those steps and turn their figures into the rows of docs/benchmarks.md: the
recommender's (`recommender_steps`), the placements' (`placement_steps`), the service under load
(`load_steps`) and the analyst's yearly cycle (`cycle_steps`).
"""
