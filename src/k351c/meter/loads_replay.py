"""Replay of recorded load data from CSV or Parquet (or a pandas DataFrame).

Columns: ``time`` (ISO 8601 with offset, or POSIX seconds) and either per-phase phasors
``u1 u2 u3 i1 i2 i3`` with optional ``angle1 angle2 angle3`` (degrees current lags voltage,
default 0) and optional ``frequency``, or totals ``p`` (W) and optional ``q`` (var), spread
evenly over the three phases at ``voltage``. Each row holds until the next row's time; the
last row holds for the median row spacing; outside the record there is no current, unless
``loop`` repeats the record with its own period.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from k351c.meter.loads import Segments, phasors_from_power
from k351c.meter.metrology import PhaseInputs

PHASOR_COLUMNS = ("u1", "u2", "u3", "i1", "i2", "i3")


def _posix(column) -> np.ndarray:
    """POSIX seconds of a time column given as numbers or ISO strings/datetimes."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=float)
    stamps = pd.to_datetime(column, utc=True)
    return (stamps - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy(dtype=float)


class ReplayLoad:
    """A recorded load replayed as a pure function of time."""

    def __init__(self, times: np.ndarray, inputs: PhaseInputs, loop: bool = False) -> None:
        order = np.argsort(times, kind="stable")
        self.starts = np.asarray(times, dtype=float)[order]
        self.inputs = inputs.take(order)
        step = float(np.median(np.diff(self.starts))) if self.starts.size > 1 else 900.0
        self.end = self.starts[-1] + step
        self.period = self.end - self.starts[0]
        self.loop = loop

    @classmethod
    def from_frame(
        cls, frame, loop: bool = False, voltage: float = 230.0, frequency: float = 50.0
    ) -> ReplayLoad:
        """Build from a DataFrame with the columns described in the module docstring."""
        cols = {c.lower(): c for c in frame.columns}
        if "time" not in cols:
            raise ValueError("a replay needs a 'time' column")
        times = _posix(frame[cols["time"]])
        n = times.size
        freq = (
            frame[cols["frequency"]].to_numpy(float)
            if "frequency" in cols
            else np.full(n, frequency)
        )
        if all(c in cols for c in PHASOR_COLUMNS):

            def get(name: str, default: float) -> np.ndarray:
                return frame[cols[name]].to_numpy(float) if name in cols else np.full(n, default)

            u = np.stack([get(f"u{k}", voltage) for k in (1, 2, 3)], axis=1)
            i = np.stack([get(f"i{k}", 0.0) for k in (1, 2, 3)], axis=1)
            a = np.stack([get(f"angle{k}", 0.0) for k in (1, 2, 3)], axis=1)
            inputs = PhaseInputs(u, i, a, freq)
        elif "p" in cols:
            p = frame[cols["p"]].to_numpy(float)
            q = frame[cols["q"]].to_numpy(float) if "q" in cols else np.zeros(n)
            third = np.ones((1, 3)) / 3.0
            inputs = phasors_from_power(
                p[:, None] * third, q[:, None] * third, np.array(voltage), freq
            )
        else:
            raise ValueError("a replay needs u1..u3 and i1..i3 columns, or a 'p' column")
        return cls(times, inputs, loop=loop)

    @classmethod
    def from_file(
        cls, path: str | Path, loop: bool = False, voltage: float = 230.0, frequency: float = 50.0
    ) -> ReplayLoad:
        """Read a .csv or .parquet file."""
        import pandas as pd

        path = Path(path)
        frame = (
            pd.read_parquet(path)
            if path.suffix.lower() in (".parquet", ".pq")
            else pd.read_csv(path)
        )
        return cls.from_frame(frame, loop=loop, voltage=voltage, frequency=frequency)

    def _row(self, t: np.ndarray) -> np.ndarray:
        """Row index per instant, -1 outside the record."""
        if self.loop:
            t = self.starts[0] + np.mod(t - self.starts[0], self.period)
        k = np.searchsorted(self.starts, t, side="right") - 1
        return np.where((t >= self.starts[0]) & (t < self.end), k, -1)

    def _boundaries(self, t0: float, t1: float) -> np.ndarray:
        edges = np.append(self.starts, self.end)
        if not self.loop:
            inner = edges[(edges > t0) & (edges < t1)]
            return np.concatenate(([t0], inner, [t1]))
        first = np.floor((t0 - self.starts[0]) / self.period)
        last = np.floor((t1 - self.starts[0]) / self.period)
        shifted = (edges[:-1][None, :] + self.period * np.arange(first, last + 1)[:, None]).ravel()
        inner = shifted[(shifted > t0) & (shifted < t1)]
        return np.concatenate(([t0], inner, [t1]))

    def segments(self, t0: float, t1: float) -> Segments:
        """Intervals split at the record's row times."""
        times = self._boundaries(t0, t1)
        rows = self._row((times[:-1] + times[1:]) / 2)
        inside = self.inputs.take(np.maximum(rows, 0))
        if (rows >= 0).all():
            return Segments(times, inside)
        idle = rows < 0
        current = np.where(idle[:, None], 0.0, inside.current)
        return Segments(times, PhaseInputs(inside.voltage, current, inside.angle, inside.frequency))
