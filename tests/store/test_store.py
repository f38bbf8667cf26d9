"""Both Store backends keep values and logs exactly, in one transaction per commit."""

import sqlite3
import subprocess
import sys

import pytest

from k351c.errors import StoreError
from k351c.store import MemoryStore, SqliteStore
from testkit import unprivileged


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "m.sqlite")
    yield s
    s.close()


def test_values_and_logs_round_trip(store):
    store.commit({"a": {"x": [1, 2, 3]}}, [("lp", 10.0, [1, 2]), ("lp", 20.0, [3, 4])])
    assert store.get("a") == {"x": [1, 2, 3]}
    assert store.get("missing") is None
    entries = store.entries("lp")
    assert [(e.seq, e.t, e.data) for e in entries] == [(1, 10.0, [1, 2]), (2, 20.0, [3, 4])]
    assert [e.t for e in store.entries("lp", since=15.0)] == [20.0]
    assert [e.t for e in store.entries("lp", until=15.0)] == [10.0]


def test_trim_keeps_the_newest(store):
    store.commit({}, [("ev", float(i), i) for i in range(10)], {"ev": 3})
    assert [e.data for e in store.entries("ev")] == [7, 8, 9]
    store.commit({}, [("ev", 10.0, 10)], {"ev": 3})
    assert [e.data for e in store.entries("ev")] == [8, 9, 10]
    assert store.entries("ev")[-1].seq == 11


def test_big_integers_survive(store):
    store.commit({"r": 2**62 + 1})
    assert store.get("r") == 2**62 + 1


def test_sqlite_persists_across_reopen(tmp_path):
    path = tmp_path / "m.sqlite"
    s = SqliteStore(path)
    s.commit({"k": 1}, [("log", 1.0, "x")])
    s.close()
    s = SqliteStore(path)
    assert s.get("k") == 1
    assert [e.data for e in s.entries("log")] == ["x"]


def test_failed_commit_writes_nothing(tmp_path):
    s = SqliteStore(tmp_path / "m.sqlite")
    s.commit({"k": 1})
    with pytest.raises(ValueError):
        s.commit({"k": 2, "bad": float("nan")})
    assert s.get("k") == 1


@pytest.mark.parametrize(
    "trigger",
    [
        "BEFORE INSERT ON log WHEN NEW.name = 'poison'",  # after the kv rows and a good log row
        "BEFORE DELETE ON log",  # in the trim, after every put and append
    ],
)
def test_commit_failing_between_statements_leaves_nothing_after_reopen(tmp_path, trigger):
    """SQLite itself fails a statement mid-transaction: after reopening only the previous commit is there."""
    path = tmp_path / "m.sqlite"
    s = SqliteStore(path)
    s.commit({"k": 1, "j": 1}, [("lp", 1.0, "a"), ("ev", 1.0, "a")])
    s._db.execute(f"CREATE TRIGGER fail {trigger} BEGIN SELECT RAISE(ABORT, 'injected'); END")
    statements: list[str] = []
    s._db.set_trace_callback(statements.append)
    with pytest.raises(StoreError, match="injected"):
        s.commit(
            {"k": 2, "new": 3},
            [("lp", 2.0, "b"), ("ev", 2.0, "b"), ("poison", 2.0, "x")],
            {"ev": 1},
        )
    done = [st.split()[0] for st in statements]
    assert done[0] == "BEGIN" and done[-1] == "ROLLBACK"
    assert any(st.startswith("INSERT OR REPLACE INTO kv") for st in statements)
    s.close()

    reopened = SqliteStore(path)
    assert (reopened.get("k"), reopened.get("j"), reopened.get("new")) == (1, 1, None)
    assert [e.data for e in reopened.entries("lp")] == ["a"]
    assert [e.data for e in reopened.entries("ev")] == ["a"]
    assert reopened.entries("poison") == []
    reopened.close()


def test_corrupt_file_is_reported_not_replaced(tmp_path):
    path = tmp_path / "m.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot be used|corrupt"):
        SqliteStore(path)
    assert path.read_bytes().startswith(b"this is not a database")


def test_read_only_directory_gives_a_clear_error(tmp_path):
    """In a child without root's privileges, so the directory's mode bits really refuse the file."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    code = (
        "import sys\n"
        "from k351c.errors import StoreError\n"
        "from k351c.store import SqliteStore\n"
        "try:\n"
        "    SqliteStore(sys.argv[1]).commit({'k': 1})\n"
        "except StoreError as e:\n"
        "    print('StoreError', e)\n"
    )
    try:
        proc = subprocess.run(
            unprivileged([sys.executable, "-c", code, str(ro / "m.sqlite")]),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        ro.chmod(0o700)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("StoreError"), proc.stdout
    assert list(ro.iterdir()) == []


def test_read_only_database_raises_store_error_on_commit(tmp_path):
    path = tmp_path / "m.sqlite"
    SqliteStore(path).close()
    s = SqliteStore(path)
    s._db.close()
    s._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    with pytest.raises(StoreError, match="cannot write"):
        s.commit({"k": 1})
