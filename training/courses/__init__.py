"""The training recommender, registered as ``training-recs``: which courses will help a person,
among those they are likely to take up, and why."""
