"""National scale on Apache Spark: the province's pandas builders and the registered pyfunc, run
region by region over Parquet partitioned by region (`features.store.regions`), the same job
on ``local[2]`` here and on a cluster (docs/national.md)."""
