"""The results store: one SQLite file per sweep folder, ``DIR/results.sqlite``.

Tables: ``runs`` (one row per finished run, committed as soon as it lands; unique on the
resume key label + instance_hash + seed + config_hash), ``instances`` (each instance's
JSON, so stored solutions can be re-scored later), ``reference_values`` (exact optima
and best-known values per instance and split variant) and ``sweeps`` (one row per
``gqap bench run``). The column list is documented in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from gqap.bench import references
from gqap.errors import GQAPError
from gqap.family import current
from gqap.solvers.base import Status

DB_NAME = "results.sqlite"

RUN_COLUMNS = (
    "run_id", "solver", "label", "options", "instance", "instance_hash", "family", "sense",
    "n_users_or_facilities", "gpus_or_sites", "b_max", "variant", "seed", "status", "killed",
    "objective", "objective_per_user", "bound", "reference", "reference_kind", "gap_abs",
    "gap_per_user", "gap_rel", "wall_time_s", "time_limit", "solver_version", "config_hash",
    "config_name", "sweep_id", "started_at", "finished_at", "granted", "mean_pai",
    "mean_latency_s", "solution", "info", "error", "host",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    solver TEXT NOT NULL,
    label TEXT NOT NULL,
    options TEXT NOT NULL,
    instance TEXT NOT NULL,
    instance_hash TEXT NOT NULL,
    family TEXT NOT NULL,
    sense TEXT NOT NULL,
    n_users_or_facilities INTEGER NOT NULL,
    gpus_or_sites INTEGER,
    b_max INTEGER,
    variant TEXT NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL,
    killed INTEGER NOT NULL DEFAULT 0,
    objective REAL,
    objective_per_user REAL,
    bound REAL,
    reference REAL,
    reference_kind TEXT,
    gap_abs REAL,
    gap_per_user REAL,
    gap_rel REAL,
    wall_time_s REAL,
    time_limit REAL,
    solver_version TEXT,
    config_hash TEXT NOT NULL,
    config_name TEXT,
    sweep_id INTEGER,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    granted INTEGER,
    mean_pai REAL,
    mean_latency_s REAL,
    solution TEXT,
    info TEXT,
    error TEXT,
    host TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS runs_key ON runs(label, instance_hash, seed, config_hash);
CREATE TABLE IF NOT EXISTS instances (
    instance_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    family TEXT NOT NULL,
    size INTEGER NOT NULL,
    gpus_or_sites INTEGER,
    b_max INTEGER,
    params TEXT NOT NULL,
    origin TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reference_values (
    instance_hash TEXT NOT NULL,
    variant TEXT NOT NULL,
    kind TEXT NOT NULL,
    value REAL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (instance_hash, variant, kind)
);
CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id INTEGER PRIMARY KEY AUTOINCREMENT,
    config_name TEXT NOT NULL,
    config TEXT NOT NULL,
    executor TEXT NOT NULL,
    workers INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    planned INTEGER NOT NULL,
    already_stored INTEGER NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    wall_s REAL,
    machine TEXT
);
"""


def utc_now() -> str:
    """Current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def utc_from_unix(t: float) -> str:
    """A Unix time as ISO 8601 UTC with milliseconds."""
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")


class ResultStore:
    """An open results database (WAL journal: each committed row survives a SIGKILL)."""

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        try:
            if readonly:
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
                self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(self.path)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(_SCHEMA)
                columns = {r[1] for r in self.db.execute("PRAGMA table_info(sweeps)")}
                if "machine" not in columns:  # a store written before sweeps recorded it
                    self.db.execute("ALTER TABLE sweeps ADD COLUMN machine TEXT")
                self.db.commit()
        except sqlite3.DatabaseError as exc:  # a damaged or foreign file: name it, one line
            raise GQAPError(f"{self.path}: not a usable results database ({exc})") from None
        self.db.row_factory = sqlite3.Row

    @classmethod
    def in_dir(cls, out_dir: str | Path, readonly: bool = False) -> ResultStore:
        """The store of a sweep folder."""
        return cls(Path(out_dir) / DB_NAME, readonly)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- runs ------------------------------------------------------------------------
    def done_keys(self) -> set[tuple[str, str, int, str]]:
        """Resume keys of every stored run."""
        cur = self.db.execute("SELECT label, instance_hash, seed, config_hash FROM runs")
        return {(r[0], r[1], int(r[2]), r[3]) for r in cur}

    def insert_run(self, row: dict[str, Any]) -> bool:
        """Store one finished run and commit; False when its key was already stored."""
        values = [_sql(row.get(c)) for c in RUN_COLUMNS]
        cur = self.db.execute(
            f"INSERT OR IGNORE INTO runs ({', '.join(RUN_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(RUN_COLUMNS))})", values)
        self.db.commit()
        return cur.rowcount == 1

    def delete_failed(self, keys: Iterable[tuple[str, str, int, str]]) -> int:
        """Delete the error rows (not the killed ones) among ``keys`` and the failed
        reference attempts, so that a rerun tries them again; returns the rows deleted."""
        n = 0
        for key in keys:
            n += self.db.execute(
                "DELETE FROM runs WHERE label = ? AND instance_hash = ? AND seed = ? AND "
                "config_hash = ? AND status = 'error' AND killed = 0", key).rowcount
        self.db.execute("DELETE FROM reference_values WHERE value IS NULL")
        self.db.commit()
        return n

    def rows(self, latest_only: bool = True) -> list[dict[str, Any]]:
        """Stored runs as dicts; by default only the newest row per (label, instance, seed)
        (an older row was made under another config hash)."""
        rows = [_read_row(r) for r in self.db.execute("SELECT * FROM runs ORDER BY finished_at")]
        if not latest_only:
            return rows
        latest: dict[tuple[str, str, int], dict[str, Any]] = {}
        for r in rows:
            latest[(r["label"], r["instance_hash"], r["seed"])] = r
        return list(latest.values())

    def working_solvers(self) -> set[tuple[str, str]]:
        """(label, config_hash) pairs with at least one stored run that did not fail."""
        return {(r[0], r[1]) for r in self.db.execute(
            "SELECT DISTINCT label, config_hash FROM runs WHERE status != 'error'")}

    def count(self) -> int:
        """Number of stored runs."""
        return int(self.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    # ---- instances -------------------------------------------------------------------
    def put_instances(self, records: Iterable[Any]) -> None:
        """Store instances (``bench.sources.InstanceRecord``) not stored yet."""
        from gqap.io import instance_to_dict

        known = {r[0] for r in self.db.execute("SELECT instance_hash FROM instances")}
        rows = [(r.hash, r.name, r.family, r.size, r.secondary, r.b_max,
                 json.dumps(r.params, sort_keys=True, default=str), r.origin,
                 json.dumps(instance_to_dict(r.instance)))
                for r in records if r.hash not in known]
        self.db.executemany("INSERT OR IGNORE INTO instances VALUES (?,?,?,?,?,?,?,?,?)", rows)
        self.db.commit()

    def instance(self, instance_hash: str) -> Any:
        """The stored instance with this content hash."""
        from gqap.io import instance_from_dict

        row = self.db.execute("SELECT data FROM instances WHERE instance_hash = ?",
                              (instance_hash,)).fetchone()
        if row is None:
            raise KeyError(instance_hash)
        return instance_from_dict(json.loads(row[0]))

    def instance_rows(self) -> list[dict[str, Any]]:
        """Instance metadata (without the data column)."""
        return [{**dict(r), "family": current(r["family"])} for r in self.db.execute(
            "SELECT instance_hash, name, family, size, gpus_or_sites, b_max, params, origin "
            "FROM instances")]

    # ---- references ------------------------------------------------------------------
    def put_reference(self, instance_hash: str, variant: str, kind: str,
                      value: float | None, source: str) -> None:
        """Store (or replace) a reference value; None records a failed attempt."""
        self.db.execute("INSERT OR REPLACE INTO reference_values VALUES (?,?,?,?,?,?)",
                        (instance_hash, variant, kind, value, source, utc_now()))
        self.db.commit()

    def reference_attempts(self) -> set[tuple[str, str, str]]:
        """(instance_hash, variant, kind) of every stored reference, failed ones included."""
        return {(r[0], r[1], r[2]) for r in self.db.execute(
            "SELECT instance_hash, variant, kind FROM reference_values")}

    def references(self) -> dict[tuple[str, str], dict[str, float]]:
        """(instance_hash, variant) -> {kind: value} of the successful references."""
        out: dict[tuple[str, str], dict[str, float]] = {}
        for h, v, kind, value in self.db.execute(
                "SELECT instance_hash, variant, kind, value FROM reference_values "
                "WHERE value IS NOT NULL"):
            out.setdefault((h, v), {})[kind] = value
        return out

    def refresh_gaps(self) -> int:
        """Recompute every stored row's reference and gaps (best-found references move as
        runs land); returns the number of rows updated."""
        rows = self.rows(latest_only=False)
        updated = references.assign(rows, self.references())
        self.db.executemany(
            "UPDATE runs SET reference = ?, reference_kind = ?, gap_abs = ?, gap_per_user = ?,"
            " gap_rel = ? WHERE run_id = ?",
            [(r["reference"], r["reference_kind"], r["gap_abs"], r["gap_per_user"],
              r["gap_rel"], r["run_id"]) for r in updated])
        self.db.commit()
        return len(updated)

    # ---- sweeps ----------------------------------------------------------------------
    def start_sweep(self, config_name: str, config: dict[str, Any], executor: str,
                    workers: int, host: str, planned: int, already: int,
                    machine: str = "") -> int:
        """Record a sweep's start (``machine``: the conditions it ran under); returns its
        id."""
        cur = self.db.execute(
            "INSERT INTO sweeps (config_name, config, executor, workers, host, started_at, "
            "planned, already_stored, machine) VALUES (?,?,?,?,?,?,?,?,?)",
            (config_name, json.dumps(config, default=str), executor, workers, host, utc_now(),
             planned, already, machine))
        self.db.commit()
        return int(cur.lastrowid)

    def finish_sweep(self, sweep_id: int, completed: int, failed: int, wall_s: float) -> None:
        """Record a sweep's end."""
        self.db.execute("UPDATE sweeps SET finished_at = ?, completed = ?, failed = ?, "
                        "wall_s = ? WHERE sweep_id = ?",
                        (utc_now(), completed, failed, wall_s, sweep_id))
        self.db.commit()

    def sweeps(self) -> list[dict[str, Any]]:
        """Every recorded sweep, oldest first."""
        return [dict(r) for r in self.db.execute("SELECT * FROM sweeps ORDER BY sweep_id")]


def _read_row(r: sqlite3.Row) -> dict[str, Any]:
    """A stored run as a dict, its status read back as ``Status`` and its family under its
    current name (stores written before a family's rename keep working)."""
    row = dict(r)
    row["status"] = Status(row["status"])
    row["family"] = current(row["family"])
    return row


def _sql(v: Any) -> Any:
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, dict | list):
        return json.dumps(v, default=str)
    if isinstance(v, bool):
        return int(v)
    return v
