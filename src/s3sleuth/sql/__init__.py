"""SQL written once in Athena's dialect and translated by sqlglot for each engine
(`sql.translate`), run by an engine (`sql.engine`, `sql.run`).

Nothing is imported here, so modules that only need `sql.literal` or `sql.engine` do not load
sqlglot (~0.1 s).
"""
