"""Persisted security state: the server's invocation counter never repeats across restarts (even SIGKILL)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from k351c.server.keys import SecurityState
from k351c.server.ratelimit import RatePolicy
from k351c.server.security import system_title


def test_counter_block_is_written_before_use(tmp_path):
    state = SecurityState(tmp_path, block=10)
    used = [state.next_counter() for _ in range(25)]
    assert used == list(range(1, 26))
    crashed = SecurityState(tmp_path, block=10)  # a restart without any save after the last use
    assert crashed.next_counter() > max(used)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=6))
def test_counter_never_repeats_over_restarts(tmp_path_factory, runs):
    path = tmp_path_factory.mktemp("ic")
    seen: list[int] = []
    for count in runs:
        state = SecurityState(path, block=7)
        seen += [state.next_counter() for _ in range(count)]
    assert seen == sorted(set(seen))


def test_client_counters_policy_and_key_change(tmp_path):
    state = SecurityState(tmp_path)
    title = b"MMM\x00\x00\x00\x00\x01"
    assert state.accept_counter(title, 5) and not state.accept_counter(title, 5)
    assert not state.accept_counter(title, 4) and state.accept_counter(title, 6)
    state.set_policy(1)
    reloaded = SecurityState(tmp_path)
    assert reloaded.policy == 1 and not reloaded.accept_counter(title, 6)
    reloaded.keys_changed()
    assert reloaded.accept_counter(title, 1)


def test_system_title_and_rate_policy():
    assert system_title("12345678") == b"KAM" + (12345678).to_bytes(5, "big")
    policy = RatePolicy(
        free_attempts=2, base_delay=5, max_delay=30, lockout_after=6, lockout_period=900
    )
    assert [policy.block_for(n) for n in range(1, 7)] == [0, 5, 10, 20, 30, 900]


def test_failed_authentication_bookkeeping_survives_a_restart(tmp_path):
    from k351c.server.keys import MeterKeys
    from k351c.server.ratelimit import RateLimiter
    from k351c.server.security import MeterSecurity

    class Keys:
        keys, path = MeterKeys.test(), None

        def update(self, keys: MeterKeys) -> None:
            self.keys = keys

    now = [1000.0]
    policy = RatePolicy(free_attempts=1, base_delay=2.0, lockout_after=3, lockout_period=600.0)

    def security() -> MeterSecurity:
        return MeterSecurity(Keys(), SecurityState(tmp_path), b"KAM00001", RateLimiter(lambda: now[0], policy))

    first = security()
    for _ in range(3):
        first.authenticated(32, False)
    first.authenticated(16, True)  # another client's success changes nothing of client 32
    again = security()
    assert not again.admit(32) and again.admit(1) and again.limiter.total == 3
    assert again.limiter.retry_after(32) == 600.0
    now[0] += 601.0
    assert again.admit(32)
    again.authenticated(32, True)
    assert security().limiter.state()["clients"] == {}
