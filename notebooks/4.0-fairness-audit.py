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
# # 4.0 Fairness audit
#
# Both models and the historical decisions, by sex and age band: who is selected, at what
# rate, and each group's rate over the best-treated group's (the impact ratio; below 0.8 the
# four-fifths rule flags it for review). Sex and birth date are read only for this audit
# (`features.store.personal`); they are never model features.
#
# - **Training recommender**: who is offered a leadership course (PKP, PKA, PKN: what
#   structural posts require) among their first five suggestions; "historical" is who really
#   started one in the held-out cycle.
# - **Placement model**: who is among the top k suggested for a vacancy, of the eligible pool;
#   "historical" is who was really chosen.
#
# The models are trained here, small, into a temporary MLflow store, exactly as
# `jenjang train` does; each registered version carries its fairness figures, so the last part
# reads them back per version. The size comes from `JENJANG_NOTEBOOK_PEOPLE` (default 3,000).

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from features.ingest.upsert import ingest_folder
from features.store.database import create_db_engine
from training.registry import RegistrySettings as Settings
from features.synth import GeneratorConfig, generate_dataset
from training import registry
from training.courses.kind import TrainConfig, TrainingRecs
from training.courses.model import RecommenderConfig
from training.placement.kind import PlacementConfig, PlacementSuccess
from training.run import train

PEOPLE = int(os.environ.get("JENJANG_NOTEBOOK_PEOPLE", "3000"))
SEED = int(os.environ.get("JENJANG_NOTEBOOK_SEED", "7"))
work = Path(tempfile.mkdtemp(prefix="jenjang-notebook-"))
dataset = work / "data"
generate_dataset(GeneratorConfig.for_scale("province", employees=PEOPLE, seed=SEED), dataset)
settings = Settings(
    database_url=f"sqlite:///{work / 'jenjang.db'}",
    tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
    artifact_root=str(work / "artifacts"),
)
ingest_folder(dataset, create_db_engine(settings.database_url))
small = RecommenderConfig(people_per_cycle=min(PEOPLE, 2000), uptake_max_iter=60, level_max_iter=60)
recs = train(TrainingRecs(TrainConfig(truth_dir=dataset, recommender=small)), settings)
places = train(PlacementSuccess(PlacementConfig(truth_dir=dataset)), settings)


# %%
def rates(fairness: pd.DataFrame) -> pd.DataFrame:
    """Selection rate and impact ratio per model and group, one column per model."""
    table = fairness.pivot_table(
        index=["attribute", "group"], columns="model", values=["rate", "impact_ratio"]
    )
    return table.round(3)


# %% [markdown]
# ## Training recommender: offered a leadership course among the first five

# %%
print(f"held-out cycle {recs.split.test_year}")
rates(recs.report.fairness)

# %%
offered = recs.report.fairness
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for ax, attribute in zip(axes, ("sex", "age_band")):
    part = offered[(offered["attribute"] == attribute) & offered["model"].isin(["learned", "historical"])]
    part.pivot(index="group", columns="model", values="rate").plot(kind="bar", ax=ax, rot=0)
    ax.set_title(f"offered a leadership course, by {attribute}")
    ax.set_ylabel("selection rate")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Placement model: in the top k for a vacancy

# %%
print(f"held-out round {places.split.test_year}")
rates(places.report.fairness[places.report.fairness["k"] == 5])

# %% [markdown]
# ## Per registered version
# The smallest impact ratio per model and attribute, as logged with each version (what the
# analyst's model page shows). Flagged below 0.8.

# %%
client = registry.configure(settings)
rows = []
for name in ("training-recs", "placement-success"):
    for version in registry.versions(client, name):
        for metric, value in version["metrics"].items():
            if metric.startswith("fairness."):
                _, model, attribute, statistic = metric.split(".", 3)
                rows.append(
                    {"registered model": name, "version": version["version"], "scored": model,
                     "attribute": attribute, "statistic": statistic, "value": round(value, 3),
                     "flag": value < 0.8}
                )
pd.DataFrame(rows).sort_values(["registered model", "scored", "attribute", "statistic"])
