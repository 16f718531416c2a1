"""Models-from-code entry point of the placement-success pyfunc (see `training.pyfunc_entry`)."""

import mlflow

from training.placement_pyfunc import PlacementModel

mlflow.models.set_model(PlacementModel())
