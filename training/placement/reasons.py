"""Why a candidate ranks where they do: the largest contributions to the success model's score.

The success model is a logistic regression on standardised features, so each feature's
contribution to a candidate's log-odds is its coefficient times the candidate's standardised
value: positive contributions raise the predicted chance of success, negative ones lower it.
The two or three largest, in words (Bahasa Indonesia and English), are the candidate's reasons.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: How many contributions a candidate's reasons name.
REASONS_SHOWN = 3

#: What each success feature means to a reader (Indonesian, English).
FEATURE_TEXT = {
    "fit_score": ("kecocokan kompetensi dengan standar jabatan", "competency fit to the standard"),
    "shortfall_mean": ("kekurangan kompetensi terhadap standar", "competency shortfall"),
    "surplus_mean": ("kompetensi di atas standar", "competencies above the standard"),
    "field_match": ("bidang yang sesuai dengan jabatan", "field matching the post"),
    "rank_step": ("besarnya lompatan jenjang", "size of the career step"),
    "target_rank": ("tingkat jabatan tujuan", "level of the post"),
    "rating_last": ("predikat SKP terakhir", "last SKP rating"),
    "rating_mean_2y": ("rata-rata predikat SKP 2 tahun", "2-year mean SKP rating"),
    "rating_min_2y": ("predikat SKP terendah 2 tahun", "lowest SKP rating in 2 years"),
    "rating_vs_unit_2y": ("predikat dibanding rekan satu unit", "rating against the unit"),
    "potential_score": ("skor potensi hasil asesmen", "assessed potential score"),
    "missingindicator_potential_score": ("belum pernah diasesmen", "never assessed"),
}


def contributions(pipeline: Any, features: list[str], pairs: pd.DataFrame) -> pd.DataFrame:
    """Per candidate (rows of `pairs`) and model input: coefficient × standardised value."""
    transformed = pipeline[:-1].transform(pairs[features])
    names = pipeline[:-1].get_feature_names_out(features)
    coefficients = pipeline[-1].coef_[0]
    return pd.DataFrame(np.asarray(transformed) * coefficients, columns=names, index=pairs.index)


def reasons(parts: pd.DataFrame, pairs: pd.DataFrame) -> list[list[dict[str, object]]]:
    """Each candidate's largest contributions in words, a list per row."""
    out = []
    values = parts.to_numpy()
    names = np.array(parts.columns)
    for i in range(len(parts)):
        order = np.argsort(-np.abs(values[i]), kind="stable")[:REASONS_SHOWN]
        out.append([_reason(str(names[j]), float(values[i, j]), pairs.iloc[i]) for j in order])
    return out


def _reason(feature: str, contribution: float, pair: pd.Series) -> dict[str, object]:
    name_id, name_en = FEATURE_TEXT.get(feature, (feature, feature))
    raises = contribution >= 0
    value = pair.get(feature)
    shown = None if value is None or pd.isna(value) else round(float(value), 3)
    return {
        "code": "raises_success" if raises else "lowers_success",
        "feature": feature,
        "value": shown,
        "contribution": round(contribution, 4),
        "text_id": f"{name_id.capitalize()} "
        + ("menaikkan" if raises else "menurunkan")
        + " peluang berhasil di jabatan ini",
        "text_en": f"{name_en.capitalize()} "
        + ("raises" if raises else "lowers")
        + " the chance of succeeding in this post",
    }
