"""Matching training records to the course catalogue by their free-text titles.

Certificates carry titles as the organiser wrote them ("DIKLAT PKP Angkatan II Tahun 2019",
typos, abbreviations). A conservative match keeps wrong links out: normalise both sides
(case, punctuation, cohort and year suffixes), take exact matches, then close matches above a
high similarity cut-off; anything else stays unmatched (an ingest reports it as a warning; a
national read leaves it empty).
"""

from __future__ import annotations

import difflib
import functools
import re

import pandas as pd

_NOISE = re.compile(
    r"\b(angkatan|gelombang|batch|kelas|tahap)\s+[\w.]+|\btahun\s+\d{4}\b|\b(19|20)\d{2}\b"
)
_PREFIX = re.compile(r"^(diklat|pelatihan|kursus|bimtek|bimbingan teknis)\s+")

SIMILARITY_CUTOFF = 0.9


def normalise_title(title: str) -> str:
    """Lower case, no punctuation, no cohort/year suffix, no leading 'diklat'/'pelatihan'."""
    text = re.sub(r"[^\w\s]", " ", str(title).lower())
    text = _NOISE.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return _PREFIX.sub("", text)


def match_titles(titles: pd.Series, catalogue: pd.DataFrame) -> pd.Series:
    """Catalogue `course_id` for each title, or None when no course matches confidently."""
    by_title = {
        normalise_title(t): c
        for t, c in zip(catalogue["title_id"], catalogue["course_id"], strict=True)
    }
    keys = tuple(by_title)

    def one(title: str) -> str | None:
        key = normalise_title(title)
        if key in by_title:
            return by_title[key]
        close = _closest(key, keys)
        return by_title[close] if close else None

    mapping = {t: one(t) for t in pd.unique(titles.dropna())}
    return titles.map(mapping).astype(object).where(lambda s: s.notna(), None)


@functools.lru_cache(maxsize=1 << 16)
def _closest(key: str, keys: tuple[str, ...]) -> str | None:
    """The catalogue title closest to `key` above the cut-off, remembered: a national job meets
    the same misspelt titles in region after region, and difflib takes milliseconds each."""
    close = difflib.get_close_matches(key, keys, n=1, cutoff=SIMILARITY_CUTOFF)
    return close[0] if close else None
