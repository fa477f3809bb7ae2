"""SQL written once in Athena's dialect and translated by sqlglot for each engine."""

from s3sleuth.sql.translate import DIALECTS, joda_to_strftime, translate

__all__ = ["DIALECTS", "joda_to_strftime", "translate"]
