"""The service's feedback as evaluation data: a new model is asked whether it still puts the
courses people were interested in, and those they called not relevant, in their top 10."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features.asof.records import Records
from features.store.database import audit_log, create_db_engine, feedback
from features.store.settings import Settings
from training.courses.batch import build_batch
from training.courses.feedback import feedback_agreement, training_judgements
from training.courses.model import TrainingRecommender
from training.metrics import top_k
from training.split import spine

AS_OF = pd.Timestamp("2025-06-30")


def _judge(engine: sa.Engine, person: str, judged: list[tuple[str, str]], kind: str) -> None:
    suggestion = f"{kind}-{person}"[:32]
    with engine.begin() as connection:
        connection.execute(
            audit_log.insert().values(
                suggestion_id=suggestion,
                at=dt.datetime(2025, 6, 30, 9),
                username="asn-x",
                role="asn",
                kind=kind,
                subject=person,
                data_snapshot="test",
                as_of=AS_OF.date(),
                request={},
                returned=[{"id": course} for course, _ in judged],
            )
        )
        for course, decision in judged:
            connection.execute(
                feedback.insert().values(
                    suggestion_id=suggestion,
                    item_id=course,
                    decision=decision,
                    username="asn-x",
                    at=dt.datetime(2025, 6, 30, 10),
                )
            )


def test_the_model_is_measured_against_what_people_said(
    store_settings: Settings, small_records: Records, tiny_recommender: TrainingRecommender
) -> None:
    engine = create_db_engine(store_settings.database_url)
    people = spine(small_records, 2025)["employee_id"].head(3).tolist()
    batch = build_batch(small_records, pd.DataFrame({"employee_id": people, "as_of": AS_OF}))
    scores = tiny_recommender.scores(batch)
    ranked = top_k(scores, batch.allowed, int(batch.allowed.sum(axis=1).min()))
    ids = batch.catalogue.ids
    for row, person in enumerate(batch.employee_ids):
        best, worst = ids[ranked[row, 0]], ids[ranked[row, -1]]
        _judge(engine, str(person), [(best, "interested"), (worst, "not_relevant")], "training")
    _judge(engine, people[0], [("P-X", "accepted")], "candidates")  # not about trainings

    judged = training_judgements(engine)
    assert len(judged) == 2 * len(batch.employee_ids)
    assert set(judged["decision"]) == {"interested", "not_relevant"}
    agreement = feedback_agreement(tiny_recommender, small_records, judged)
    assert agreement["feedback.judged"] == len(judged)
    assert agreement["feedback.interested_in_top_10"] == 1.0  # its own first choices
    assert agreement["feedback.not_relevant_in_top_10"] == 0.0  # its own last ones


def test_no_feedback_measures_nothing(
    store_settings: Settings, small_records: Records, tiny_recommender: TrainingRecommender
) -> None:
    judged = training_judgements(create_db_engine(store_settings.database_url))
    assert judged.empty
    agreement = feedback_agreement(tiny_recommender, small_records, judged)
    assert agreement["feedback.judged"] == 0 and np.isnan(
        agreement["feedback.interested_in_top_10"]
    )


def test_a_placement_model_is_measured_against_what_planners_said(
    store_settings: Settings, small_records: Records
) -> None:
    from features.planning.ranking import rank_candidates
    from features.store.personal import load_birth_dates
    from features.view import STRUCTURAL_FAMILIES, build_view, vacancy_post
    from training.placement.feedback import (
        FIRST_CANDIDATES,
        placement_agreement,
        placement_judgements,
    )
    from training.placement.model import FitOnly, placement_events, training_examples
    from training.split import TemporalSplit

    engine = create_db_engine(store_settings.database_url)
    births = load_birth_dates(engine)
    events = placement_events(small_records, range(2000, 2100))
    years = tuple(range(int(events["year"].min()), int(events["year"].max())))
    scorer = FitOnly().fit(
        training_examples(small_records, TemporalSplit(years, years[-1] + 1), births)
    )
    view = build_view(small_records, AS_OF, births)
    posts = small_records["positions"]
    judged = 0
    for position_id in posts.loc[posts["family"].isin(STRUCTURAL_FAMILIES), "position_id"]:
        post = vacancy_post(small_records, str(position_id), view.standards)
        ranked = rank_candidates(view, post, scorer, k=50)["employee_id"].tolist()
        if len(ranked) > FIRST_CANDIDATES:
            first, outside = ranked[0], ranked[FIRST_CANDIDATES]
            _judge(
                engine, str(position_id), [(first, "accepted"), (outside, "rejected")], "candidates"
            )
            judged += 2
        if judged >= 6:
            break
    found = placement_judgements(engine)
    assert len(found) == judged > 0 and set(found.columns) >= {"position_id", "employee_id"}
    agreement = placement_agreement(scorer, small_records, found, births)
    assert agreement["feedback.judged"] == judged
    assert agreement[f"feedback.accepted_in_top_{FIRST_CANDIDATES}"] == 1.0
    assert agreement[f"feedback.rejected_in_top_{FIRST_CANDIDATES}"] == 0.0
