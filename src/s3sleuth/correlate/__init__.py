"""Joins of the access log with Transfer Family events and CloudTrail records."""
