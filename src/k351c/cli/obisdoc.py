"""Generate docs/obis.md: every COSEM object of a default meter, as `k351c serve` installs them.

Run ``python -m k351c.cli.obisdoc > docs/obis.md``; a test regenerates it and compares.
"""

from __future__ import annotations

import dataclasses
import sys
from collections import Counter
from collections.abc import Callable

from k351c.axdr.types import DataType
from k351c.clock import SimClock
from k351c.codes import MeterConfig
from k351c.cosem import CosemObject, Level, ObjectList, RequestContext
from k351c.cosem.model import AttributeAccessMode
from k351c.meter.core import Meter
from k351c.units import Unit, unit_name

EPOCH = "2026-01-01T00:00:00Z"
RELAY_MODULE = 53
HLS_GMAC = bytes.fromhex("60857405080205")
LEVELS = (("public", Level.PUBLIC), ("reading", Level.READING), ("management", Level.MANAGEMENT))
SYMBOL = {
    AttributeAccessMode.NO_ACCESS: "-",
    AttributeAccessMode.READ_ONLY: "r",
    AttributeAccessMode.WRITE_ONLY: "w",
    AttributeAccessMode.READ_AND_WRITE: "rw",
}
GROUPS = (
    (
        "abstract",
        "Abstract objects: clock, identification, tariffication, calendar, billing, relays",
    ),
    ("energy", "Energy registers"),
    ("instantaneous", "Instantaneous values"),
    ("demand", "Demand: peaks and accumulated peaks"),
    ("loggers", "Loggers (profile generic) and display lists"),
    ("events", "Events: event logs, last event codes, error and alarm registers"),
    ("quality", "Power quality: voltage extremes, sags and swells, power failures"),
    ("communication", "Communication: associations, ports, security, push"),
    ("manufacturer", "Manufacturer-specific objects (a value group 128..254)"),
)
COMMUNICATION_CLASSES = {15, 17, 23, 40, 41, 64}


def relay_module_config() -> MeterConfig:
    """The default configuration with load control module 053 (two relays) fitted."""
    config = MeterConfig.default()
    return dataclasses.replace(
        config, config1=dataclasses.replace(config.config1, ccc=RELAY_MODULE)
    )


def doc_objects(config: MeterConfig | None = None) -> ObjectList:
    """The full object list of a meter, with the objects the server adds (security, push)."""
    from k351c.server.push import PushService
    from k351c.server.runtime import Runtime
    from k351c.server.security import security_for

    meter = Meter(config or MeterConfig.default(), clock=SimClock(EPOCH))
    runtime = Runtime(meter)
    security_for(runtime)
    PushService(runtime, None)
    return runtime.objects


def group_of(obj: CosemObject) -> str:
    """The documentation group of an object, by interface class and OBIS value groups."""
    o = obj.obis
    if any(128 <= v <= 254 for v in (o.c, o.d, o.e)):
        return "manufacturer"
    if obj.class_id in COMMUNICATION_CLASSES:
        return "communication"
    if obj.class_id == 7:
        return "events" if (o.c, o.d) == (99, 98) or (o.c, o.d) == (99, 97) else "loggers"
    if o.a == 0:
        if o.c in (22, 25, 40, 41, 43):
            return "communication"
        if (o.c, o.d) in ((96, 11), (97, 97), (97, 98)):
            return "events"
        return "quality" if (o.c, o.d) == (96, 7) else "abstract"
    if o.c == 0:
        return "abstract"
    if o.c in (12, 32, 52, 72) and o.d not in (7, 8):
        return "quality"
    return {8: "energy", 29: "energy", 7: "instantaneous", 2: "demand", 6: "demand"}.get(
        o.d, "abstract"
    )


def _context(level: Level) -> RequestContext:
    mechanism = HLS_GMAC if level == Level.MANAGEMENT else b""
    return RequestContext(level, association={"mechanism_name": mechanism})


def rights(obj: CosemObject, level: Level) -> str:
    """Access of an association level: the common attribute mode, exceptions, allowed methods."""
    modes = {i: SYMBOL[a.mode(level)] for i, a in sorted(obj.attributes.items()) if i != 1}
    if not modes:
        return "-"
    common = Counter(modes.values()).most_common(1)[0][0]
    text = common
    for symbol in sorted(set(modes.values()) - {common}, key=list(SYMBOL.values()).index):
        ids = ",".join(str(i) for i, s in modes.items() if s == symbol)
        text += f"; {symbol} {ids}"
    methods = [str(i) for i, m in sorted(obj.methods.items()) if m.allowed(_context(level))]
    return text + (f"; m{','.join(methods)}" if methods else "")


def unit_scaler(obj: CosemObject) -> tuple[str, str]:
    """(unit, scaler) of a register from attribute 3, empty for other classes."""
    attr = obj.attributes.get(3)
    if obj.class_id not in (3, 4) or attr is None or attr.get is None:
        return "", ""
    value = attr.get(_context(Level.MANAGEMENT))
    if value.type != DataType.STRUCTURE:
        return "", ""
    scaler, unit = (v.as_int() for v in value.items())
    name = "" if unit == int(Unit.COUNT) else unit_name(Unit(unit)) or str(unit)
    return name, str(scaler)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(members: list[CosemObject]) -> list[str]:
    lines = [
        "| OBIS | class | description | unit | scaler | public | reading | management |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for obj in members:
        unit, scaler = unit_scaler(obj)
        access = " | ".join(rights(obj, level) for _, level in LEVELS)
        lines.append(
            f"| {obj.obis} | {obj.class_id} | {_cell(obj.description)} | {unit} | {scaler} | {access} |"
        )
    return lines


def render(objects: ObjectList, optional: ObjectList | None = None) -> str:
    """The Markdown document; ``optional`` adds the objects a relay module brings."""
    by_group: dict[str, list[CosemObject]] = {name: [] for name, _ in GROUPS}
    for obj in objects:
        by_group[group_of(obj)].append(obj)
    lines = [
        "# COSEM objects",
        "",
        "Every object of a default meter (`MeterConfig.default()`) as `k351c serve` serves it on logical",
        "device 1, generated by `python -m k351c.cli.obisdoc > docs/obis.md` (a test checks it is current).",
        "Objects that depend on the configuration appear when it fits them; the last section lists what a",
        "load control module adds (disconnect control, class 70).",
        "",
        "Access per association (client SAP 16 public, 32 reading/LLS, 1 management/HLS): the mode of most",
        "attributes (`r`, `w`, `rw`, `-`), then the attributes with another mode, then `m` and the methods the",
        "association may invoke. Attribute 1 (logical name) is readable by all. Unit and scaler are those of",
        "attribute 3 (scaler_unit) of registers.",
        "",
        f"{len(objects)} objects.",
    ]
    for name, title in GROUPS:
        if by_group[name]:
            lines += ["", f"## {title}", "", *_table(by_group[name])]
    if optional is not None:
        known = {(o.class_id, o.obis) for o in objects}
        extra = [o for o in optional if (o.class_id, o.obis) not in known]
        lines += [
            "",
            f"## With a load control module (configuration 1 CCC = {RELAY_MODULE:03d}, two relays)",
            "",
            "Objects such a meter has in addition to the ones above.",
            "",
            *_table(extra),
        ]
    return "\n".join(lines) + "\n"


def main(write: Callable[[str], object] = sys.stdout.write) -> None:
    """Print the document."""
    write(render(doc_objects(), doc_objects(relay_module_config())))


if __name__ == "__main__":
    main()
