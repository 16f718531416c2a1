"""Models-from-code entry point of the placement-success pyfunc (see
`training.courses.pyfunc_entry`)."""

import mlflow

from training.placement.pyfunc import PlacementModel

mlflow.models.set_model(PlacementModel())
