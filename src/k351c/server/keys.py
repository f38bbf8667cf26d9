"""Per-meter secrets: LLS password, authentication and encryption keys, in the state directory."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Protocol

from k351c.errors import ConfigError, StoreError

TEST_KEYS = {
    "lls_password": "12345678",
    "authentication_key": "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF",
    "encryption_key": "000102030405060708090A0B0C0D0E0F",
    "master_key": "000102030405060708090A0B0C0D0E0F",
}
KEY_FILE = "keys.json"


@dataclass(frozen=True)
class MeterKeys:
    """The secrets of one meter (hex keys, 16 octets each); never logged."""

    lls_password: str
    authentication_key: str
    encryption_key: str
    master_key: str

    def __repr__(self) -> str:
        return "MeterKeys(<secret>)"

    @classmethod
    def random(cls) -> MeterKeys:
        """Fresh random keys and an 8-digit password."""
        return cls(
            lls_password="".join(secrets.choice("0123456789") for _ in range(8)),
            authentication_key=secrets.token_hex(16).upper(),
            encryption_key=secrets.token_hex(16).upper(),
            master_key=secrets.token_hex(16).upper(),
        )

    @classmethod
    def test(cls) -> MeterKeys:
        """The well-known lab keys of DESIGN.md (labs and tests only)."""
        return cls(**TEST_KEYS)

    def key(self, name: str) -> bytes:
        """A key as 16 bytes."""
        return bytes.fromhex(getattr(self, name))

    def with_key(self, name: str, value: bytes) -> MeterKeys:
        """A copy with one key replaced."""
        if len(value) != 16:
            raise ConfigError(name, f"{len(value)} octets", "16 octets (AES-128)")
        return replace(self, **{name: value.hex().upper()})


class KeyHolder(Protocol):
    """What the security keeper needs of a key store: the keys, where they live, how to replace them."""

    keys: MeterKeys
    path: Path | None

    def update(self, keys: MeterKeys) -> None:
        """Replace the keys (persisted where the store keeps them)."""
        ...


class KeyStore:
    """Loads, creates and saves keys.json in a state directory (or keeps them in memory)."""

    def __init__(self, state_dir: str | Path | None, test_keys: bool = False) -> None:
        self.path = Path(state_dir) / KEY_FILE if state_dir is not None else None
        self.keys = self._load_or_create(test_keys)

    def _load_or_create(self, test_keys: bool) -> MeterKeys:
        if test_keys:
            keys = MeterKeys.test()
            if self.path is not None and not self.path.exists():
                self._write(keys)
            return keys
        if self.path is not None and self.path.exists():
            try:
                return MeterKeys(**json.loads(self.path.read_text()))
            except (ValueError, TypeError) as exc:
                raise StoreError(f"key file {self.path} is corrupt: {exc}") from exc
        keys = MeterKeys.random()
        if self.path is not None:
            self._write(keys)
        return keys

    def _write(self, keys: MeterKeys) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(keys), handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def update(self, keys: MeterKeys) -> None:
        """Replace the keys and persist them before returning."""
        if self.path is not None:
            self._write(keys)
        self.keys = keys


SECURITY_FILE = "security.json"
COUNTER_BLOCK = 1024
DEFAULT_POLICY = 3


def _write_json(path: Path, data: dict, sync: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
        handle.flush()
        if sync:
            os.fsync(handle.fileno())
    os.replace(tmp, path)


class SecurityState:
    """Persisted DLMS security state: policy, the server's invocation counter, clients' last counters
    and the failed-authentication bookkeeping (delays and lockouts per client).

    The server counter is reserved in blocks written (and fsynced) before any value of the block is
    used, so after a restart, even after SIGKILL, counting resumes past every value ever sent.
    """

    def __init__(
        self, state_dir: str | Path | None, block: int = COUNTER_BLOCK, policy: int = DEFAULT_POLICY
    ) -> None:
        self.path = Path(state_dir) / SECURITY_FILE if state_dir is not None else None
        self.block = block
        data = self._read()
        self.policy = int(data.get("policy", policy))
        self._reserved = int(data.get("server_counter_reserved", 0))
        self._next = max(self._reserved, 1)  # 0 is never sent: clients expect a counter above it
        self.clients: dict[str, int] = {
            str(k): int(v) for k, v in data.get("client_counters", {}).items()
        }
        self.authentication: dict = dict(data.get("authentication", {}))
        self.dirty = False

    def _read(self) -> dict:
        if self.path is None or not self.path.exists():
            return {}
        try:
            return json.loads(self.path.read_text())
        except ValueError as exc:
            raise StoreError(f"security file {self.path} is corrupt: {exc}") from exc

    def save(self, sync: bool = True) -> None:
        """Write the state (policy, reserved counter block, client counters) to the state directory."""
        self.dirty = False
        if self.path is None:
            return
        data = {
            "policy": self.policy,
            "server_counter_reserved": self._reserved,
            "client_counters": dict(self.clients),
            "authentication": self.authentication,
        }
        _write_json(self.path, data, sync)

    def set_authentication(self, bookkeeping: dict) -> None:
        """Store the failed-authentication bookkeeping (ratelimit.RateLimiter.state) at once."""
        self.authentication = bookkeeping
        self.save(sync=False)

    def next_counter(self) -> int:
        """The server's next invocation counter; reserves (and persists) a new block when needed."""
        if self._next >= self._reserved:
            self._reserved = min(self._next + self.block, 0xFFFFFFFF)
            self.save()
        if self._next >= 0xFFFFFFFF:
            raise StoreError("server invocation counter exhausted: change the keys")
        value = self._next
        self._next += 1
        return value

    @property
    def last_counter(self) -> int:
        """The last server invocation counter handed out (or reserved before a restart)."""
        return max(self._next - 1, 0)

    def accept_counter(self, client_title: bytes, counter: int) -> bool:
        """Record a client's counter if it is newer than the last one accepted from that title."""
        key = client_title.hex().upper()
        if counter <= self.clients.get(key, -1):
            return False
        self.clients[key] = counter
        self.dirty = True
        return True

    def client_counter(self) -> int:
        """The highest client invocation counter accepted so far (0 if none)."""
        return max(self.clients.values(), default=0)

    def keys_changed(self) -> None:
        """Counters belong to a key: a new key starts the clients' counters afresh."""
        self.clients.clear()
        self.save()

    def set_policy(self, policy: int) -> None:
        """Store a new security policy."""
        self.policy = int(policy)
        self.save()
