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
# # 1.0 Data overview
#
# A synthetic Gorontalo dataset, generated and ingested the way `make demo` does it, then
# described: rows per table, active ASN by region and type, by position family, the ratings
# over the years, and the generator's calibration against the real published marginals
# (`features/synth/calibration_targets.csv`).
#
# The size comes from `JENJANG_NOTEBOOK_PEOPLE` (default 3,000; the test suite runs it with a
# few hundred). Everything here calls the library: no logic is copied.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from features.ingest.upsert import ingest_folder
from features.store.database import create_db_engine
from features.store.summary import database_summary
from features.synth import GeneratorConfig, generate_dataset
from features.synth.calibration import compare

PEOPLE = int(os.environ.get("JENJANG_NOTEBOOK_PEOPLE", "3000"))
SEED = int(os.environ.get("JENJANG_NOTEBOOK_SEED", "7"))
work = Path(tempfile.mkdtemp(prefix="jenjang-notebook-"))
dataset = work / "data"
generate_dataset(GeneratorConfig.for_scale("province", employees=PEOPLE, seed=SEED), dataset)
engine = create_db_engine(f"sqlite:///{work / 'jenjang.db'}")
result = ingest_folder(dataset, engine)
print(f"{PEOPLE} ASN asked for; ingest batch {result.batch_id}: "
      f"{result.total('inserted'):,} rows inserted, {len(result.report.warnings)} warnings")

# %% [markdown]
# ## What is in the database

# %%
summary = database_summary(engine)
for name, table in summary.items():
    print(f"\n{name}")
    print(table.to_string(index=False))

# %% [markdown]
# ## SKP ratings over the years
# Until 2021 the SKP gave a numeric score; from 2022 (PermenPANRB 6/2022) a rating from the
# work result and behaviour, with the shares the unit's rating allows.

# %%
from features.store.reads import load_records  # noqa: E402

records = load_records(engine)
ratings = records["evaluations"]
shares = pd.crosstab(ratings["year"], ratings["rating"], normalize="index")
ax = shares.plot(kind="bar", stacked=True, figsize=(9, 4), title="SKP ratings by year")
ax.set_ylabel("share of ASN")
ax.legend(bbox_to_anchor=(1.0, 1.0))
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Calibration against the real marginals
# The generator is calibrated on BKN figures and Kota Gorontalo open data. At a small size the
# shares are noisier than at province scale; `ok` says whether each is within its tolerance.

# %%
calibration = compare(dataset)
print(calibration[["statistic", "target", "measured", "tolerance", "ok"]].to_string(index=False))
print(f"\n{calibration['ok'].mean():.0%} of the marginals within tolerance at {PEOPLE} ASN")
