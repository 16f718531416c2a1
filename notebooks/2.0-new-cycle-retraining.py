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
# # 2.0 A new cycle: ingest, drift, retrain, compare, promote
#
# Each year brings new SKP ratings, assessments, training records and placements. This
# notebook walks through the analyst's cycle with the library's own functions — the same ones
# the `jenjang cycle …`, `jenjang train all` and `jenjang models …` commands call:
#
# 1. the models in service were trained on the data up to the 2025 cycle;
# 2. the 2026 cycle arrives (here generated on top of the same dataset: the same people, one
#    year on) and is ingested, with a report of what it added and changed;
# 3. the drift of 2026 against 2025: did the people, the labels, the courses change?
# 4. both models are retrained and compared with their champions on the same newest
#    held-out cycle, then promoted through the gate — or not.
#
# The size comes from `JENJANG_NOTEBOOK_PEOPLE` (default 3,000); `JENJANG_NOTEBOOK_MAX_ITER`
# (default 200, the recommender's own) bounds its boosting rounds, so a test run stays quick.

# %%
import datetime as dt
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from features.ingest.cycle import ingest_cycle
from features.store.database import create_db_engine
from features.store.reads import load_records
from training.registry import RegistrySettings as Settings
from features.synth import GeneratorConfig, generate_dataset, next_cycle_config
from training import registry
from training.courses.kind import TrainConfig, TrainingRecs
from training.courses.model import RecommenderConfig
from training.drift import drift_report
from training.placement.kind import PlacementConfig, PlacementSuccess
from training.run import train
from training.promotion import compare, promote
from training.promotion import PromotionRefused

PEOPLE = int(os.environ.get("JENJANG_NOTEBOOK_PEOPLE", "3000"))
SEED = int(os.environ.get("JENJANG_NOTEBOOK_SEED", "7"))
MAX_ITER = int(os.environ.get("JENJANG_NOTEBOOK_MAX_ITER", "200"))
RECOMMENDER = RecommenderConfig(uptake_max_iter=MAX_ITER, level_max_iter=MAX_ITER)
MODELS = ("training-recs", "placement-success")
work = Path(tempfile.mkdtemp(prefix="jenjang-notebook-"))
settings = Settings(
    database_url=f"sqlite:///{work / 'jenjang.db'}",
    tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
    artifact_root=str(work / "artifacts"),
)
engine = create_db_engine(settings.database_url)

# %% [markdown]
# ## The models in service: trained on the cycles up to 2025

# %%
first = work / "cycle-2025"
generate_dataset(GeneratorConfig.for_scale("province", employees=PEOPLE, seed=SEED), first)
ingest_cycle(first, engine, 2025, extracted_on=dt.date(2026, 6, 30))
train(TrainingRecs(TrainConfig(truth_dir=first, recommender=RECOMMENDER)), settings)
train(PlacementSuccess(PlacementConfig(truth_dir=first)), settings)
for name in MODELS:
    promote(settings, name, reason="first champion", by="notebook")
client = registry.configure(settings)
{name: registry.alias_version(client, name, registry.CHAMPION) for name in MODELS}

# %% [markdown]
# ## The 2026 cycle arrives
# A whole export, as the HR system gives one: most rows are already in the database. The
# report counts, per table, the rows added (by the year of their facts: the cycle itself, or
# late records of earlier years), the rows changed and which columns changed — placements
# that ended, people who left — and the rows rejected (none here).

# %%
second = work / "cycle-2026"
generate_dataset(next_cycle_config(first), second)
cycle = ingest_cycle(second, engine, 2026, extracted_on=dt.date(2027, 6, 30))
cycle.to_frame()

# %% [markdown]
# ## Drift of 2026 against 2025
# PSI over the previous cycle's deciles (above 0.25: a large shift, above 0.1: moderate)
# and the KS statistic, per model feature; label rates; courses and posts never seen before.

# %%
records = load_records(engine)
drift = drift_report(records, 2026, 2025)
shifted = drift.features.dropna(subset=["psi"]).sort_values("psi", ascending=False)
shifted.head(10)

# %%
fig, ax = plt.subplots(figsize=(7, 4))
top = shifted.head(15).iloc[::-1]
ax.barh(top["feature"], top["psi"])
ax.axvline(0.1, color="orange", linestyle="--", label="moderate (0.1)")
ax.axvline(0.25, color="red", linestyle="--", label="large (0.25)")
ax.set_xlabel("PSI, 2026 against 2025")
ax.legend()
plt.tight_layout()
plt.show()

# %%
pd.concat([drift.labels, drift.coverage.rename(columns={"what": "label"})], ignore_index=True)

# %% [markdown]
# ## Retrain both models and compare them with their champions
# Both versions are evaluated on the same newest held-out cycle; the gate allows the
# challenger when no gated metric is worse than the champion's by more than the tolerance.

# %%
train(TrainingRecs(TrainConfig(truth_dir=second, recommender=RECOMMENDER)), settings)
train(PlacementSuccess(PlacementConfig(truth_dir=second)), settings)
comparisons = {name: compare(settings, name, truth_dir=second) for name in MODELS}
for name, comparison in comparisons.items():
    verdict = "passes" if comparison.passed else "fails"
    print(
        f"{name}: challenger v{comparison.challenger} {verdict} the gate against "
        f"v{comparison.champion} on {comparison.test_year}"
    )
comparisons["training-recs"].metrics.round(4)

# %%
comparisons["placement-success"].metrics.round(4)

# %% [markdown]
# ## Promote through the gate
# A refused challenger stays a challenger: the champion keeps serving, and the refusal's
# evidence is shown. Forcing needs a reason and is recorded as forced (`jenjang models
# promote --force --reason …`); this notebook does not force.

# %%
for name in MODELS:
    try:
        promote(settings, name, reason="the 2026 cycle", by="notebook", truth_dir=second)
        print(f"{name}: v{comparisons[name].challenger} is champion")
    except PromotionRefused as refused:
        print(f"{name}: refused — {refused}")

# %%
history = pd.concat([registry.history(engine, name) for name in MODELS])
history[["model_name", "alias", "version", "previous_version", "moved_by", "reason", "forced"]]

# %%
serving = {name: registry.alias_version(client, name, registry.CHAMPION) for name in MODELS}
print(f"In service after the 2026 cycle: {serving}")
