"""The meter: load source -> metrology -> registers -> functions, advanced over simulated time."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar, overload

import numpy as np

from k351c.clock import Clock, SimClock, parse_instant
from k351c.codes import MeterConfig
from k351c.codes.configcodes import ct_sss
from k351c.errors import AccessDenied, ConfigError
from k351c.meter.accuracy import ErrorCurves, MeterErrors, checked_temperature, interval_middles
from k351c.meter.energy import (
    PRIMARY,
    SECONDARY,
    EnergyBank,
    EnergyBanks,
    PulseCounter,
    energy_rows,
    quantity_mask,
    step_energy_ws,
)
from k351c.meter.eventlog import EventCode
from k351c.meter.function import Event, LazyArray, MeterFunction, Step
from k351c.meter.loads import LoadSource, idle_load
from k351c.meter.localtime import LocalTime
from k351c.meter.metrology import Measurement, measure
from k351c.meter.objects import ObjectTable, read_object
from k351c.meter.readings import Profile, Reading
from k351c.meter.rtc import Rtc
from k351c.obis import Obis
from k351c.store import MemoryStore, Store

METER_CONSTANT = 10000  # LED, imp/kWh and imp/kvarh
S0_CONSTANT = 5000  # S0 output, imp/kWh of secondary A+ energy whatever config 3 M says (M is the module's)
S0_PULSE_MS = 30  # data sheet: S0 pulse time 30 ms
STATE_KEY = "meter"
F = TypeVar("F", bound=MeterFunction)


class Meter:
    """One Kamstrup 351C: feed it a load, advance it in time, read it by OBIS."""

    def __init__(
        self,
        config: MeterConfig | None = None,
        clock: Clock | None = None,
        store: Store | None = None,
        load: LoadSource | None = None,
        functions: Iterable[MeterFunction] | None = None,
    ) -> None:
        from k351c.meter.catalog import core_values, default_functions, s0_values

        self.config = config or MeterConfig.default()
        self.clock = clock or SimClock()
        self.store = store if store is not None else MemoryStore()
        self.load: LoadSource = load or idle_load(self.config)
        self.localtime = LocalTime(self.config.utc_offset_minutes, self.config.dst_rule)
        self.rtc = Rtc(self.config.settings.rtc.drift_ppm)
        self.replace_battery = False
        # published by the power-failure function: RTC status bits (class 8 attribute 4; None
        # without that function) and whether the supply is on
        self.clock_status: int | None = None
        self.powered = True
        self.objects = ObjectTable()
        self.tariff = 1
        self.ct_primary = int(self.config.ct_primary)
        self.ct_secondary = int(self.config.ct_secondary)
        mask = quantity_mask(self.config.energy_channels)
        self.banks = EnergyBanks(1, mask)  # a fleet of one: the fleet's booking rule
        self.primary = EnergyBank(self.banks, PRIMARY)
        self.secondary = EnergyBank(self.banks, SECONDARY)
        self.led_active = PulseCounter(METER_CONSTANT)
        self.led_reactive = PulseCounter(METER_CONSTANT)
        self.s0 = PulseCounter(S0_CONSTANT, S0_PULSE_MS)
        self._listeners: list[Callable[[Event], None]] = []
        self._appends: list[tuple[str, float, object]] = []
        self._trims: dict[str, int] = {}
        self._overrides: dict[str, object] = {}
        self.functions: list[MeterFunction] = list(
            functions if functions is not None else default_functions(self.config)
        )
        self.t = float(math.floor(self.clock.timestamp()))
        self._temperature: float | None = None
        self._curves = ErrorCurves.for_config(self.config)
        self.instant = self._measure_at(self.t)
        core_values(self)
        s0_values(self)
        for function in self.functions:
            function.attach(self)
        self._restore()

    @overload
    def function(self, name: str) -> MeterFunction: ...
    @overload
    def function(self, name: type[F]) -> F: ...
    def function(self, name: str | type[F]) -> MeterFunction | F:
        """The meter function called ``name`` (tariffs, load_profile, tamper...) or of that class."""
        for function in self.functions:
            if function.name == name or (isinstance(name, type) and isinstance(function, name)):
                return function
        raise KeyError(f"this meter has no function {name!r}")

    # ----------------------------------------------------------------- time
    @property
    def now(self) -> datetime:
        """The meter's current instant in local time (offset of the configured zone)."""
        return self.localtime.to_local(self.t)

    @property
    def true_t(self) -> float:
        """True time (the injected Clock's timeline) now; ``t`` is what the meter's RTC shows."""
        return self.rtc.true_time(self.t)

    @property
    def ct_ratio(self) -> float:
        """Current transformer ratio primary/secondary."""
        return self.ct_primary / self.ct_secondary

    def set_temperature(self, celsius: float | None) -> None:
        """Set the ambient temperature (degC, -40..70) the metrology errs by; None: the configured one.

        An input like the load: the meter has no temperature sensor, so it shows it nowhere.
        """
        celsius = checked_temperature(celsius)
        if self.clock.timestamp() > self.true_t:
            self.advance_to(self.clock.timestamp())
        self._temperature = celsius
        self.instant = self._measure_at(self.t)

    @property
    def temperature(self) -> float:
        """The ambient temperature (degC) the metrology sees now (set, or the configured ambient)."""
        return float(self._temperatures(np.array([self.true_t, self.true_t + 1.0]))[0])

    def set_load(self, load: LoadSource) -> None:
        """Attach a load source (secondary side); energy from now on follows it."""
        self.load = load
        self.instant = self._measure_at(self.t)

    def run_for(self, seconds: float) -> None:
        """Advance simulated (true) time by ``seconds`` (the SimClock follows) and run every function."""
        target = self.true_t + float(seconds)
        if isinstance(self.clock, SimClock):
            self.clock.set(target)
        self.advance_to(target)

    def sync(self) -> None:
        """Advance the meter to its clock's current time."""
        self.advance_to(self.clock.timestamp())

    def advance_to(self, t_end: float) -> None:
        """Measure and register everything up to true time t_end, then commit to permanent memory."""
        end = self.rtc.meter_time(t_end, self.t)
        while self.t < end:
            t0 = self.t
            for function in self.functions:
                function.begin_step(t0)
            t1 = end
            for function in self.functions:
                b = function.next_boundary(t0)
                if b is not None and t0 < b < t1:
                    t1 = b
            self._step(t0, t1)
            if self.rtc.pending_jump:
                end += self._rtc_jump()
        self.commit()

    def _rtc_jump(self) -> float:
        """Move meter time by the RTC's pending jump (time lost on an exhausted backup)."""
        delta, self.rtc.pending_jump = self.rtc.pending_jump, 0.0
        old = self.t
        self.t += delta
        self.rtc.offset += delta
        self._time_hooks(old, self.t)
        return delta

    def _step(self, t0: float, t1: float) -> None:
        segments = self.rtc.segments(self.load, t0, t1)
        meas = self._measure(segments)
        durations = segments.durations
        if durations.shape == (1,) and meas.p.shape == (1, 3):
            step = self._single_step(t0, t1, segments, meas, float(durations[0]))
        else:
            energy = step_energy_ws(meas, durations, self.tariff)
            added = self.banks.book(EnergyBanks.wh(energy[None], self.ct_ratio))[:, 0]
            d_pri, d_sec = added[PRIMARY], added[SECONDARY]
            self._pulses(
                float(energy[0, 0] + energy[1, 0]),
                float(energy[2, 0] + energy[3, 0]),
                float(energy[0, 0]),
                t0,
                t1,
            )
            step = Step(
                t0, t1, segments, meas, energy, d_sec, d_pri, self.tariff, bool(meas.powered.any())
            )
            self.instant = _last(meas)
        for function in self.functions:
            function.on_step(step)
        self.t = t1
        self.rtc.ran(t0, t1)

    def _single_step(self, t0: float, t1: float, segments, meas: Measurement, dt: float) -> Step:
        """One interval of constant load: the same arithmetic on Python floats instead of (1, n) arrays."""
        rows = energy_rows(meas, dt, self.tariff)
        added = self.banks.book(EnergyBanks.wh(np.array([rows]), self.ct_ratio))[:, 0]
        self._pulses(rows[0][0] + rows[1][0], rows[2][0] + rows[3][0], rows[0][0], t0, t1)
        self.instant = meas
        return Step(
            t0,
            t1,
            segments,
            meas,
            LazyArray(rows, float),
            added[SECONDARY],
            added[PRIMARY],
            self.tariff,
            bool(meas.powered[0]),
        )

    def _pulses(
        self, active_ws: float, reactive_ws: float, import_ws: float, t0: float, t: float
    ) -> None:
        active = self.led_active.add_ws(active_ws)
        reactive = self.led_reactive.add_ws(reactive_ws)
        dropped = self.s0.dropped
        s0 = self.s0.add_ws(import_ws, t - t0)
        if active or reactive or s0:
            self.emit(
                Event(t, "pulses", data={"led_active": active, "led_reactive": reactive, "s0": s0})
            )
        if self.s0.dropped != dropped:
            data = {"output": "S0", "dropped": self.s0.dropped - dropped, "max_hz": self.s0.max_hz}
            self.emit(Event(t, "pulse_overrun", data=data))

    def _measure(self, segments, true_times: bool = False) -> Measurement:
        errors = None
        if self._curves is not None:
            times = segments.times if true_times else self.rtc.true_time(segments.times)
            errors = MeterErrors(self._curves, self._temperatures(times))
        cfg = self.config
        return measure(segments.inputs, cfg.nominal_voltage, cfg.meter_class, cfg.aron, errors)

    def _temperatures(self, times: np.ndarray) -> np.ndarray:
        """Temperature of each segment between these true boundary times (one per 15-minute interval)."""
        n = len(times) - 1
        if self._temperature is not None:
            return np.full(n, self._temperature)
        if self._curves is None:
            return np.full(n, self.config.metrology.temperature)
        middles = interval_middles(np.asarray(times[:-1], dtype=float))
        return self._curves.ambient(middles, self.config.utc_offset_minutes)

    def _measure_at(self, t: float) -> Measurement:
        r = self.rtc.true_time(t)
        return _last(self._measure(self.load.segments(r, r + 1.0), true_times=True))

    def set_clock(self, instant: str | datetime | float) -> None:
        """Adjust the real-time clock (logged with old and new time); energy is not integrated over the jump."""
        new = parse_instant(instant).timestamp()
        old = self.t
        self.commit()
        self.t = new
        if isinstance(self.clock, SimClock):
            self.clock.set(new)
        self.rtc.set(new, self.clock.timestamp())
        self._time_hooks(old, new)
        self.emit(Event(new, "clock_adjusted", log="standard", data={"old": old, "new": new}))
        self.commit()

    def _time_hooks(self, old: float, new: float) -> None:
        for function in self.functions:
            function.on_time_set(old, new)

    def reconfigure(self, **changes: Any) -> None:
        """Change non-legal configuration fields (serial, settings); validated, persisted, logged."""
        allowed = {"serial", "settings"}
        for name in changes:
            if name not in allowed:
                raise AccessDenied(
                    f"{name} cannot be changed in a running meter (allowed: {sorted(allowed)})"
                )
        self.config = dataclasses.replace(self.config, **changes)
        self._curves = ErrorCurves.for_config(self.config)
        self.rtc.set_drift(self.config.settings.rtc.drift_ppm)
        self._overrides.update({k: _to_state(v) for k, v in changes.items()})
        data = {"fields": sorted(changes)}
        code = EventCode.CONFIGURATION_CHANGED
        self.emit(Event(self.t, "configuration_changed", code, log="standard", data=data))
        self.commit()

    # ------------------------------------------------------------ CT ratio
    def set_ct_ratio(self, primary: int, secondary: int = 5) -> None:
        """Change the CT ratio to one SSS encodes (5/5 .. 3000/5); refused when locked (config 5 T=2).

        Configuration 5 SSS follows the ratio in force; the change is kept in the CT log and the
        standard event log (code 231).
        """
        if self.config.ct_locked:
            raise AccessDenied("the CT ratio is locked (configuration 5 T=2) and is legal data")
        if secondary != 5:
            raise ConfigError("CT secondary current", secondary, "5 (A)")
        ct_sss(primary)
        old = (self.ct_primary, self.ct_secondary)
        if self.clock.timestamp() > self.true_t:
            self.advance_to(self.clock.timestamp())
        self.ct_primary, self.ct_secondary = primary, secondary
        self._follow_ct()
        data = {"old": list(old), "new": [primary, secondary]}
        self.emit(Event(self.t, "ct_ratio_changed", EventCode.CT_RATIO_CHANGED, "ct", data))
        self.commit()

    def _follow_ct(self) -> None:
        """Configuration 5 SSS (and so config.ct_primary) shows the CT ratio in force."""
        config5 = self.config.config5
        try:
            sss = ct_sss(self.ct_primary)
        except ConfigError:
            return  # a ratio stored before SSS was enforced: the configured code stays
        if config5.sss != sss:
            config5 = dataclasses.replace(config5, sss=sss)
            self.config = dataclasses.replace(self.config, config5=config5)

    # --------------------------------------------------------------- events
    def subscribe(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener`` with every event the meter emits."""
        self._listeners.append(listener)

    def emit(self, event: Event) -> None:
        """Publish an event; events with a log name are also appended to permanent memory."""
        if event.log:
            self._appends.append(
                (event.log, event.t, {"kind": event.kind, "code": event.code, **event.data})
            )
        for listener in self._listeners:
            listener(event)

    def log_append(self, log: str, t: float, data: object, depth: int | None = None) -> None:
        """Append a record to a persisted log at the next commit, trimmed to ``depth`` entries."""
        self._appends.append((log, t, data))
        if depth is not None:
            self._trims[log] = depth

    # ---------------------------------------------------------- persistence
    def _core_state(self) -> dict:
        state = {
            "t": self.t,
            "tariff": self.tariff,
            "ct": [self.ct_primary, self.ct_secondary],
            "secondary": self.secondary.state(),
            "primary": self.primary.state(),
            "led_active": self.led_active.state(),
            "led_reactive": self.led_reactive.state(),
            "s0": self.s0.state(),
            "overrides": self._overrides,
        }
        if self.rtc.offset:
            state["rtc_offset"] = self.rtc.state()
        return state

    def commit(self) -> None:
        """Write registers, function states and pending log records in one transaction."""
        puts: dict[str, object] = {STATE_KEY: self._core_state()}
        for function in self.functions:
            state = function.state()
            if state is not None:
                puts[f"f:{function.name}"] = state
        self.store.commit(puts, self._appends, self._trims)
        self._appends = []
        self._trims = {}

    def _restore(self) -> None:
        state = self.store.get(STATE_KEY)
        if state is None:
            return
        self.t = float(state["t"])
        self._overrides = dict(state.get("overrides", {}))
        if self._overrides:
            self.config = dataclasses.replace(
                self.config, **{k: _from_state(k, v) for k, v in self._overrides.items()}
            )
            self._curves = ErrorCurves.for_config(self.config)
            self.rtc.set_drift(self.config.settings.rtc.drift_ppm)
        self.tariff = int(state["tariff"])
        self.rtc.restore(state.get("rtc_offset", 0.0))
        self.ct_primary, self.ct_secondary = (int(x) for x in state["ct"])
        self._follow_ct()
        self.secondary.restore(state["secondary"])
        self.primary.restore(state["primary"])
        self.led_active.restore(state["led_active"])
        self.led_reactive.restore(state["led_reactive"])
        self.s0.restore(state["s0"])
        for function in self.functions:
            saved = self.store.get(f"f:{function.name}")
            if saved is not None:
                function.restore(saved)
        self.instant = self._measure_at(self.t)

    # ---------------------------------------------------------------- reads
    def read(self, obis: str | Obis) -> Reading | Profile:
        """The value of an OBIS code as the meter shows it (a Profile for loggers)."""
        return read_object(self.objects, obis)

    def reading(self, obis: str | Obis) -> Reading:
        """The value of a register-like OBIS code; ConfigError if it names a logger."""
        found = self.read(obis)
        if not isinstance(found, Reading):
            raise ConfigError("obis", str(obis), "a register, not a logger")
        return found

    def profile(self, obis: str | Obis) -> Profile:
        """The entries of a logger; ConfigError if the OBIS code names no logger."""
        found = self.read(obis)
        if not isinstance(found, Profile):
            raise ConfigError("obis", str(obis), "a logger (class 7)")
        return found

    def write(self, obis: str | Obis, value: object) -> None:
        """Set a settable value through its setter; legal data and read-only values are refused."""
        definition = self.objects.lookup(obis)
        if definition.legal or definition.set is None:
            raise AccessDenied(
                f"{definition.obis} is {'legal data' if definition.legal else 'read-only'}"
            )
        definition.set(value)
        self.commit()


def _to_state(value: object) -> object:
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if to_dict is not None else value


def _from_state(name: str, value: Any) -> Any:
    if name == "settings":
        from k351c.codes.settings import Settings

        return Settings.from_dict(value)
    return value


def _last(meas: Measurement) -> Measurement:
    """The measurement of the last interval (what the display and instantaneous registers show)."""
    return Measurement(
        meas.voltage[-1:],
        meas.current[-1:],
        meas.p[-1:],
        meas.q[-1:],
        meas.s[-1:],
        meas.frequency[-1:],
        meas.powered[-1:],
    )
