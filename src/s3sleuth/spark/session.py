"""Getting a SparkSession: the one the job already runs in (spark-submit, EMR, Glue,
Databricks), or a local one for the command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from s3sleuth.errors import MissingExtraError, S3SleuthError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MASTER_ENV = "S3SLEUTH_SPARK_MASTER"
JAVA_OPTIONS = "spark.driver.extraJavaOptions"
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")

# Settings the engine relies on: UTC timestamps, as in the DuckDB engine; no web UI.
CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


def require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise MissingExtraError("pyspark", "spark") from None


def session(master: str | None = None) -> SparkSession:
    """The active SparkSession, or a new one: under spark-submit its master is given; from the
    command line, `master`, $S3SLEUTH_SPARK_MASTER, or local[*]."""
    require_pyspark()
    from pyspark import SparkConf
    from pyspark.errors import PySparkRuntimeError
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName("s3sleuth")
    for key, value in CONFIG.items():
        builder = builder.config(key, value)
    if not SparkConf().contains(JAVA_OPTIONS):  # quiet start-up, unless told otherwise
        builder = builder.config(JAVA_OPTIONS, f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}")
    chosen = master or os.environ.get(MASTER_ENV)
    if chosen or not SparkConf().contains("spark.master"):
        builder = builder.master(chosen or "local[*]")
        # Local workers must import s3sleuth: run them on this interpreter, not `python3`.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        spark = builder.getOrCreate()
    except PySparkRuntimeError as err:  # most often: no Java
        raise S3SleuthError(
            f"cannot start Spark: {str(err).splitlines()[0]}",
            hint="Spark needs Java 17 or later on PATH or in JAVA_HOME "
            "(Debian: apt install openjdk-17-jre-headless)",
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark
