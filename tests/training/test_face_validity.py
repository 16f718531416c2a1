"""Face validity of the training recommender: 30 people picked by hand-written rules from the
small generated dataset (teachers, nurses, midwives, extension officers, agency secretaries,
pelaksana, JPT), with the courses an HR officer would never suggest to them and the kind of
course they would get, each with why; and, on a larger dataset, no course outside its audience
in the top 10 of 1,000 people.

The courses are named by id with their titles (`features/reference/courses.csv`), so that a
change of catalogue shows here as a failing, readable test rather than a silent pass."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from features import reference
from features.asof.records import Records
from features.ingest.upsert import ingest_folder
from features.store.database import create_db_engine
from features.store.reads import load_records
from features.synth import GeneratorConfig, generate_dataset
from training.courses.inference import RecommendationEngine, Request, recommend_everyone
from training.courses.model import RecommenderConfig, TrainingRecommender
from training.split import TemporalSplit, latest_complete_cycle

#: Teachers' own programmes: Pendidikan Guru Penggerak (C081), lesson planning with the modul
#: ajar (C083), learning assessment (C085, C086), deep learning, literacy and ICT in class
#: (C095–C097), inclusive education for class teachers (C098).
TEACHING = {"C081", "C083", "C085", "C086", "C095", "C096", "C097", "C098"}
#: Clinical courses: BTCLS (C058), PPGD (C059), normal delivery care APN (C064), MTBS (C067).
CLINICAL = {"C058", "C059", "C064", "C067"}
#: Leadership training follows appointment to a level: PKP (C001) pengawas, PKA (C002)
#: administrator, PKN II (C003) JPT pratama, PKN I (C004) JPT madya.
PKP, PKA, PKN_II, PKN_I = "C001", "C002", "C003", "C004"
#: Latsar CPNS (C005, C006) and the PPPK orientation (C007): for newcomers only.
NEWCOMERS = {"C005", "C006", "C007"}
#: Puskesmas (C051) and hospital (C056) management: for health officials.
HEALTH_MANAGEMENT = {"C051", "C056"}


@dataclass(frozen=True)
class Kind:
    """A kind of person, how they are picked, what they never get and what they would get."""

    name: str
    count: int
    never: dict[str, set[str]]  # why → courses that must not be in their top 10
    would: tuple[str, str, float]  # why, course field or kind ("kind:managerial"), min share


KINDS = (
    Kind(
        "teacher",
        6,
        {
            "a teacher is no clinician": CLINICAL,
            "PKN is for JPT officials, PKA for administrators": {PKA, PKN_II, PKN_I},
            "puskesmas and hospital management are for health officials": HEALTH_MANAGEMENT,
        },
        ("a teacher's gaps are in teaching: an education course", "pendidikan", 0.8),
    ),
    Kind(
        "nurse",
        5,
        {
            "Pendidikan Guru Penggerak and lesson planning are for teachers": TEACHING,
            "PKN is for JPT officials": {PKN_II, PKN_I},
        },
        ("a nurse's gaps are clinical: a health course", "kesehatan", 0.8),
    ),
    Kind(
        "midwife",
        3,
        {
            "teachers' programmes are for teachers": TEACHING,
            "PKN is for JPT officials": {PKN_II, PKN_I},
        },
        ("a midwife's gaps are clinical: a health course", "kesehatan", 0.6),
    ),
    Kind(
        "extension officer",
        2,
        {
            "teachers' programmes are for teachers": TEACHING,
            "an extension officer does not treat patients": {"C058", "C064", "C067"},
            "PKN is for JPT officials": {PKN_II, PKN_I},
        },
        ("every ASN gets managerial development", "kind:managerial", 0.5),
    ),
    Kind(
        "secretary",
        5,
        {
            "an agency secretary does not plan lessons: teachers' programmes are for teachers": (
                TEACHING
            ),
            "a secretary is no clinician": CLINICAL,
            "PKP is behind an administrator; PKN I is for JPT madya": {PKP, PKN_I},
            "Latsar is for newcomers": NEWCOMERS,
        },
        (
            "an administrator's standard is mostly managerial: a managerial course",
            "kind:managerial",
            1.0,
        ),
    ),
    Kind(
        "pelaksana",
        5,
        {
            "leadership training follows appointment: never to a pelaksana": {
                PKP,
                PKA,
                PKN_II,
                PKN_I,
            },
            "teachers' programmes are for teachers": TEACHING,
            "a pelaksana is no clinician": CLINICAL,
        },
        ("a pelaksana's post has technical tasks: a technical course", "kind:technical", 0.8),
    ),
    Kind(
        "JPT",
        4,
        {
            "a JPT official is no teacher": TEACHING,
            "a JPT official is no clinician": CLINICAL,
            "PKP and PKA are behind a JPT official": {PKP, PKA},
            "Latsar is for newcomers": NEWCOMERS,
        },
        ("a JPT standard is mostly managerial: a managerial course", "kind:managerial", 1.0),
    ),
)


def _kind_of(person: pd.Series, title: str) -> str | None:
    occupation = str(person["occupation"])
    family = str(person["family"])
    if occupation in ("guru",):
        return "teacher"
    if occupation in ("perawat", "perawat_ahli"):
        return "nurse"
    if occupation in ("bidan", "bidan_ahli"):
        return "midwife"
    if occupation.startswith("penyuluh"):  # the small dataset has health extension officers
        return "extension officer"
    if title == "Sekretaris":
        return "secretary"
    if family == "pelaksana":
        return "pelaksana"
    if family.startswith("jpt"):
        return "JPT"
    return None


def pick(frame: pd.DataFrame, records: Records) -> dict[str, list[str]]:
    """The people of each kind, first by employee id (deterministic)."""
    titles = records["positions"].set_index("position_id")["title"]
    found: dict[str, list[str]] = {kind.name: [] for kind in KINDS}
    for person in sorted(frame.index):
        row = frame.loc[person]
        kind = _kind_of(row, str(titles.get(row["position_id"], "")))
        if kind is not None:
            found[kind].append(str(person))
    return {kind.name: found[kind.name][: kind.count] for kind in KINDS}


@pytest.fixture(scope="module")
def engine(
    tiny_recommender: TrainingRecommender, small_records: Records, split: TemporalSplit
) -> RecommendationEngine:
    return RecommendationEngine(tiny_recommender, small_records, split.cutoff)


@pytest.fixture(scope="module")
def picked(engine: RecommendationEngine, small_records: Records) -> dict[str, list[str]]:
    return pick(engine.frame, small_records)


def test_thirty_people_of_every_kind_are_picked(picked: dict[str, list[str]]) -> None:
    assert {kind.name: len(picked[kind.name]) for kind in KINDS} == {
        kind.name: kind.count for kind in KINDS
    }
    assert sum(len(people) for people in picked.values()) == 30


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_nobody_gets_a_course_an_hr_officer_would_never_suggest(
    kind: Kind, engine: RecommendationEngine, picked: dict[str, list[str]]
) -> None:
    wrong = []
    for person in picked[kind.name]:
        top = set(engine.recommend(Request(person, 10))["course_id"])
        wrong += [
            (person, why, sorted(top & courses))
            for why, courses in kind.never.items()
            if top & courses
        ]
    assert wrong == []


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_they_get_the_kind_of_course_their_post_calls_for(
    kind: Kind, engine: RecommendationEngine, picked: dict[str, list[str]]
) -> None:
    why, wanted, share = kind.would
    courses = reference.load("courses").set_index("course_id")
    column, value = ("kind", wanted[5:]) if wanted.startswith("kind:") else ("field", wanted)
    hits = [
        (
            courses.loc[list(engine.recommend(Request(person, 10))["course_id"]), column] == value
        ).any()
        for person in picked[kind.name]
    ]
    assert sum(hits) >= share * len(hits), why


def test_the_education_offices_secretary_gets_no_lesson_planning(
    engine: RecommendationEngine, small_records: Records
) -> None:
    """The issue's case: the Sekretaris of every education office, none with a lesson-planning
    or learning-assessment course (they develop T.PDD.01/T.PDD.02, a teacher's own)."""
    positions = small_records["positions"]  # a structural post's field is its office's
    of_education = (positions["title"] == "Sekretaris") & (positions["field"] == "pendidikan")
    secretaries = positions[of_education]
    frame = engine.frame
    people = frame.index[frame["position_id"].isin(secretaries["position_id"])]
    links = reference.load("course_competencies")
    teaching = set(links.loc[links["competency_code"].isin(["T.PDD.01", "T.PDD.02"]), "course_id"])
    assert len(people) >= 3
    for person in people:
        top = set(engine.recommend(Request(str(person), 10))["course_id"])
        assert not top & teaching, person


# --- 1,000 people ---------------------------------------------------------------------------

SAMPLE = 1_000


@pytest.fixture(scope="module")
def larger(tmp_path_factory: pytest.TempPathFactory) -> RecommendationEngine:
    """A 1,300-person dataset (seed 11), a tiny recommender fitted on it, its engine."""
    folder = tmp_path_factory.mktemp("face") / "data"
    generate_dataset(GeneratorConfig.for_scale("province", employees=1300, seed=11), folder)
    url = f"sqlite:///{tmp_path_factory.mktemp('face-db') / 'jenjang.db'}"
    database = create_db_engine(url)
    ingest_folder(folder, database)
    records = load_records(database)
    database.dispose()
    split = TemporalSplit.last_cycles(latest_complete_cycle(records))
    tiny = RecommenderConfig(people_per_cycle=400, uptake_max_iter=40, level_max_iter=40)
    return RecommendationEngine(
        TrainingRecommender(tiny).fit(records, split), records, split.cutoff
    )


@pytest.mark.slow
def test_no_top_ten_of_a_thousand_people_holds_a_course_outside_its_audience(
    larger: RecommendationEngine,
) -> None:
    """Checked against course_audiences.csv directly, not through the rule that enforces it."""
    audiences = reference.load("course_audiences")
    meant = audiences.groupby("course_id")[["kind", "value"]].apply(
        lambda rows: set(zip(rows["kind"], rows["value"], strict=True))
    )
    frame = larger.frame
    sample = frame.sample(n=SAMPLE, random_state=0) if len(frame) > SAMPLE else frame
    assert len(sample) == SAMPLE
    tops = recommend_everyone(larger, 10)
    tops = tops[tops["employee_id"].isin(sample["employee_id"])]
    wrong = []
    for person, course in zip(tops["employee_id"], tops["course_id"], strict=True):
        allowed = meant.get(course)
        post = {(k, str(frame.at[person, k])) for k in ("occupation", "family", "field")}
        if allowed and not post & allowed:
            wrong.append((person, course))
    assert tops["employee_id"].nunique() == SAMPLE and wrong == []
