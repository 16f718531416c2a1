"""The Spark session of a national job, on this machine or a cluster.

The Python workers run the driver's interpreter unless ``PYSPARK_PYTHON`` says otherwise, so
that they import the same Jenjang and libraries (a cluster's executors need them installed:
``pip install jenjang[spark]`` in the image). Spark needs Java 17 or later; without it the
session cannot start, and `JavaMissing` says what to install.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class JavaMissing(RuntimeError):
    """Spark cannot start: no Java runtime, or no pyspark."""


def start_session(
    master: str, app: str = "jenjang", settings: dict[str, str] | None = None
) -> SparkSession:
    """A session on `master` (``local[2]``, ``spark://host:7077``, ``yarn``, ``k8s://…``).
    `settings`: more Spark configuration (``spark.executor.memory``, say)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise JavaMissing(
            "Spark needs Java 17 or later and none was found: install it "
            "(Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise JavaMissing(
            "pyspark is not installed: pip install 'jenjang[spark]' (make test installs it)"
        ) from error
    # pyspark 4 warns on every pandas call under pandas 3; the national tests check the results
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # one region's answers are yielded a few thousand rows at a time
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "20000")
    )
    for name, value in (settings or {}).items():
        builder = builder.config(name, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
