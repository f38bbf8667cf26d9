"""Permanent memory: a Store protocol with an in-memory and a SQLite (WAL) backend."""

from k351c.store.base import LogEntry, Store
from k351c.store.memory import MemoryStore
from k351c.store.sqlite import SqliteStore, open_store

__all__ = ["LogEntry", "MemoryStore", "SqliteStore", "Store", "open_store"]
