"""Diagnoses: questions users come with, answered from the store."""
