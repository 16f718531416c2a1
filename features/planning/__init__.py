"""Answers from rules and competency fit, with no learned model: career paths, candidate
ranking with any scorer, placement plans, succession pools and training needs."""
