"""A fleet of meters as arrays: registers, CT ratios and loads of thousands of meters, advanced at once.

State per meter is a few hundred bytes: primary and secondary energy registers (int64 Wh/varh per
quantity, total/phase/tariff, booked by ``EnergyBanks`` as a single meter's), the CT ratio and the
load seed. The fleet advances whole 15-minute intervals of its load grid (``advance_to``) for all
meters in one numpy pass through ``k351c.meter.metrology.measure``; a read between two boundaries
adds the running interval's energy on the fly, as a single ``Meter`` step would. Load profiles are
recomputed from daily register checkpoints (``k351c.meter.fleet_profile``).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from k351c.clock import Clock, SimClock
from k351c.codes import MeterConfig
from k351c.codes.configcodes import ct_sss
from k351c.errors import ConfigError
from k351c.meter.accuracy import ErrorCurves, checked_temperature
from k351c.meter.energy import (
    PRIMARY,
    QUANTITIES,
    SECONDARY,
    SLOTS,
    TARIFF_SLOT0,
    EnergyBanks,
    quantity_mask,
    signed_parts,
)
from k351c.meter.eventlog import EventCode
from k351c.meter.fleet_analysis_samples import AnalysisSamples
from k351c.meter.fleet_billing import FleetBilling
from k351c.meter.fleet_clock import FleetRtc
from k351c.meter.fleet_events import FleetEvents
from k351c.meter.fleet_function import FleetFunction
from k351c.meter.fleet_io import FleetIo
from k351c.meter.fleet_load import RESOLUTION, FleetLoadModel, SeededLoad
from k351c.meter.fleet_loadcontrol import FleetLoadControl
from k351c.meter.fleet_metering import FleetMetering
from k351c.meter.fleet_profile import PER_DAY, profile_rows
from k351c.meter.fleet_quality import FleetQuality
from k351c.meter.fleet_state import Outage, load_state, save_state
from k351c.meter.fleet_tamper import FleetTamper
from k351c.meter.fleet_temperature import TemperatureHistory
from k351c.meter.fleet_twin import Twins
from k351c.meter.fleet_view import MeterView
from k351c.meter.fleet_writes import WriteJournal
from k351c.meter.loadprofile import depth_entries
from k351c.meter.localtime import LocalTime
from k351c.meter.powerfail import HARDWARE_WITH_BATTERY
from k351c.meter.tariffs import TariffCalendar

CHUNK_ELEMENTS = 250_000  # meters x intervals per booking (it fixes the float summation order)
BLOCK_ELEMENTS = 16_384  # meters x intervals per numpy pass (temporaries stay in the CPU cache)


class Fleet(FleetMetering):
    """N meters of one configuration: consecutive serials, per-meter seeds and CT ratios, vectorised state."""

    def __init__(
        self,
        config: MeterConfig | None = None,
        meters: int = 1,
        clock: Clock | None = None,
        first_serial: int | None = None,
        *,
        start: float | None = None,
        seeds: np.ndarray | None = None,
        ct_primary: np.ndarray | None = None,
        model: FleetLoadModel | None = None,
    ) -> None:
        n = meters
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError("--meters", n, "at least 1")
        if start is None:
            start = clock.timestamp() if clock is not None else 0.0
        self.clock = clock if clock is not None else SimClock(start, rate=0)
        self.n = int(n)
        self.config = config or MeterConfig.default()
        self.first_serial = int(first_serial if first_serial is not None else self.config.serial)
        self.seeds = np.asarray(
            seeds if seeds is not None else self.first_serial + np.arange(n), dtype=np.int64
        )
        self.model = model or FleetLoadModel.for_config(self.config)
        self.params = self.model.params(self.seeds)
        ct = ct_primary if ct_primary is not None else np.full(n, int(self.config.ct_primary))
        self.ct_primary = np.asarray(ct, dtype=np.int64).copy()
        for primary in np.unique(self.ct_primary).tolist():
            ct_sss(primary)  # each meter's ratio is one configuration 5 SSS encodes
        self.ct_secondary = int(self.config.ct_secondary)
        self.mask = quantity_mask(self.config.energy_channels)
        self.banks = EnergyBanks(n, self.mask)
        self.start = float(math.floor(start))  # a Meter's time starts on a whole second
        self.k = self.start_k = int(math.floor(self.start / RESOLUTION))
        self.t = self.start
        self.rtc = FleetRtc(self.config.settings.rtc.drift_ppm, self.start)  # one crystal for all
        self.start_ct = self.ct_primary.copy()
        self.ct_changes: list[tuple[float, int, int]] = []
        self.writes = WriteJournal()  # writes to twin-carried values (k351c.meter.fleet_writes)
        # seconds of interval k already booked (a CT change) or before the start (not measured)
        self.booked = np.full(n, self.start - self.k * RESOLUTION, dtype=np.float64)
        self.localtime = LocalTime(self.config.utc_offset_minutes, self.config.dst_rule)
        self.calendar = TariffCalendar.for_config(self.config, self.localtime)
        self._tariffs: dict[int, int] = {}
        self._profile_checkpoints()
        self.outages: list[Outage] = []
        self.temperatures = TemperatureHistory()
        self.curves = ErrorCurves.for_config(self.config, self.first_serial + np.arange(n))
        self.twins = Twins(self)
        self.battery = self.config.type_number.hardware in HARDWARE_WITH_BATTERY
        self.quality = FleetQuality(self)  # before billing: its voltage events are part of every load
        self.billing = FleetBilling(self)
        self.tamper = FleetTamper(self)
        self.events = FleetEvents(self)  # the event logs' store (others record their events there)
        self.io = FleetIo(self)
        self.load_control = FleetLoadControl(self)
        self.analysis = AnalysisSamples(self)  # energy registers sampled by analysis loggers
        self.functions: list[FleetFunction] = [
            self.billing, self.tamper, self.quality, self.events, self.io, self.load_control, self.analysis
        ]  # array functions, in hook order
        self._checkpoint(self.k)

    # ------------------------------------------------------------ identity
    def serial(self, i: int) -> str:
        """Serial number of meter i (consecutive from the first)."""
        return str(self.first_serial + int(i))

    def set_ct(self, i: int, primary: int) -> None:
        """Change meter i's CT primary current now; energy measured so far keeps the old ratio."""
        if self.config.ct_locked:
            from k351c.errors import AccessDenied

            raise AccessDenied("the CT ratio is locked (configuration 5 T=2) and is legal data")
        ct_sss(primary)
        self._book_running(np.array([int(i)]))
        self.io.ct_changing(int(i))
        self.ct_primary[i] = primary
        self.ct_changes.append((self.t, int(i), int(primary)))
        self.events.record(self.rtc.meter_time(self.t), EventCode.CT_RATIO_CHANGED, [i])

    def set_temperature(self, celsius: float | None, meters=None) -> None:
        """Set the ambient temperature (degC, -40..70; None: the configured one) of meters (default all).

        The single meter's ``set_temperature``: the metrology errs by it from now on.
        """
        celsius = checked_temperature(celsius)
        chosen = self.chosen(meters, "temperature meters")
        self._book_running(chosen)
        self.temperatures.add(self.t, chosen, celsius)

    def set_tamper(
        self, source: str, opened: bool | None = None, *, active: bool | None = None, meters=None  # noqa: ANN001
    ) -> np.ndarray:
        """Report a tamper switch (meter/terminal cover ``opened``, magnetic field ``active``) on meters now.

        The single meter's ``Tamper.set`` for some or all meters (default all); the meters it changed.
        """
        return self.tamper.set(source, opened, active=active, meters=meters)

    def chosen(self, meters, what: str) -> np.ndarray:  # noqa: ANN001
        """Fleet indices (sorted, unique) of ``meters`` (None: all); ConfigError naming ``what`` if out of range."""
        chosen = np.arange(self.n) if meters is None else np.unique(np.asarray(meters, np.int64))
        if chosen.size and (chosen.min() < 0 or chosen.max() >= self.n):
            raise ConfigError(what, meters, f"fleet indices 0..{self.n - 1}")
        return chosen

    def _book_running(self, meters: np.ndarray) -> None:
        """Book the running interval of these meters up to now with the inputs in force (CT, temperature).

        The rest of it is booked at the next boundary with the inputs set next: the single meter
        books each step with what is in force while it runs.
        """
        seconds = min(self.t - self.k * RESOLUTION, RESOLUTION)
        meters = meters[seconds > self.booked[meters]]
        if meters.size:
            for function in self.functions:
                function.book_running(meters, seconds)
            delta = self._running_delta(meters, self.booked[meters], seconds)
            self.banks.book(delta, meters)
            self.booked[meters] = seconds

    def start_config(self, i: int) -> MeterConfig:
        """Meter i's configuration when the fleet started: its serial number and CT ratio."""
        config = self.config
        primary = int(self.start_ct[i])
        if primary != config.ct_primary:
            config = dataclasses.replace(
                config, config5=dataclasses.replace(config.config5, sss=ct_sss(primary))
            )
        return dataclasses.replace(config, serial=self.serial(i))

    def load_of(self, i: int) -> SeededLoad:
        """The load meter i runs on (its seed and outages), usable by a single ``Meter``."""
        return SeededLoad(
            self.model,
            int(self.seeds[i]),
            lambda: self.outage_windows(i),
            lambda: self.quality.voltage_events.of(i),
        )

    def meter(self, i: int) -> MeterView:
        """Meter i seen as a meter: ``config``, ``load``, ``objects``, ``read``, ``set_ct_ratio``."""
        if not 0 <= int(i) < self.n:
            raise ConfigError("fleet meter", i, f"an index 0..{self.n - 1}")
        return MeterView(self, int(i))

    @property
    def start_t(self) -> float:
        """The instant the fleet's meters started."""
        return self.start

    # --------------------------------------------------------------- time
    def tariff(self, k: int) -> int:
        """The tariff in force in interval k (shared by all meters: one configuration)."""
        hit = self._tariffs.get(k)
        if hit is None:
            if len(self._tariffs) > 200_000:
                self._tariffs.clear()
            hit = self._tariffs[k] = self.calendar.tariff_at(k * RESOLUTION)
        return hit

    def run_for(self, seconds: float) -> None:
        """Advance every meter by ``seconds`` of simulated time (a SimClock follows)."""
        target = self.t + float(seconds)
        if isinstance(self.clock, SimClock):
            self.clock.set(target)
        self.advance_to(target)

    def advance_to(self, t: float, progress=None) -> None:
        """Register every whole interval up to t for all meters; ``progress(intervals)`` is told as it goes.

        An instant a function needs inside an interval (``next_t``) books every meter's running
        interval up to it first, as a CT change does, and the function acts there (``at``).
        """
        while (due := min(f.next_t() for f in self.functions)) <= t:
            self._advance_whole(due, progress)
            self.t = max(self.t, due)
            self._book_running(np.arange(self.n))
            for function in self.functions:
                function.at(due)
        self._advance_whole(t, progress)
        self.t = max(self.t, float(t))
        for function in self.functions:
            function.advanced(self.t)

    def _advance_whole(self, t: float, progress) -> None:  # noqa: ANN001
        k_end = int(math.floor(t / RESOLUTION))
        step = max(1, min(PER_DAY, CHUNK_ELEMENTS // self.n))
        while self.k < k_end:
            due = max(self.k + 1, min(f.next_k() for f in self.functions))
            k1 = min(k_end, self.k + step, (self.k // PER_DAY + 1) * PER_DAY, due)
            self._advance_chunk(self.k, k1)
            if progress is not None:
                progress(k1 - self.k)
            self.k = k1
            for function in self.functions:
                function.reached(k1)
            if k1 % PER_DAY == 0:
                self._checkpoint(k1)

    def _advance_chunk(self, k0: int, k1: int) -> None:
        idx = np.arange(k0, k1, dtype=np.int64)
        frac = self.powered_fraction(np.arange(self.n), idx)
        dt = frac * RESOLUTION
        if k0 == self.k and self.booked.any():
            begin = k0 * RESOLUTION
            dt[:, 0] = self.powered_each(np.arange(self.n), begin + self.booked, begin + RESOLUTION)
            self.booked[:] = 0.0
        tariffs = self.tariffs(k0, k1)
        if not self.rtc.exact:  # the meters' clock switches tariffs inside the load's intervals
            tariffs = self.rtc.tariff_weights(self.calendar, idx * RESOLUTION, (idx + 1) * RESOLUTION)
        ws = np.zeros((self.n, 4, SLOTS))
        for m0, m1 in _blocks(self.n, max(2, BLOCK_ELEMENTS // idx.size)):
            block = slice(m0, m1)
            self._chunk_ws(ws[block], np.arange(m0, m1), idx, frac[block], dt[block], tariffs)
        self.banks.book(EnergyBanks.wh(ws, self.ct_ratio()[:, None, None]))

    def _chunk_ws(
        self,
        out: np.ndarray,
        meters: np.ndarray,
        idx: np.ndarray,
        frac: np.ndarray,
        dt: np.ndarray,
        tariffs: np.ndarray,
    ) -> None:
        """Energy (Ws) of some meters over the intervals idx into ``out`` (len(meters), 4, 8).

        Every value is a per-meter sum over the chunk's intervals, so splitting the meters into
        blocks (cache-sized temporaries) gives the same bits as one pass over all of them, as long
        as no block of a fleet of several meters has a single row (see ``_blocks``).
        """
        meas = self.measurement(meters, idx, frac > 0)
        for function in self.functions:
            function.intervals(meters, idx, meas, tariffs)
        parts = signed_parts(meas, meters.size, idx.size)
        for qi, (tot, phases) in enumerate(parts):
            if tot is None:
                continue
            booked = tot * dt
            out[:, qi, 0] = booked.sum(axis=1)
            out[:, qi, 1:4] = np.einsum("nmp,nm->np", phases, dt)
            if tariffs.ndim == 2:  # shares (m, 4) of each interval in each tariff
                out[:, qi, TARIFF_SLOT0:] = booked @ tariffs
                continue
            for tariff in np.unique(tariffs):
                out[:, qi, TARIFF_SLOT0 + int(tariff) - 1] = booked[:, tariffs == tariff].sum(
                    axis=1
                )

    def tariffs(self, k0: int, k1: int) -> np.ndarray:
        """The tariff of each interval k0..k1-1 (at its start), one calendar look-up per tariff window."""
        out = np.empty(k1 - k0, dtype=np.int64)
        k = k0
        while k < k1:
            tariff, t_next = self.calendar.window(k * RESOLUTION)
            end = k1 if t_next is None else min(k1, max(k + 1, math.ceil(t_next / RESOLUTION)))
            out[k - k0 : end - k0] = tariff
            k = end
        return out

    @property
    def counts(self) -> np.ndarray:
        """Whole Wh/varh (2 banks, n, 4, 8) booked at the last boundary (``EnergyBanks``)."""
        return self.banks.counts

    @property
    def remainder(self) -> np.ndarray:
        """The fractions of a unit carried per register (2 banks, n, 4, 8)."""
        return self.banks.remainder

    def _profile_checkpoints(self) -> None:
        """The load profile's bank and channels and the daily register checkpoints it is recomputed from."""
        config = self.config
        self.lp_bank = PRIMARY if config.load_profile_primary else SECONDARY
        self.lp_q = np.array([QUANTITIES.index(q) for q in config.energy_channels])
        self.depth = depth_entries(config.energy_channels, config.integration_minutes)
        self.days = int(math.ceil(self.depth * config.integration_minutes / 1440)) + 2
        self.ckpt = np.zeros((self.n, self.days, len(self.lp_q)), dtype=np.float64)
        self.ckpt_k = np.full(self.days, -1, dtype=np.int64)

    def _checkpoint(self, k: int) -> None:
        slot = (k // PER_DAY) % self.days
        bank = self.lp_bank
        self.ckpt[:, slot, :] = (
            self.counts[bank][:, self.lp_q, 0] + self.remainder[bank][:, self.lp_q, 0]
        )
        self.ckpt_k[slot] = k

    # ------------------------------------------------------------- energy
    def registers(self, i: int, bank: int, t: float | None = None) -> np.ndarray:
        """Meter i's registers (4, 8) of a bank at time t (default: the fleet's time), running interval included."""
        return self.banks.registers_with(self._running_wh(i, bank, t), i, bank)

    def exact_wh(self, i: int, bank: int) -> np.ndarray:
        """Meter i's registers (4, 8) of a bank now in Wh/varh with the carried fraction (pulse outputs)."""
        return self.banks.exact_with(self._running_wh(i, bank, self.t), i, bank)

    def _running_wh(self, i: int, bank: int, t: float | None) -> np.ndarray:
        """Meter i's energy (4, 8) of a bank in the running interval not booked yet, up to t."""
        t = self.t if t is None else t
        seconds = min(t - self.k * RESOLUTION, RESOLUTION)
        if seconds <= self.booked[i]:
            return np.zeros((4, SLOTS))
        return self._running_delta(np.array([i]), self.booked[i : i + 1], seconds)[bank, 0]

    def _running_delta(self, meters: np.ndarray, since: np.ndarray, until: float) -> np.ndarray:
        """Energy (2, len(meters), 4, 8) in the running interval from ``since`` to ``until`` seconds into it."""
        k = np.array([self.k])
        begin = self.k * RESOLUTION
        since = np.asarray(since, dtype=np.float64)
        seconds = self.powered_each(meters, begin + since, begin + until)[:, None]
        span = (begin + since, np.full(len(meters), begin + until))
        wh = self.energy_wh(meters, k, seconds, whole=True, window=span)
        delta = np.zeros((2, len(meters), 4, SLOTS))
        delta[..., :4] = wh[:, :, 0]
        if self.rtc.exact:
            delta[..., TARIFF_SLOT0 + self.tariff(self.k) - 1] = wh[:, :, 0, :, 0]
            return delta
        begin = self.k * RESOLUTION
        shares = self.rtc.tariff_weights(self.calendar, begin + since, np.full(len(meters), begin + until))
        delta[..., TARIFF_SLOT0:] = wh[:, :, 0, :, 0, None] * shares[None, :, None, :]
        return delta

    # ------------------------------------------------------------ outages
    def add_outage(self, t0: float, t1: float, meters) -> Outage:
        """A feeder outage: these meters lose all phases from t0 to t1 (no energy, power-failure events)."""
        if t1 <= t0:
            raise ConfigError("outage", (t0, t1), "an end after the start")
        outage = Outage(float(t0), float(t1), np.unique(np.asarray(meters, dtype=np.int64)))
        if outage.meters.size and (outage.meters.min() < 0 or outage.meters.max() >= self.n):
            raise ConfigError(
                "outage meters",
                [int(outage.meters.min()), int(outage.meters.max())],
                f"fleet indices 0..{self.n - 1}",
            )
        self.outages.append(outage)
        self.twins.forget(outage.meters)
        for function in self.functions:
            function.outage_added(outage)
        return outage

    def add_voltage_event(self, t0: float, t1: float, meters, phases, level: float) -> None:  # noqa: ANN001
        """A sag/swell (``level`` x the voltage) or phase loss (0) of ``phases`` (1..3) of meters, t0..t1."""
        self.quality.add_voltage_event(t0, t1, meters, phases, level)

    # ------------------------------------------------------- load profile
    def profile(self, i: int, until: float | None = None) -> list[tuple]:
        """Meter i's load profile entries (POSIX end, status, energy per channel), oldest first, recomputed."""
        return profile_rows(self, i, until)

    def bank_wh(
        self, i: int, idx: np.ndarray, seconds: np.ndarray, bank: int, parts: np.ndarray, ratio: np.ndarray
    ) -> np.ndarray:
        """Meter i's energy (Wh, varh) per quantity booked to a bank's totals over ``seconds`` of the
        parts [begin, end) (``parts`` (2, m)) of intervals idx, at the CT ``ratio`` then (energy_wh)."""
        meters, window = np.array([i]), (parts[0], parts[1])
        wh = self.energy_wh(meters, idx, seconds, True, parts[0], ratio[None, :], window)
        return wh[bank, 0][:, :, 0]

    # -------------------------------------------------------- persistence
    def save(self, path: str | Path) -> None:
        """Write the state to an .npz file atomically (k351c.meter.fleet_state)."""
        save_state(self, path)

    @classmethod
    def load(
        cls,
        path: str | Path,
        config: MeterConfig | None = None,
        model: FleetLoadModel | None = None,
    ) -> Fleet:
        """A fleet restored from a file written by save() (an older layout migrated or refused)."""
        return load_state(cls, path, config, model)


def _blocks(n: int, rows: int) -> list[tuple[int, int]]:
    """Row ranges of at most ``rows`` (>= 2) meters; a last single row joins the block before it.

    numpy sums the tariff columns of a one-row block pairwise but those of a taller block column
    by column, so a lone row would round differently from the same meter in one whole pass.
    """
    bounds = [*range(0, n, rows), n]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] == 1:
        del bounds[-2]
    return list(zip(bounds[:-1], bounds[1:], strict=True))
