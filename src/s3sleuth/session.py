"""The library's front door: `s3sleuth.open()` gives a `Store`, one session over a store.

A session holds one engine for its lifetime (one DuckDB connection for a local store), and
every question is a method on it, the same call the command line makes:

    import s3sleuth
    with s3sleuth.open("demo") as store:
        for finding in store.denied(since="7d"):
            print(finding.summary)

Opening a store uses its persisted catalog (`catalog.duckdb`) when that is current; otherwise
it brings the stored enrichment up to date and rebuilds the catalog (when it may write the
store), or defines the views in memory (when it may not).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from s3sleuth.engines import ENGINES, Engine
from s3sleuth.errors import DamagedStoreError, S3SleuthError, StoreError, UsageError
from s3sleuth.store.store import StoreDir, default_root
from s3sleuth.views.joins import TransferWindow
from s3sleuth.window import Window

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import SparkSession

    from s3sleuth.cost.estimate import CostReport
    from s3sleuth.cost.prices import Prices
    from s3sleuth.detect import DetectReport
    from s3sleuth.diagnose.denied import Finding
    from s3sleuth.diagnose.network import NetworkReport
    from s3sleuth.diagnose.result import Result, Row
    from s3sleuth.engines.athena import AthenaOptions
    from s3sleuth.pipeline.result import IngestResult
    from s3sleuth.reports.summary import Summary
    from s3sleuth.store.verify import Problem
    from s3sleuth.values import Rows

Time = str | datetime  # an ISO time, an age such as "7d", or a datetime


def _window(since: Time | None, until: Time | None, bucket: str | None) -> Window:
    if isinstance(since, datetime | None) and isinstance(until, datetime | None):
        return Window(since, until, bucket)
    return Window.parse(
        None if since is None else str(since), None if until is None else str(until), bucket
    )


def _joins(window: TransferWindow | str | None) -> TransferWindow:
    return window if isinstance(window, TransferWindow) else TransferWindow.parse(window)


def _duckdb(root: Path) -> Engine:
    """The store's engine, on its persisted catalog when it is (or can be made) current."""
    from s3sleuth.engines.duckdb import DuckDBEngine, write_catalog
    from s3sleuth.views.upgrade import is_current, upgrade

    enriched = is_current(root)
    if enriched and (engine := DuckDBEngine.on_catalog(root)) is not None:
        return engine
    store = StoreDir(root)
    try:
        with store.lock():
            upgrade(store)
            write_catalog(root)
    except (StoreError, OSError):  # another writer, or a store this process may not write
        return DuckDBEngine(root, enriched=enriched)
    finally:
        store.close()
    return DuckDBEngine.on_catalog(root) or DuckDBEngine(root)


class Store:
    """One session over a store: ingest into it, query it, and ask it the diagnoses.

    Made by `s3sleuth.open()`. With `engine="spark"` or `"athena"` the questions run there
    instead (Athena over its own table: `athena=AthenaOptions(...)`)."""

    def __init__(self, root: Path | None, engine: Engine | None) -> None:
        self.root = root
        self._engine = engine

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            assert self.root is not None
            self._engine = _duckdb(self.root)
        return self._engine

    # -- writing ----------------------------------------------------------------------------

    def ingest(self, *sources: str, **options: Any) -> IngestResult:
        """Ingest SOURCE arguments (files, directories, globs, `.gz`, `-`, `s3://...`); see
        `s3sleuth.pipeline.local.ingest` for the options. The session sees the new rows."""
        if self.root is None:
            raise UsageError("this session reads an Athena table; it has no store to ingest into")
        if self._engine is not None and self._engine.name == "spark":
            from s3sleuth.spark import ingest as spark_ingest

            spark = getattr(self._engine, "spark")  # noqa: B009
            return spark_ingest(spark, list(sources), self.root, **options)
        from s3sleuth.pipeline.local import ingest

        self._reset()
        return ingest(list(sources), self.root, **options)

    # -- checking ---------------------------------------------------------------------------

    def damage(self) -> list[Problem]:
        """Data files the manifest records that are missing or changed size: a quick check,
        cheap enough before every query (`verify` checks everything)."""
        from s3sleuth.store.verify import quick

        if self.root is None:
            return []
        store = StoreDir(self.root)
        try:
            return quick(store)
        except (S3SleuthError, OSError):  # a store this process may only read: no check
            return []
        finally:
            store.close()

    def verify(self, *, checksums: bool = True) -> list[Problem]:
        """Every check: the manifest's integrity, each recorded data file's presence, size,
        row count and checksum, data files the manifest does not know, and that every view
        opens. An empty list: the store is sound."""
        from s3sleuth.store.verify import Problem, check
        from s3sleuth.views.catalog import views

        if self.root is None:
            raise UsageError("this session reads an Athena table; it has no store to verify")
        store = StoreDir(self.root)
        try:
            problems = check(store, checksums=checksums)
        finally:
            store.close()
        if not any(p.kind == "manifest" for p in problems):
            for name in ("rejects", *(view.qualified for view in views())):
                try:
                    self.engine.records(f"SELECT count(*) AS n FROM {name}")
                except S3SleuthError as err:
                    problems.append(Problem("view", name, f"does not open: {err}"))
        return problems

    def repair(self) -> list[str]:
        """Forget what the store lost (the batches whose files are missing or damaged), so
        the next ingest of the same sources restores it; the sources forgotten."""
        from s3sleuth.store.verify import check, repair

        if self.root is None:
            raise UsageError("this session reads an Athena table; it has no store to repair")
        self._reset()
        store = StoreDir(self.root)
        try:
            with store.lock():
                problems = check(store)
                if any(p.kind == "manifest" for p in problems):
                    raise DamagedStoreError(
                        f"the store's manifest is damaged: {problems[0].detail}",
                        hint="restore manifest.sqlite from a backup, or ingest into a new store",
                        path=str(self.root / "manifest.sqlite"),
                    )
                forgotten = repair(store, problems)
        finally:
            store.close()
        return forgotten

    def _reset(self) -> None:
        if self._engine is not None and self._engine.name == "duckdb":
            self._engine.close()
            self._engine = None  # reopened on the next question, on the new catalog

    # -- asking -----------------------------------------------------------------------------

    def query(self, sql: str, dialect: str = "athena", *, unsafe: bool = False) -> pa.Table:
        """Run SQL (Athena's dialect by default) against the store; the result as Arrow.

        Read-only unless `unsafe`: SELECT, DESCRIBE, SHOW, SUMMARIZE and EXPLAIN on the
        store's tables, never a file, an extension or the environment (`sql.guard`)."""
        from s3sleuth.engines.duckdb import DuckDBEngine

        if not unsafe:
            _read_only(sql, dialect)
        engine = self.engine
        if isinstance(engine, DuckDBEngine):
            return engine.run(sql, dialect)
        if dialect != "athena":
            from s3sleuth.errors import QueryError

            raise QueryError(f"the {engine.name} engine takes Athena SQL", dialect=dialect)
        return engine.run(sql)

    def rows(self, sql: str, dialect: str = "athena", *, unsafe: bool = False) -> Rows:
        """The result of `query` as Python rows, what the command line prints: on the store's
        own engine without Arrow, so a short query does not pay for importing it."""
        from s3sleuth.engines.duckdb import DuckDBEngine

        engine = self.engine
        if isinstance(engine, DuckDBEngine):
            if not unsafe:
                _read_only(sql, dialect)
            return engine.fetch(sql, dialect)
        from s3sleuth.output import arrow_rows

        return arrow_rows(self.query(sql, dialect, unsafe=unsafe))

    def time_range(
        self, since: Time | None = None, until: Time | None = None, bucket: str | None = None
    ) -> tuple[int, datetime | None, datetime | None]:
        """How many requests the window holds, and the first and last time among them."""
        where = _window(since, until, bucket).where()
        (row,) = self.engine.records(
            f"SELECT count(*) AS n, min(time) AS first, max(time) AS last "
            f"FROM access_log WHERE {where}"
        )
        return int(row["n"]), row["first"], row["last"]

    def denied(
        self,
        since: Time | None = None,
        until: Time | None = None,
        bucket: str | None = None,
        *,
        transfer_window: TransferWindow | str | None = None,
    ) -> Result[Finding]:
        """Who was denied, and which permission is missing."""
        from s3sleuth.diagnose.denied import denied

        return denied(self.engine, _window(since, until, bucket), _joins(transfer_window))

    def network(
        self,
        since: Time | None = None,
        until: Time | None = None,
        bucket: str | None = None,
        *,
        by: str = "principal",
        ip_ranges: str | os.PathLike[str] | None = None,
        expect_private: bool = False,
    ) -> NetworkReport:
        """Did the traffic use a VPC endpoint, or the internet?"""
        from s3sleuth.diagnose.ip_ranges import IpRanges
        from s3sleuth.diagnose.network import network

        ranges = IpRanges.load(Path(ip_ranges)) if ip_ranges is not None else None
        window = _window(since, until, bucket)
        return network(self.engine, window, by=by, ip_ranges=ranges, expect_private=expect_private)

    def clients(
        self, since: Time | None = None, until: Time | None = None, bucket: str | None = None
    ) -> Result[Row]:
        """Which clients made the requests: console, Transfer Family, CLI, an SDK, ..."""
        from s3sleuth.diagnose.clients import clients

        return clients(self.engine, _window(since, until, bucket))

    def cost(
        self,
        since: Time | None = None,
        until: Time | None = None,
        bucket: str | None = None,
        *,
        by: str = "bucket",
        depth: int = 1,
        prices: str | os.PathLike[str] | Prices | None = None,
        ip_ranges: str | os.PathLike[str] | None = None,
        requester_pays: Iterable[str] = (),
    ) -> CostReport:
        """What the traffic costs: requests by billing tier and internet egress, in USD,
        per `by` group (principal, bucket, prefix, operation, client or network)."""
        from s3sleuth.cost.estimate import cost
        from s3sleuth.cost.prices import BUILT_IN
        from s3sleuth.cost.prices import Prices as PriceTable
        from s3sleuth.diagnose.ip_ranges import IpRanges

        if isinstance(prices, PriceTable):
            table = prices
        else:
            table = PriceTable.load(prices) if prices is not None else BUILT_IN
        ranges = IpRanges.load(Path(ip_ranges)) if ip_ranges is not None else None
        window = _window(since, until, bucket)
        return cost(
            self.engine,
            window,
            by=by,
            depth=depth,
            prices=table,
            ip_ranges=ranges,
            requester_pays=requester_pays,
        )

    def usage(
        self,
        since: Time | None = None,
        until: Time | None = None,
        bucket: str | None = None,
        *,
        by: str = "prefix",
        depth: int = 1,
        inventory: Iterable[str | os.PathLike[str]] = (),
    ) -> Result[Row]:
        """Who reads which data: downloads per key, prefix, principal or client; with S3
        Inventory reports, the objects never read in the window too."""
        from s3sleuth.cost.usage import usage

        window = _window(since, until, bucket)
        reports = [Path(p) for p in inventory]
        return usage(self.engine, window, by=by, depth=depth, inventory=reports)

    def audit(
        self,
        topic: str,
        since: Time | None = None,
        until: Time | None = None,
        bucket: str | None = None,
        *,
        key: str | None = None,
        summary: bool = False,
        accounts: Mapping[str, str] | None = None,
    ) -> Result[Row]:
        """One audit topic: deletes, legacy-auth, acl, presigned, anonymous or cross-account.
        `key` (a glob) and `summary` shape `deletes`; `accounts` (bucket -> owner account)
        `cross-account`."""
        from s3sleuth.audit.topics import Options, audit

        options = Options(key, summary, dict(accounts or {}))
        return audit(self.engine, topic, _window(since, until, bucket), options)

    def detect(
        self,
        since: Time | None = None,
        until: Time | None = None,
        bucket: str | None = None,
        *,
        config: str | os.PathLike[str] | None = None,
        rules: str | os.PathLike[str] | None = None,
    ) -> DetectReport:
        """Every detection rule's findings (the built-in pack, plus the `.sql` rules in
        `rules`), with thresholds from the TOML `config`."""
        from s3sleuth.detect import detect
        from s3sleuth.detect.config import Config

        window = _window(since, until, bucket)
        folder = Path(rules) if rules is not None else None
        return detect(self.engine, window, config=Config.load(config), rules_dir=folder)

    def explain(
        self,
        request_id: str | None = None,
        session: str | None = None,
        *,
        transfer_window: TransferWindow | str | None = None,
    ) -> Result[Row]:
        """Everything known about one request or one Transfer Family session, in time order."""
        from s3sleuth.diagnose.explain import explain

        tw = _joins(transfer_window)
        return explain(self.engine, request_id=request_id, session_id=session, transfer_window=tw)

    def summary(
        self, since: Time | None = None, until: Time | None = None, bucket: str | None = None
    ) -> Summary:
        """The overview of a window: traffic, tops, latency and the diagnoses' headlines."""
        from s3sleuth.reports.summary import summary

        return summary(self.engine, _window(since, until, bucket))

    def report_html(
        self,
        path: str | os.PathLike[str],
        since: Time | None = None,
        until: Time | None = None,
        bucket: str | None = None,
    ) -> Path:
        """Write the summary as one self-contained HTML file (the `html` extra)."""
        from s3sleuth.reports.html import write_report

        return write_report(self.summary(since, until, bucket), Path(path))

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.root if self.root is not None else "Athena"
        return f"<s3sleuth.Store {where}>"


def open(
    path: str | os.PathLike[str] | None = None,
    *,
    engine: str = "duckdb",
    create: bool = False,
    spark: SparkSession | None = None,
    athena: AthenaOptions | None = None,
) -> Store:
    """Open the store at `path` (default: $S3SLEUTH_STORE, else ./.s3sleuth).

    `create` makes an empty store when there is none (for a session that ingests first).
    `engine` is where questions run: `duckdb` (the store itself), `spark` (Spark over the
    store; `spark` is the session to use, else one is started) or `athena` (Amazon Athena
    over the table `athena` names; no local store)."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", hint=f"use one of {', '.join(ENGINES)}")
    if engine == "athena":
        if athena is None:
            raise UsageError("the athena engine needs the database and table of the logs")
        from s3sleuth.engines.athena import AthenaEngine

        return Store(None, AthenaEngine(athena))
    root = default_root(path)
    StoreDir.open(root, create=create).close()  # a clear error when there is no store
    if engine == "spark":
        from s3sleuth.engines.spark import SparkEngine
        from s3sleuth.spark.session import session

        return Store(root, SparkEngine(spark or session(), root))
    return Store(root, None)


def _read_only(sql: str, dialect: str) -> None:
    from s3sleuth.sql.guard import check_all
    from s3sleuth.sql.translate import translate

    check_all(translate(sql, target="duckdb", source=dialect))


def query(
    sql: str, store: str | os.PathLike[str] | None = None, dialect: str = "athena"
) -> pa.Table:
    """One query in its own session: `s3sleuth.open(store).query(sql, dialect)`."""
    with open(store) as session:
        return session.query(sql, dialect)


__all__ = ["Store", "open", "query"]
