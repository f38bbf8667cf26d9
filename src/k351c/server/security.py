"""The meter's security keeper: keys, policy, invocation counters, key transfer and the rate limiter.

``MeterSecurity`` implements both the protocol layer's ``SecurityProvider`` (for ``SecureAssociation``)
and the COSEM layer's ``SecurityPort`` (for class 64). ``security_for(runtime)`` is the keeper of a
served meter (idempotent per runtime); ``k351c.server.dlms.dlms_endpoint`` installs it. Keys never
reach a log.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from k351c.cosem.device import security_specs
from k351c.errors import ConfigError
from k351c.meter.function import Event
from k351c.protocols.dlms.security import KeyId, SecurityPolicy, unwrap_key
from k351c.server.keys import KeyHolder, SecurityState
from k351c.server.ratelimit import Failure, RateLimiter, RatePolicy
from k351c.server.runtime import Runtime

log = logging.getLogger("k351c.security")

KEY_FIELDS = {
    KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY: "encryption_key",
    KeyId.AUTHENTICATION_KEY: "authentication_key",
    KeyId.MASTER_KEY: "master_key",
}


def system_title(serial: str) -> bytes:
    """Our system title: manufacturer id "KAM" + the serial number in 5 octets (big-endian)."""
    digits = "".join(ch for ch in str(serial) if ch.isdigit()) or "0"
    return b"KAM" + (int(digits) % (1 << 40)).to_bytes(5, "big")


class MeterSecurity:
    """Keys, policy, counters and failed-authentication limits of one meter."""

    def __init__(
        self,
        keys: KeyHolder,
        state: SecurityState,
        server_title: bytes | Callable[[], bytes],
        limiter: RateLimiter | None = None,
        challenge: Callable[[], bytes] = lambda: secrets.token_bytes(16),
    ) -> None:
        self.store = keys
        self.state = state
        self._title = server_title if callable(server_title) else (lambda: server_title)
        self.limiter = limiter or RateLimiter(lambda: 0.0)
        self.limiter.load(state.authentication)
        self._challenge = challenge

    # ---- SecurityProvider (protocols) -------------------------------------------------------
    @property
    def server_title(self) -> bytes:
        """Our system title as it is now (it follows a change of the serial number)."""
        return self._title()

    def keys(self) -> tuple[bytes, bytes]:
        """(global unicast encryption key, authentication key) as they are now."""
        current = self.store.keys
        return current.key("encryption_key"), current.key("authentication_key")

    def policy(self) -> SecurityPolicy:
        """The security policy in force."""
        return SecurityPolicy(self.state.policy)

    def next_counter(self) -> int:
        """The server's next invocation counter (persisted block reservation)."""
        return self.state.next_counter()

    def accept_counter(self, client_title: bytes, counter: int) -> bool:
        """Check and record a client's invocation counter."""
        return self.state.accept_counter(client_title, counter)

    def challenge(self) -> bytes:
        """A fresh StoC challenge (16 random octets)."""
        return self._challenge()

    def admit(self, client_sap: int) -> bool:
        """Whether the limiter lets this client authenticate now."""
        return self.limiter.admit(client_sap)

    def authenticated(self, client_sap: int, ok: bool) -> None:
        """Count an authentication outcome (LLS or HLS); the bookkeeping persists with the security state."""
        if self.limiter.record(client_sap, ok):
            self.state.set_authentication(self.limiter.state())

    # ---- SecurityPort (cosem class 64) ------------------------------------------------------
    def activate(self, policy: int) -> None:
        """security_activate: the new policy applies to the next request."""
        self.state.set_policy(SecurityPolicy(policy))
        log.info("security policy set to %s", SecurityPolicy(policy).name)

    def transfer(self, key_id: int, wrapped: bytes) -> None:
        """key_transfer: unwrap with the master key and store; the old key stops working at once."""
        field = KEY_FIELDS.get(KeyId(key_id))
        if field is None:
            raise ConfigError("key_id", key_id, "0 (unicast), 2 (authentication) or 3 (master)")
        new = unwrap_key(self.store.keys.key("master_key"), wrapped)
        self.store.update(self.store.keys.with_key(field, new))
        self.state.keys_changed()
        log.info("key %s changed by key_transfer", KeyId(key_id).name)

    def client_counter(self) -> int:
        """The last client invocation counter accepted."""
        return self.state.client_counter()

    def flush(self) -> None:
        """Persist client counters that changed since the last save."""
        if self.state.dirty:
            self.state.save(sync=False)


def failure_reporter(now: Callable[[], float], emit: Callable[[Event], None]) -> Callable[[Failure], None]:
    """What a counted authentication failure does (serve and every fleet meter): a warning and the
    meter's "authentication_failed" event at ``now()`` (logged with code 46), given to ``emit``."""

    def report(failure: Failure) -> None:
        data = {
            "client_sap": failure.client_sap,
            "consecutive": failure.consecutive,
            "total": failure.total,
            "blocked_for": failure.blocked_for,
            "locked_out": failure.locked_out,
        }
        log.warning(
            "authentication failed: client %d, %d in a row, attempts refused for %.0f s",
            failure.client_sap,
            failure.consecutive,
            failure.blocked_for,
        )
        emit(Event(now(), "authentication_failed", log="standard", data=data))

    return report


def security_for(runtime: Runtime) -> MeterSecurity:
    """The runtime's security keeper (created once, with its class 64 objects in the object list)."""
    if runtime.security is not None:
        return runtime.security
    path = runtime.keys.path.parent if runtime.keys.path is not None else None
    state = SecurityState(path, policy=runtime.settings.security_policy)
    limiter = RateLimiter(runtime.meter.clock.timestamp, RatePolicy.from_settings(runtime.settings))
    security = MeterSecurity(
        runtime.keys, state, lambda: system_title(runtime.meter.config.serial), limiter
    )
    limiter.on_failure = failure_reporter(runtime.meter.clock.timestamp, runtime.meter.emit)
    for spec in security_specs(lambda meter: security):
        runtime.objects.add(spec.build(runtime.meter, runtime.objects))
    runtime.on_tick.append(lambda meter: security.flush())
    runtime.security = security
    return security
