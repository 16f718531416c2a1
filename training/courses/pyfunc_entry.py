"""Models-from-code entry point of the training recommender's pyfunc (MLflow 3's preferred way
of logging a custom model: MLflow stores this file, not a pickled object)."""

import mlflow

from training.courses.pyfunc import TrainingRecsModel

mlflow.models.set_model(TrainingRecsModel())
