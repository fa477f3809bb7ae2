"""One local Spark session for the Spark tests (it takes seconds to start)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from s3sleuth.spark import session

    spark = session("local[2]")
    yield spark
    spark.stop()
