"""What the service answers from: the data snapshot of the day, the models in service (loaded,
swapped together on reload), and calling them."""
