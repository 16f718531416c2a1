# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3.0 Training impact
#
# Does a course raise the competencies it promises, and the next SKP score? Takers chose
# their courses, so they differ from non-takers before any course: `training.analyses.impact` adjusts
# for that with a doubly robust estimator (AIPW, cross-fitted scikit-learn models) and gives
# each course's effect on its takers with a 95% interval (docs/analyses.md).
#
# On a generated dataset the true effects are known (`truth/`), so the last part measures how
# far the estimates are from them: the check that the method works.
#
# The size comes from `JENJANG_NOTEBOOK_PEOPLE` (default 3,000) and the fewest takers per
# course from `JENJANG_NOTEBOOK_MIN_TAKERS` (default 30).

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from features.ingest.upsert import ingest_folder
from features.store.database import create_db_engine
from features.store.reads import load_records
from features.synth import GeneratorConfig, generate_dataset
from training.analyses.impact import compare_with_truth, competency_effects, performance_effects
from training.truth import Truth

PEOPLE = int(os.environ.get("JENJANG_NOTEBOOK_PEOPLE", "3000"))
MIN_TAKERS = int(os.environ.get("JENJANG_NOTEBOOK_MIN_TAKERS", "30"))
SEED = int(os.environ.get("JENJANG_NOTEBOOK_SEED", "7"))
work = Path(tempfile.mkdtemp(prefix="jenjang-notebook-"))
dataset = work / "data"
generate_dataset(GeneratorConfig.for_scale("province", employees=PEOPLE, seed=SEED), dataset)
engine = create_db_engine(f"sqlite:///{work / 'jenjang.db'}")
ingest_folder(dataset, engine)
records = load_records(engine)
truth = Truth.load(dataset)

# %% [markdown]
# ## Effects on the competencies each course develops
# Change in the measured level between two assessments, for those who took the course in
# between, against those who did not.

# %%
competencies = competency_effects(records, pd.Timestamp("2026-06-30"), truth, MIN_TAKERS)
print(f"{len(competencies)} course × competency effects with at least {MIN_TAKERS} takers")
competencies.sort_values("effect", ascending=False).head(10)

# %%
fig, ax = plt.subplots(figsize=(6, 6))
ax.errorbar(
    competencies["true_effect"],
    competencies["effect"],
    yerr=[competencies["effect"] - competencies["low"], competencies["high"] - competencies["effect"]],
    fmt="o", alpha=0.6, label="doubly robust estimate (95% interval)",
)
ax.scatter(competencies["true_effect"], competencies["naive"], marker="x", label="naive difference")
top = max(competencies[["true_effect", "high"]].max())
ax.plot([0, top], [0, top], color="grey", linestyle="--", label="estimate = truth")
ax.set_xlabel("true effect (levels)")
ax.set_ylabel("estimated effect (levels)")
ax.legend()
plt.show()

# %% [markdown]
# ## Effects on the next SKP score
# Score the year after the course minus the year before, in the years SKP gave a score.

# %%
performance = performance_effects(records, pd.Timestamp("2026-06-30"), truth, MIN_TAKERS)
print(f"{len(performance)} courses with at least {MIN_TAKERS} takers in a scored year")
performance.sort_values("effect", ascending=False).head(10)

# %% [markdown]
# ## How far from the truth
# `coverage` is how often the 95% interval holds the true effect: about 0.95 when the method
# works. `naive_mae` is what comparing takers with everyone else would give.

# %%
pd.DataFrame(
    {
        "competencies (levels)": compare_with_truth(competencies),
        "SKP score (points)": compare_with_truth(performance),
    }
).round(3)
