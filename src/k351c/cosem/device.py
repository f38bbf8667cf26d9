"""The one assembler of a logical device: object specs from a meter source and typed server settings.

``object_specs(template, settings)`` lists every object of the logical device as a spec: class id,
logical name and how to build that object over one meter source (a ``Meter``, or meter i of a fleet
as a ``MeterView``), in that source's object list. ``build_object_list`` builds them all over one
meter (a served single meter). A fleet binds the specs once and gives each meter its own
``LogicalDevice``, which builds an object over that meter the first time a request asks for it:
the meter a request addresses is passed with the request (as pymodbus hands the device id to its
datastore), and a fleet meter costs only the objects its head-end reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from k351c.axdr.enums import DataAccessResult
from k351c.codes.server import ServerSettings
from k351c.cosem.bind import value_object
from k351c.cosem.calendar import activity_calendar, calendar_keeper
from k351c.cosem.disconnect import disconnect_objects
from k351c.cosem.infra import (
    association_ln,
    hdlc_setup,
    ipv4_setup,
    mac_setup,
    sap_assignment,
    tcp_udp_setup,
)
from k351c.cosem.model import CosemObject, ObjectList
from k351c.cosem.push import PushPort, default_setups, push_setup_object
from k351c.cosem.script import end_of_billing_script
from k351c.cosem.security import (
    INVOCATION_COUNTER,
    SECURITY_SETUP,
    SecurityPort,
    invocation_counter,
    security_setup,
)
from k351c.cosem.specialdays import billing_schedule, special_days_table
from k351c.obis import Obis

if TYPE_CHECKING:
    from k351c.meter.core import Meter
    from k351c.meter.fleet_view import MeterView

MeterSource = Union["Meter", "MeterView"]
Build = Callable[[Any, ObjectList], CosemObject]
"""Build one object over a meter source, in that source's object list (the association lists it)."""


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """One object of the logical device: its class, logical name and how to build it over a meter."""

    class_id: int
    obis: Obis
    build: Build

    @property
    def key(self) -> tuple[int, bytes]:
        """(class id, logical name octets): how a request names the object."""
        return self.class_id, self.obis.to_bytes()


def _value_build(obis: Obis) -> Build:
    def build(meter: Any, objects: ObjectList) -> CosemObject:
        found = value_object(meter, meter.objects.lookup(obis))
        assert found is not None
        return found

    return build


def _infrastructure_builds(settings: ServerSettings) -> list[Build]:
    """The communication objects: association LN, SAP assignment, HDLC, TCP-UDP, IPv4 and MAC setup."""
    return [
        lambda meter, objects: association_ln(objects),
        lambda meter, objects: sap_assignment(meter),
        lambda meter, objects: hdlc_setup(meter, settings),
        lambda meter, objects: tcp_udp_setup(settings),
        lambda meter, objects: ipv4_setup(settings),
        lambda meter, objects: mac_setup(meter),
    ]


SERVICE_BUILDS: tuple[Build, ...] = (
    lambda meter, objects: activity_calendar(meter, calendar_keeper(meter)),
    lambda meter, objects: special_days_table(meter),
    lambda meter, objects: billing_schedule(meter),
    lambda meter, objects: end_of_billing_script(meter),
)
"""Objects over meter functions: calendar, special days, billing schedule and end-of-billing script."""


def _disconnect_build(k: int) -> Build:
    return lambda meter, objects: disconnect_objects(meter)[k]


def object_specs(
    template: MeterSource, settings: ServerSettings | Mapping[str, Any] | None = None
) -> list[ObjectSpec]:
    """Every object of the logical device of meters shaped like ``template``, as specs."""
    typed = ServerSettings.coerce(settings)
    specs = [
        ObjectSpec(d.class_id, d.obis, _value_build(d.obis))
        for d in template.objects
        if d.class_id in (1, 3, 4, 7, 8)
    ]
    scratch = ObjectList()
    builds = [*_infrastructure_builds(typed), *SERVICE_BUILDS]
    builds += [_disconnect_build(k) for k in range(len(disconnect_objects(template)))]
    for build in builds:
        sample = build(template, scratch)
        specs.append(ObjectSpec(sample.class_id, sample.obis, build))
    return specs


def security_specs(port: Callable[[Any], SecurityPort]) -> list[ObjectSpec]:
    """The security setup (class 64) and its invocation counter over a meter's security keeper.

    The keeper (keys, counters, policy) lives with the server, so the server adds these specs:
    ``port(meter)`` is that meter's keeper.
    """
    return [
        ObjectSpec(64, SECURITY_SETUP, lambda meter, objects: security_setup(port(meter))),
        ObjectSpec(1, INVOCATION_COUNTER, lambda meter, objects: invocation_counter(port(meter))),
    ]


def push_specs(port: Callable[[Any], PushPort]) -> list[ObjectSpec]:
    """The push setups (class 40) over a meter's push keeper, as serve and every fleet meter list them.

    The keeper (setups, persistence, delivery) lives with the server: ``port(meter)`` is that meter's.
    """

    def build(name: str) -> Build:
        def build_(meter: Any, objects: ObjectList) -> CosemObject:
            keeper = port(meter)
            return push_setup_object(keeper.setups[name], keeper.changed, keeper.trigger)

        return build_

    return [ObjectSpec(40, Obis.parse(s.obis), build(name)) for name, s in default_setups().items()]


def build_object_list(meter: MeterSource, settings: ServerSettings | Mapping[str, Any] | None = None) -> ObjectList:
    """The logical device's full object list over one meter: its values plus the communication objects."""
    objects = ObjectList()
    for spec in object_specs(meter, settings):
        objects.add(spec.build(meter, objects))
    return objects


class DeviceSpecs:
    """The specs of meters of one shape, indexed once and shared by each meter's ``LogicalDevice``."""

    def __init__(self, specs: Sequence[ObjectSpec], template: MeterSource) -> None:
        self.by_key = {spec.key: spec for spec in specs}
        self.template = template
        self._listing: ObjectList | None = None

    def listing(self) -> ObjectList:
        """The objects built once over the template, for the association's object_list.

        Class, version, logical name and access rights come from the specs alone, so they are the
        same for every meter of this shape; no getter of the listing is ever called for a request.
        """
        if self._listing is None:
            listing = ObjectList()
            for spec in self.by_key.values():
                listing.add(spec.build(self.template, listing))
            self._listing = listing
        return self._listing


class LogicalDevice(ObjectList):
    """One meter's object list from shared specs; each object is built over the meter when first asked."""

    def __init__(self, specs: DeviceSpecs, meter: MeterSource) -> None:
        super().__init__()
        self.meter = meter
        self.specs = specs
        self._specs = specs.by_key

    def _built(self, key: tuple[int, bytes]) -> CosemObject | None:
        found = self._objects.get(key)
        if found is None:
            spec = self._specs.get(key)
            if spec is None:
                return None
            found = spec.build(self.meter, self)
            self.add(found)
        return found

    def _locate(self, class_id: int, ln: bytes) -> CosemObject | DataAccessResult:
        found = self._built((class_id, bytes(ln)))
        if found is not None:
            return found
        if bytes(ln) in self._by_ln or any(name == bytes(ln) for _, name in self._specs):
            return DataAccessResult.OBJECT_CLASS_INCONSISTENT
        return DataAccessResult.OBJECT_UNDEFINED

    def find(self, class_id: int, ln: bytes | Obis | str) -> CosemObject | None:
        """The object with this class id and logical name (built now if needed), or None."""
        key = ln if isinstance(ln, bytes) else Obis.parse(ln).to_bytes()
        return self._built((class_id, key))

    def __iter__(self) -> Iterator[CosemObject]:
        """Every object; those not asked for yet are built for this walk and not kept (memory per meter)."""
        walk = [
            self._objects.get(key) or self._specs[key].build(self.meter, self)
            for key in self._specs.keys() | self._objects.keys()
        ]
        return iter(sorted(walk, key=lambda o: (o.obis, o.class_id)))

    def __len__(self) -> int:
        return len(self._specs.keys() | self._objects.keys())

    def catalog(self) -> Iterator[CosemObject]:
        """The shared listing, plus any object added to this meter alone (no object is built)."""
        extra = [o for key, o in self._objects.items() if key not in self._specs]
        listed = [*self.specs.listing(), *extra]
        return iter(sorted(listed, key=lambda o: (o.obis, o.class_id)))
