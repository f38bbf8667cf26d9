"""Build a meter from CLI options: configuration, state directory, clock and default load."""

from __future__ import annotations

from pathlib import Path

from k351c.clock import SimClock, SystemClock, parse_instant
from k351c.codes import MeterConfig
from k351c.codes.configfile import LoadedConfig, load
from k351c.codes.server import ServerSettings
from k351c.errors import ConfigError
from k351c.meter.core import STATE_KEY, Meter
from k351c.meter.loads_profile import household_load
from k351c.store import SqliteStore


def load_config(config: Path | None) -> MeterConfig:
    """The configuration file's MeterConfig, or the embedded default."""
    return load_settings(config).meter


def load_settings(config: Path | None) -> LoadedConfig:
    """The configuration file's MeterConfig and ServerSettings (embedded defaults without a file)."""
    if config is None:
        return LoadedConfig(MeterConfig.default(), ServerSettings())
    if not Path(config).exists():
        raise ConfigError("--config", str(config), "an existing TOML file")
    return load(config)


def build_meter(
    state: Path,
    rate: float,
    start: str | None,
    config: Path | None,
    test_keys: bool = False,
    resume_only: bool = False,
    meter_config: MeterConfig | None = None,
) -> Meter:
    """A meter on a SQLite store in ``state``; the simulated clock resumes where the meter stopped."""
    cfg = meter_config if meter_config is not None else load_config(config)
    store = SqliteStore(Path(state) / "meter.sqlite")
    saved = store.get(STATE_KEY)
    if resume_only and saved is None:
        store.close()
        raise ConfigError("--state", str(state), "a state directory of a meter that has run")
    if start is not None:
        epoch = parse_instant(start).timestamp()
    elif saved is not None:
        epoch = float(saved["t"])
    else:
        epoch = SystemClock().timestamp()
    clock = SimClock(epoch, rate=rate)
    meter = Meter(cfg, clock=clock, store=store, load=household_load(cfg))
    if start is not None and saved is not None and epoch > meter.t:
        meter.advance_to(epoch)
    elif start is not None and saved is not None and epoch < meter.t:
        meter.set_clock(epoch)
    return meter
