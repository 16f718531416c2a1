"""Every registered model Jenjang trains, by name: the one place the model packages are listed.

The CLI, the promotion gate and the model status read this; adding a model is adding its
package and one line here.
"""

from __future__ import annotations

from pathlib import Path

from training.courses.kind import TrainingRecs
from training.kind import ModelKind
from training.placement.kind import PlacementSuccess

KINDS: dict[str, type[ModelKind]] = {kind.name: kind for kind in (TrainingRecs, PlacementSuccess)}


def kind_of(name: str, truth_dir: Path | None = None) -> ModelKind:
    """The kind registered as `name`, evaluating against `truth_dir`'s truth when given."""
    if name not in KINDS:
        raise LookupError(f"unknown model {name!r}; known: {', '.join(sorted(KINDS))}")
    kind = KINDS[name]()
    kind.truth_dir = truth_dir
    return kind
