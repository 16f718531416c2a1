"""The `jenjang` subcommands contributed by `training`: train, models, cycle, placements,
analyses, bench."""
