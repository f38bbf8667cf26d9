"""A fleet meter's analysis logger object: the single meter's definition over the recomputed entries.

The object is the single meter's ValueDef (OBIS, class, description, access) with its getter, capacity
and class 7 setters pointed at meter ``view.i``: entries from ``fleet_analysis.analysis_rows``, new
capture objects and period validated by the single meter's rule (``analysis.checked_settings``) and
journaled with the reset and capture methods (``fleet_analysis.journal``), so no twin is built.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING

from k351c.errors import ConfigError
from k351c.meter.analysis import (
    AVERAGE,
    capture_channels,
    channel_kind,
    checked_settings,
    period_minutes,
)
from k351c.meter.eventlog import CLOCK
from k351c.meter.fleet_analysis import (
    ANALYSIS,
    AVERAGED_ONLY,
    AnalysisSettings,
    InstantGetters,
    analysis_rows,
    analysis_settings,
    journal,
)
from k351c.meter.objects import ProfileData
from k351c.meter.registers import energy_register

if TYPE_CHECKING:
    from k351c.meter.fleet_view import MeterView


def add_analysis_values(view: MeterView) -> None:
    """Add meter ``view.i``'s analysis logger, recomputed from the fleet's load."""
    template = view.fleet.twins.template().get(str(ANALYSIS))
    logger = _FleetAnalysis(view)
    if template is None or not logger.recomputable():
        return
    view.objects.add(
        dataclasses.replace(
            template,
            get=logger.profile,
            capacity=lambda: logger.settings().depth,
            set_columns=logger.set_capture_objects,
            set_period=logger.set_capture_period,
            reset=lambda: journal(view.fleet, view.i, "reset"),
            capture=lambda: journal(view.fleet, view.i, "capture"),
        )
    )


class _FleetAnalysis:
    """Meter i's analysis logger: settings from its journal, entries recomputed (cached per instant)."""

    def __init__(self, view: MeterView) -> None:
        self.view = view
        self._key: tuple | None = None
        self._profile: ProfileData | None = None

    @functools.cached_property
    def probe(self) -> InstantGetters:
        """The instantaneous-register getters the entries are read through (made on the first read)."""
        return InstantGetters(self.view.config)

    def _sampled(self, code: str) -> bool:
        """Whether a channel is sampled (not an instantaneous register, which is averaged)."""
        return channel_kind(self.view.objects.lookup(code)) != AVERAGE

    def recomputable(self) -> bool:
        """Whether the fleet recomputes every channel: averages, and energy samples since a write.

        Energy registers are recomputed from the registers the fleet keeps (AnalysisSamples.kept).
        """
        samples = [energy_register(c) for c in self.settings().channels if self._sampled(c)]
        known = [r for r in samples if r is not None]
        return len(known) == len(samples) and self.view.fleet.analysis.kept(self.view.i, known)

    def settings(self) -> AnalysisSettings:
        """What the logger holds now (the configuration's [analysis], then its journaled writes)."""
        return analysis_settings(self.view.fleet, self.view.i)

    def profile(self) -> ProfileData:
        """The entries as a single meter's logger shows them (local capture time, channel values)."""
        fleet, i = self.view.fleet, self.view.i
        key = (
            fleet.t,
            len(fleet.writes),
            len(fleet.ct_changes),
            len(fleet.outages),
            len(fleet.temperatures.settings),
            len(fleet.quality.voltage_events.events),
        )
        if key != self._key or self._profile is None:
            settings = self.settings()
            to_local = self.view.localtime.to_local
            rows = [
                (to_local(t), *values)
                for t, *values in analysis_rows(fleet, i, settings, self.probe)
            ]
            self._profile = ProfileData([CLOCK, *settings.channels], rows, settings.minutes * 60)
            self._key = key
        return self._profile

    def _configure(self, channels: list[str], minutes: int) -> list[str]:
        """The single meter's validation, plus what a fleet meter recomputes: instantaneous registers."""
        codes = checked_settings(self.view.objects, channels, minutes)
        for code in codes:
            if self._sampled(code) and energy_register(code) is None:
                raise ConfigError("analysis channel", code, AVERAGED_ONLY)
        return codes

    def set_capture_objects(self, codes: list[str]) -> None:
        """New channels (the clock optional, first): validated, journaled; the log restarts."""
        channels = self._configure(capture_channels(list(codes)), self.settings().minutes)
        if any(energy_register(c) is not None for c in channels):
            self.view.fleet.analysis.watch(self.view.i)
        journal(self.view.fleet, self.view.i, "set_columns", (channels,))

    def set_capture_period(self, seconds: int) -> None:
        """A new capture period in seconds: validated, journaled; the log restarts."""
        minutes = period_minutes(seconds)
        self._configure(list(self.settings().channels), minutes)
        journal(self.view.fleet, self.view.i, "set_period", (seconds,))
