"""SQLite Store in WAL mode: one transaction per commit, so a kill -9 leaves the last commit intact."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from k351c.errors import StoreError
from k351c.store.base import LogEntry

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log (
    name TEXT NOT NULL, seq INTEGER NOT NULL, t REAL NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (name, seq)
);
CREATE INDEX IF NOT EXISTS log_time ON log (name, t);
"""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


class SqliteStore:
    """A Store in one SQLite file; raises StoreError for corrupt, unreadable or unwritable files."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            check = self._db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"state database {self.path} is corrupt: {check}")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"state database {self.path} cannot be used: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"state directory {self.path.parent} cannot be used: {exc}") from exc

    def get(self, key: str) -> Any | None:
        """The value last committed under ``key``, or None."""
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except ValueError as exc:
            raise StoreError(f"state database {self.path}: value {key!r} is corrupt") from exc

    def commit(
        self,
        puts: Mapping[str, Any] = {},
        appends: Iterable[tuple[str, float, Any]] = (),
        trims: Mapping[str, int] = {},
    ) -> None:
        """Write everything in one IMMEDIATE transaction; on failure nothing is written."""
        appends = list(appends)
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                if puts:
                    db.executemany(
                        "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)",
                        [(k, _dumps(v)) for k, v in puts.items()],
                    )
                if appends:
                    self._append(appends)
                for log, keep in trims.items():
                    db.execute(
                        "DELETE FROM log WHERE name = ? AND seq <= "
                        "(SELECT COALESCE(MAX(seq), 0) FROM log WHERE name = ?) - ?",
                        (log, log, keep),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write state database {self.path}: {exc}") from exc

    def _append(self, appends: list[tuple[str, float, Any]]) -> None:
        next_seq: dict[str, int] = {}
        rows = []
        for log, t, data in appends:
            if log not in next_seq:
                row = self._db.execute("SELECT MAX(seq) FROM log WHERE name = ?", (log,)).fetchone()
                next_seq[log] = (row[0] or 0) + 1
            rows.append((log, next_seq[log], float(t), _dumps(data)))
            next_seq[log] += 1
        self._db.executemany("INSERT INTO log (name, seq, t, data) VALUES (?, ?, ?, ?)", rows)

    def entries(
        self, log: str, since: float | None = None, until: float | None = None, limit: int | None = None
    ) -> list[LogEntry]:
        """Records of a log in order, optionally within [since, until]."""
        sql = "SELECT seq, t, data FROM log WHERE name = ?"
        args: list[Any] = [log]
        if since is not None:
            sql += " AND t >= ?"
            args.append(since)
        if until is not None:
            sql += " AND t <= ?"
            args.append(until)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [LogEntry(s, t, json.loads(d)) for s, t, d in self._db.execute(sql, args)]

    def close(self) -> None:
        """Close the database (a checkpoint folds the WAL back)."""
        try:
            self._db.close()
        except sqlite3.Error:
            pass


def open_store(state_dir: str | Path | None, name: str = "meter.sqlite"):
    """A SqliteStore in ``state_dir``, or a MemoryStore when no directory is given."""
    from k351c.store.memory import MemoryStore

    if state_dir is None:
        return MemoryStore()
    return SqliteStore(Path(state_dir) / name)
