"""Rate limiting of failed authentication, as real meters do: a growing delay, then a lockout.

Per client SAP: the first ``free_attempts`` failures cost nothing; each further failure blocks new
attempts for ``base_delay * 2**k`` seconds (capped at ``max_delay``); after ``lockout_after``
consecutive failures the client is locked out for ``lockout_period``. A success resets the count.
Times are the meter's clock (seconds), so a simulated clock speeds lockouts up as it does all else.
Each failure is counted and reported through ``on_failure`` (the server logs it as a meter event).
The bookkeeping is plain data (``state``/``load``): the meter's security state persists it, so a lockout
outlives the connection, the endpoint that served it and a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from k351c.codes.server import ServerSettings


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """How failed authentication is slowed down and locked out."""

    free_attempts: int = 3
    base_delay: float = 2.0
    max_delay: float = 300.0
    lockout_after: int = 10
    lockout_period: float = 3600.0

    @classmethod
    def from_settings(cls, settings: ServerSettings) -> RatePolicy:
        """The policy from the server settings' ``auth_*`` fields."""
        return cls(
            settings.auth_free_attempts,
            settings.auth_base_delay,
            settings.auth_max_delay,
            settings.auth_lockout_after,
            settings.auth_lockout_period,
        )

    def block_for(self, failures: int) -> float:
        """Seconds new attempts are refused after ``failures`` consecutive failures."""
        if failures >= self.lockout_after:
            return self.lockout_period
        if failures < self.free_attempts:
            return 0.0
        return min(self.base_delay * 2 ** (failures - self.free_attempts), self.max_delay)


@dataclass(slots=True)
class _Client:
    failures: int = 0
    blocked_until: float = 0.0


@dataclass(frozen=True, slots=True)
class Failure:
    """One counted failure: who, how many in a row, how many ever, and for how long attempts are refused."""

    client_sap: int
    consecutive: int
    total: int
    blocked_for: float
    locked_out: bool


@dataclass
class RateLimiter:
    """Failed-authentication bookkeeping for one meter."""

    now: Callable[[], float]
    policy: RatePolicy = field(default_factory=RatePolicy)
    on_failure: Callable[[Failure], None] = lambda failure: None
    total: int = 0
    _clients: dict[int, _Client] = field(default_factory=dict)

    def admit(self, client_sap: int) -> bool:
        """Whether this client may try to authenticate now."""
        client = self._clients.get(client_sap)
        return client is None or self.now() >= client.blocked_until

    def retry_after(self, client_sap: int) -> float:
        """Seconds until this client may try again (0 = now)."""
        client = self._clients.get(client_sap)
        return 0.0 if client is None else max(client.blocked_until - self.now(), 0.0)

    def state(self) -> dict:
        """The bookkeeping as JSON-able data: total failures, and per client its run and block end."""
        clients = {str(sap): [c.failures, c.blocked_until] for sap, c in self._clients.items()}
        return {"total": self.total, "clients": clients}

    def load(self, data: dict) -> None:
        """Take over bookkeeping written by ``state`` (an empty dict: nothing failed yet)."""
        self.total = int(data.get("total", 0))
        self._clients = {
            int(sap): _Client(int(failures), float(until))
            for sap, (failures, until) in data.get("clients", {}).items()
        }

    def record(self, client_sap: int, ok: bool) -> bool:
        """Count one attempt's outcome; True if the bookkeeping changed."""
        if ok:
            return self._clients.pop(client_sap, None) is not None
        client = self._clients.setdefault(client_sap, _Client())
        client.failures += 1
        self.total += 1
        blocked = self.policy.block_for(client.failures)
        client.blocked_until = self.now() + blocked
        locked = client.failures >= self.policy.lockout_after
        self.on_failure(Failure(client_sap, client.failures, self.total, blocked, locked))
        return True
