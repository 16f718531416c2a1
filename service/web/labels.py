"""Codes as words, and numbers and dates, in the page's language.

The pages receive codes (a course's kind ``technical``, a family ``jpt_pratama``, a rating
``sangat_baik``, a metric key ``fairness.learned.age_band.min_impact_ratio_at_5``); a reader
should see words. Codes of the reference vocabularies are labelled from the reference tables
(their ``label_*`` or ``name_*`` columns), so a planner's change of a label there reaches the
pages; the few codes that live only in the service (registry aliases, model names, readiness,
the analyst's metric names) are labelled here. Numbers and dates follow the language's
conventions through Babel (id_ID: ``0,8`` and ``5 Des 2026``; en_GB: ``0.8``, ``5 Dec 2026``).

Templates use these as Jinja filters (registered in `service.web.rendering`); a code without a
label is shown as it is, so that the page-walk test (tests/service/test_page_words.py) names it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import cache

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from features import reference

#: The four-fifths rule the model page states for fairness ratios: below it, a figure is flagged.
#: The same number as `training.fairness.FOUR_FIFTHS` (a test holds them equal), kept here because
#: the service reaches training only through its registry, gate, contract and answers.
FOUR_FIFTHS = 0.8

#: Babel's locale of each page language.
LOCALES = {"id": "id_ID", "en": "en_GB"}

#: Reference tables whose codes have labels: vocabulary → (table, code column, label prefix).
#: Every vocabulary of vocabularies.csv is labelled too, by its own name.
TABLES: dict[str, tuple[str, str, str]] = {
    "family": ("position_families", "family", "name"),
    "field": ("fields", "field", "name"),
    "occupation": ("occupations", "occupation", "name"),
    "rating": ("ratings", "rating", "label"),
    "competency": ("competencies", "code", "name"),
    "course": ("courses", "course_id", "title"),
}

#: Codes of the service itself: vocabulary → code → (Indonesian, English).
SERVICE_CODES: dict[str, dict[str, tuple[str, str]]] = {
    "alias": {"champion": ("juara", "champion"), "challenger": ("penantang", "challenger")},
    "model": {
        "training-recs": ("Rekomendasi pelatihan", "Training recommendations"),
        "placement-success": ("Peluang berhasil penempatan", "Placement success"),
    },
    "source": {
        "registry": ("registri model", "model registry"),
        "cache": ("salinan lokal", "local copy"),
    },
    "readiness": {
        "siap sekarang": ("siap sekarang", "ready now"),
        "1-2 tahun": ("1–2 tahun", "in 1–2 years"),
    },
    # the accounts (`service.access`): roles, and what the accounts' audit log records
    "role": {
        "asn": ("ASN", "Civil servant (ASN)"),
        "hr_planner": ("Perencana SDM", "HR planner"),
        "analyst": ("Analis", "Analyst"),
        "admin": ("Administrator", "Administrator"),
    },
    "account_event": {
        "sign_in": ("masuk", "sign-in"),
        "sign_out": ("keluar", "sign-out"),
        "disabled": ("dinonaktifkan", "disabled"),
        "enabled": ("diaktifkan", "enabled"),
        "password_reset": ("kata sandi diganti", "password replaced"),
        "scope_changed": ("lingkup diubah", "scope changed"),
    },
    "account_outcome": {
        "ok": ("berhasil", "succeeded"),
        "password": ("kata sandi salah", "wrong password"),
        "unknown": ("nama tidak dikenal", "unknown name"),
        "disabled": ("akun nonaktif", "account disabled"),
        "locked": ("akun terkunci", "account locked"),
        "throttled": ("alamat ditahan", "address throttled"),
    },
}

#: The analyst's metrics, without their cut-off (``ndcg`` of ``ndcg_at_10``).
METRICS: dict[str, tuple[str, str]] = {
    "ndcg": ("NDCG (mutu urutan)", "NDCG (ranking quality)"),
    "recall": ("Perolehan", "Recall"),
    "first_stage_recall": ("Perolehan tahap pertama", "First-stage recall"),
    "coverage": ("Cakupan katalog", "Catalogue coverage"),
    "true_fit_gain": ("Kenaikan kecocokan sebenarnya", "True fit gain"),
    "true_competency_gain": ("Kenaikan kompetensi sebenarnya", "True competency gain"),
    "true_success": ("Keberhasilan sebenarnya", "True success"),
    "true_success_share": ("Pangsa penempatan yang sebenarnya berhasil", "True success share"),
    "auc": ("AUC (daya pembeda)", "AUC (discrimination)"),
    "level_rmse_estimated": ("Galat level perkiraan (RMSE)", "Level error of estimates (RMSE)"),
    "level_rmse_estimated_unmeasured": (
        "Galat level perkiraan, kompetensi belum diasesmen (RMSE)",
        "Level error of estimates, unassessed competencies (RMSE)",
    ),
    "level_rmse_family_mean": (
        "Galat level rata-rata jenis jabatan (RMSE)",
        "Level error of the family mean (RMSE)",
    ),
    "level_rmse_family_mean_unmeasured": (
        "Galat level rata-rata jenis jabatan, kompetensi belum diasesmen (RMSE)",
        "Level error of the family mean, unassessed competencies (RMSE)",
    ),
    "people": ("Pegawai yang dinilai", "People evaluated"),
    "vacancies": ("Lowongan yang dinilai", "Vacancies evaluated"),
    "label_mcc": ("Pemeriksaan label: MCC", "Label check: MCC"),
    "label_positive_share": ("Pemeriksaan label: pangsa positif", "Label check: positive share"),
    "min_impact_ratio": ("Rasio dampak terkecil", "Smallest impact ratio"),
}

#: The recommenders a metric can be of (the learned model and its baselines).
RECOMMENDERS: dict[str, tuple[str, str]] = {
    "learned": ("model terlatih", "learned model"),
    "popularity": ("popularitas", "popularity"),
    "family_popularity": ("popularitas per jenis jabatan", "popularity by family"),
    "gap_rule": ("aturan kesenjangan", "gap rule"),
    "implicit_als": ("faktorisasi matriks (ALS)", "matrix factorisation (ALS)"),
    "historical": ("pilihan historis", "historical choices"),
    "fit_only": ("kecocokan kompetensi saja", "competency fit only"),
    "imitation": ("meniru keputusan lalu", "imitating past decisions"),
    "oracle": ("orakel (batas atas)", "oracle (upper bound)"),
    "random_eligible": ("acak di antara yang memenuhi syarat", "random among the eligible"),
}

#: The groups a fairness metric compares.
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "sex": ("jenis kelamin", "sex"),
    "age_band": ("kelompok usia", "age band"),
}

CUTOFF = re.compile(r"^(?P<base>.+?)(?:_at_|@)(?P<k>\d+)$")


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "en" else pair[0]


@cache
def _labels(vocabulary: str) -> dict[str, tuple[str, str]]:
    """Code → (Indonesian, English) of one vocabulary (empty for an unknown one)."""
    if vocabulary == "recommender":
        return RECOMMENDERS
    if vocabulary in SERVICE_CODES:
        return SERVICE_CODES[vocabulary]
    if vocabulary in TABLES:
        table, column, prefix = TABLES[vocabulary]
        frame = reference.load(table).drop_duplicates(column)
        pairs = zip(frame[f"{prefix}_id"], frame[f"{prefix}_en"], strict=True)
        return dict(zip(frame[column], pairs, strict=True))
    rows = reference.load("vocabularies").query("vocabulary == @vocabulary")
    return {
        v: (i, e) for v, i, e in zip(rows["value"], rows["label_id"], rows["label_en"], strict=True)
    }


def label(code: object, vocabulary: str, language: str) -> str:
    """The words for `code` of `vocabulary` in `language` (the code itself when it has none)."""
    pair = _labels(vocabulary).get(str(code))
    return _pick(pair, language) if pair else str(code)


def _cutoff(k: int, language: str) -> str:
    if k == 1:
        return "di peringkat pertama" if language == "id" else "at the first rank"
    return f"di {k} teratas" if language == "id" else f"in the top {k}"


def _measure(name: str, language: str) -> str:
    """A metric without prefix: ``ndcg_at_10`` → "NDCG (mutu urutan) di 10 teratas"."""
    found = CUTOFF.match(name)
    base, k = (found["base"], int(found["k"])) if found else (name, None)
    if base not in METRICS:
        return name
    words = _pick(METRICS[base], language)
    return words if k is None else f"{words} {_cutoff(k, language)}"


def metric_label(key: str, language: str) -> str:
    """A metric key in words: overall (``ndcg_at_10``), a baseline's
    (``baseline.popularity.ndcg_at_10``), a slice's (``family.pengawas.ndcg_at_10``,
    ``agency.PROV-RSUD.recall_at_10``) and fairness
    (``fairness.learned.age_band.min_impact_ratio_at_5``). An unknown key stays as it is."""
    parts = key.split(".")
    if len(parts) == 1:
        return _measure(key, language)
    if parts[0] == "baseline" and len(parts) == 3:
        return f"{_measure(parts[2], language)} — {label(parts[1], 'recommender', language)}"
    if parts[0] == "family" and len(parts) == 3:
        return f"{label(parts[1], 'family', language)}: {_measure(parts[2], language)}"
    if parts[0] == "agency" and len(parts) == 3:
        return f"{parts[1]}: {_measure(parts[2], language)}"
    if parts[0] == "fairness" and len(parts) == 4:
        return _fairness(parts[1], parts[2], parts[3], language=language)
    return key


def _fairness(model: str, attribute: str, measure: str, language: str) -> str:
    """ "model terlatih: Rasio dampak terkecil menurut kelompok usia di 5 teratas"."""
    found = CUTOFF.match(measure)
    base, k = (found["base"], int(found["k"])) if found else (measure, None)
    if base not in METRICS or attribute not in ATTRIBUTES:
        return f"fairness.{model}.{attribute}.{measure}"
    by = "menurut" if language == "id" else "by"
    words = f"{_pick(METRICS[base], language)} {by} {_pick(ATTRIBUTES[attribute], language)}"
    cutoff = "" if k is None else f" {_cutoff(k, language)}"
    return f"{label(model, 'recommender', language)}: {words}{cutoff}"


def fails_threshold(key: str, value: float | None) -> bool:
    """A figure below its own stated threshold: a fairness metric's smallest impact ratio
    under the four-fifths rule (`FOUR_FIFTHS`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return key.startswith("fairness.") and "min_impact_ratio" in key and value < FOUR_FIFTHS


def decimal(value: object, language: str, digits: int = 1) -> str:
    """`value` with exactly `digits` decimals in the language's notation; "–" for nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    number = value if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    return str(format_decimal(number, format=pattern, locale=LOCALES[language]))


def signed(value: object, language: str, digits: int = 1) -> str:
    """A difference with its sign: "+1,5" / "−0,2" ("–" for nothing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    body = decimal(abs(float(value)), language, digits)  # type: ignore[arg-type]
    return ("−" if float(value) < 0 else "+") + body  # type: ignore[arg-type]


def metric_value(value: object, language: str) -> str:
    """A metric's value: whole numbers as they are (counts), others to three decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    number = float(value)  # type: ignore[arg-type]
    return decimal(number, language, 0 if number == round(number) else 3)


def _as_datetime(value: object) -> dt.datetime | dt.date | None:
    if isinstance(value, dt.date):
        return value
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def date(value: object, language: str) -> str:
    """A date as the language writes it: "5 Des 2026" / "5 Dec 2026" (text that is not a date
    stays as it is)."""
    when = _as_datetime(value)
    if when is None:
        return str(value) if value else "–"
    day = when.date() if isinstance(when, dt.datetime) else when
    return str(format_date(day, format="medium", locale=LOCALES[language]))


def moment(value: object, language: str) -> str:
    """A date and time to the minute: "5 Des 2026 15.44" / "5 Dec 2026 15:44"."""
    when = _as_datetime(value)
    if not isinstance(when, dt.datetime):
        return date(value, language)
    time = "HH.mm" if language == "id" else "HH:mm"
    return str(format_datetime(when, format=f"d MMM y {time}", locale=LOCALES[language]))
