"""The evaluation code is right: hand-computed NDCG, recall, coverage and gains, and the same
numbers through `evaluate` on a hand-built cycle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import ndcg_score

from features.asof.course_pairs import Catalogue
from tests.factories import records as factory
from training.courses.batch import build_batch
from training.courses.evaluation import evaluate
from training.metrics import coverage, mean_gain, ndcg_at_k, recall_at_k, top_k


def test_ndcg_by_hand() -> None:
    relevant = np.array([[False, True, False, True]])
    top = np.array([[1, 0, 3, 2]])  # relevant at ranks 1 and 3
    expected = (1 / np.log2(2) + 1 / np.log2(4)) / (1 / np.log2(2) + 1 / np.log2(3))
    assert ndcg_at_k(relevant, top, 4)[0] == pytest.approx(expected)  # 0.9197
    assert ndcg_at_k(relevant, top, 1)[0] == pytest.approx(1.0)
    assert np.isnan(ndcg_at_k(np.array([[False, False]]), np.array([[0, 1]]), 2)[0])


def test_vectorised_ndcg_equals_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    relevant = rng.random((200, 40)) < 0.08
    relevant[:, 0] = True  # every row has something relevant
    scores = rng.random((200, 40))
    allowed = np.ones_like(relevant)
    top = top_k(scores, allowed, 10)
    ours = ndcg_at_k(relevant, top, 10).mean()
    assert ours == pytest.approx(ndcg_score(relevant.astype(float), scores, k=10))


def test_top_k_respects_the_candidates_and_pads() -> None:
    scores = np.array([[0.9, 0.8, 0.7, 0.1]])
    allowed = np.array([[False, True, False, True]])
    assert top_k(scores, allowed, 3).tolist() == [[1, 3, -1]]


def test_recall_coverage_and_true_gain_by_hand() -> None:
    relevant = np.array([[True, False, True, False], [False, False, False, False]])
    top = np.array([[0, 1], [1, -1]])
    recall = recall_at_k(relevant, top)
    assert recall[0] == 0.5 and np.isnan(recall[1])
    assert coverage(top, 4) == 0.5
    gain = np.array([[0.1, 0.3, 0.0, 0.0], [1.0, 2.0, 0.0, 0.0]])
    assert mean_gain(gain, top).tolist() == pytest.approx([0.2, 2.0])


class _Fixed:
    """A recommender whose ranking is given: C014, then C001, then the rest by catalogue order."""

    name = "fixed"

    def scores(self, batch) -> np.ndarray:  # type: ignore[no-untyped-def]
        ids = list(batch.catalogue.ids)
        scores = -np.tile(np.arange(len(ids), dtype=float), (len(batch.frame), 1))
        scores[:, ids.index("C001")] = 100.0
        scores[:, ids.index("C014")] = 200.0
        return scores


def test_evaluate_scores_a_hand_built_cycle() -> None:
    """In 2023 E1 started C014 (June) and C028 (December); E2 and E3 started nothing."""
    records = factory.records()
    spine = factory.spine(as_of=pd.Timestamp("2023-01-01"))
    batch = build_batch(records, spine, Catalogue.from_records(records))
    report = evaluate([_Fixed()], batch, records, 2023)
    # E1's list: C014 (relevant), C001 (not), then catalogue order: C008, C009, C010 (taken
    # in 2022, excluded), C011, …; C028 is 13th or later → NDCG@10 = 1 / (1 + 1/log2 3)
    assert report.overall.loc["fixed", "ndcg@10"] == pytest.approx(1 / (1 + 1 / np.log2(3)))
    assert report.overall.loc["fixed", "recall@10"] == pytest.approx(0.5)
    assert report.overall.loc["fixed", "people"] == 3
    assert set(report.by_family["family"]) == {"pengawas", "pelaksana"}
