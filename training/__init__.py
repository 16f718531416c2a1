"""Jenjang's models: labels, splits, recommenders, baselines, evaluation, MLflow registry."""
