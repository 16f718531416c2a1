"""Data factories with fixed contents, so the right answer is known: a tiny CSV export
(`export`), hand-built HR records (`records`), hand-built people for the rules (`hand_built`),
and the running app with one account per role (`api`)."""
