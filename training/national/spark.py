"""The Spark session of a national job, on this machine or a cluster.

The Python workers run the driver's interpreter unless ``PYSPARK_PYTHON`` says otherwise, so
that they import the same Jenjang and libraries (a cluster's executors need them installed:
``pip install jenjang[spark]`` in the image). Spark needs pyspark and Java 17 or later; without
them the session cannot start, and `SparkUnavailable` says what to install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class SparkUnavailable(RuntimeError):
    """Spark cannot start here: no pyspark, or no Java 17 or later."""


#: The oldest Java that pyspark 4 runs on.
JAVA_MAJOR = 17


def java_major() -> int | None:
    """The major version of the Java that Spark would start (JAVA_HOME's, else the PATH's)."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if java is None:
        return None
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if found is None:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


def start_session(
    master: str, app: str = "jenjang", settings: dict[str, str] | None = None
) -> SparkSession:
    """A session on `master` (``local[2]``, ``spark://host:7077``, ``yarn``, ``k8s://…``).
    `settings`: more Spark configuration (``spark.executor.memory``, say)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise SparkUnavailable(
            "pyspark is not installed: pip install 'jenjang[spark]' (make test installs it)"
        ) from error
    major = java_major()
    if major is None or major < JAVA_MAJOR:
        found = "none was found" if major is None else f"found Java {major}"
        raise SparkUnavailable(
            f"Spark needs Java {JAVA_MAJOR} or later and {found}: install it (Debian: "
            "apt-get install openjdk-17-jre-headless) or point JAVA_HOME at one"
        )
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
        # Spark runs a Python worker per core: each one's OpenMP (the boosted trees' predict)
        # must not start a thread per core as well (0.1M scored: 106 s → 99 s on local[2])
        .config("spark.executorEnv.OMP_NUM_THREADS", "1")
    )
    for name, value in (settings or {}).items():
        builder = builder.config(name, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
