"""A fleet meter's value table made on demand: each adder of values runs when one of its values is asked.

A ``MeterView`` adds its values with a fixed sequence of adders (``core`` identity values, energy and
instantaneous registers, then each fleet module's ``add_*_values``). Reading a handful of values of
one meter (a push notification: serial, clock, the alarm and error registers) needs only the adders
that define them: ``LazyValues`` runs an adder the first time one of its OBIS codes is asked (or
another adder asks for it while adding its own), and every remaining adder when the table is walked
or a code no adder is known for is asked. Which adder defines which code is learned once per fleet
by running them in order on one meter (``value_owners``): the same sequence a full view runs, so a
lazily made value is the very ``ValueDef`` a full view holds.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from k351c.errors import ConfigError
from k351c.meter.objects import ObjectTable, ValueDef
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.fleet import Fleet

Adder = Callable[[Any], None]
"""Adds a group of values to a view's table (``core_values``-like, ``add_quality_values``, ...)."""

_OWNERS: weakref.WeakKeyDictionary[Fleet, dict[Obis, int]] = weakref.WeakKeyDictionary()


class LazyValues(ObjectTable):
    """A view's table (``inner``, whatever it falls back to) whose adders run when their values are asked."""

    def __init__(
        self, inner: ObjectTable, view: object, adders: Sequence[Adder], owners: Callable[[], dict[Obis, int]]
    ) -> None:
        super().__init__()
        self.inner, self.view, self.adders = inner, view, adders
        self._owners = owners
        self._known: dict[Obis, int] | None = None
        self._started = [False] * len(adders)
        self._recording = False
        self._defs = inner._defs  # one dict: what an adder adds is found by every ObjectTable method

    # --------------------------------------------------------------- running the adders
    def _run(self, k: int) -> None:
        if not self._started[k]:
            self._started[k] = True
            self.adders[k](self.view)

    def run_all(self) -> None:
        """Run every adder not run yet, in the full view's order."""
        for k in range(len(self.adders)):
            self._run(k)

    def record_owners(self) -> dict[Obis, int]:
        """Run every adder in order and say which one added each OBIS code (on a table nothing ran on)."""
        owners: dict[Obis, int] = {}
        self._recording = True
        try:
            for k in range(len(self.adders)):
                before = set(self._defs)
                self._run(k)
                owners.update(dict.fromkeys(self._defs.keys() - before, k))
        finally:
            self._recording = False
        return owners

    def _provide(self, code: Obis) -> None:
        """Run the adder that defines ``code`` (all remaining ones for a code none is known for)."""
        if code in self._defs or self._recording or all(self._started):
            return
        if self._known is None:
            self._known = self._owners()
        owner = self._known.get(code)
        if owner is None:
            self.run_all()
        else:
            self._run(owner)

    # ----------------------------------------------------------------- the table
    def add(self, value: ValueDef) -> None:
        """Register a value (an adder adding its own)."""
        self.inner.add(value)

    def replace(self, value: ValueDef) -> None:
        """Register or redefine a value."""
        self.inner.replace(value)

    def get(self, obis: str | Obis) -> ValueDef | None:
        """The definition (its adder run now if needed) or None."""
        code = Obis.parse(obis)
        self._provide(code)
        return self.inner.get(code)

    def lookup(self, obis: str | Obis) -> ValueDef:
        """The definition of an OBIS code; ConfigError naming it when unknown."""
        code = Obis.parse(obis)
        self._provide(code)
        return self.inner.lookup(code)

    def __contains__(self, obis: object) -> bool:
        if isinstance(obis, str | Obis | bytes):
            try:
                self._provide(Obis.parse(obis))
            except (ConfigError, TypeError):
                return False
        return obis in self.inner

    def __iter__(self) -> Iterator[ValueDef]:
        self.run_all()
        return iter(self.inner)

    def __len__(self) -> int:
        self.run_all()
        return len(self.inner)


def value_owners(fleet: Fleet, bare: Callable[[], Any]) -> dict[Obis, int]:
    """Which adder defines each OBIS code of the fleet's meters, learned once per fleet on ``bare()``,
    a view of one meter whose ``objects`` is a ``LazyValues`` nothing ran on."""
    found = _OWNERS.get(fleet)
    if found is None:
        table = bare().objects
        assert isinstance(table, LazyValues)
        found = _OWNERS[fleet] = table.record_owners()
    return found
