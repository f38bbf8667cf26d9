"""docs/obis.md is generated from the live object list and lists every OBIS code DESIGN.md requires."""

from __future__ import annotations

from pathlib import Path

from k351c.cli.obisdoc import doc_objects, group_of, relay_module_config, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "obis.md"
REGENERATE = "regenerate it with: python -m k351c.cli.obisdoc > docs/obis.md"

# The OBIS table of /work/shared/DESIGN.md, code by code, with the interface class it names.
DESIGN_CODES: dict[str, int] = {
    "0-0:1.0.0.255": 8,
    "0-0:42.0.0.255": 1,
    "0-0:96.1.0.255": 1,
    "0-0:96.1.1.255": 1,
    **{f"1-0:{c}.8.{t}.255": 3 for c in (1, 2, 3, 4) for t in range(5)},
    "1-1:1.8.0.255": 3,
    **{f"1-0:{c}.7.0.255": 3 for c in (1, 2, 3, 4, 9, 10, 21, 41, 61)},
    **{f"1-0:{c}.7.0.255": 3 for c in (32, 52, 72, 31, 51, 71, 33, 53, 73, 13, 14)},
    **{
        f"1-0:{c}.6.{t}.255": 4
        for c, t in ((1, 0), (1, 1), (1, 2), (3, 0), (3, 1), (3, 2), (9, 0), (10, 0))
    },
    **{f"1-0:{c}.2.{t}.255": 3 for c, t in ((1, 0), (1, 1), (1, 2), (3, 0))},
    "1-0:0.4.2.255": 1,
    "1-0:0.4.5.255": 1,
    "0-0:96.8.0.255": 3,
    "0-0:0.1.0.255": 1,
    "0-0:96.14.0.255": 1,
    "0-0:98.1.0.255": 7,
    "0-0:98.2.0.255": 7,
    "1-0:99.1.0.255": 7,
    "1-0:99.2.0.255": 7,
    "0-0:99.98.0.255": 7,
    "0-0:99.98.1.255": 7,
    "0-0:99.98.4.255": 7,
    "1-0:99.97.0.255": 7,
    **{f"1-0:{c}.3.0.255": 3 for c in (32, 52, 72)},
    **{f"1-0:{c}.6.0.255": 4 for c in (32, 52, 72)},
    **{f"1-0:{c}.{d}.0.255": 1 for c in (32, 52, 72) for d in (32, 36)},
    "0-0:96.7.21.255": 1,
    "0-0:97.97.0.255": 1,
    "0-0:97.98.0.255": 1,
    "0-0:21.0.1.255": 7,
    "0-0:21.0.2.255": 7,
    "0-0:21.0.3.255": 7,
    "0-0:40.0.0.255": 15,
    "0-0:41.0.0.255": 17,
    "0-0:43.0.0.255": 64,
    "0-0:22.0.0.255": 23,
    "0-0:25.0.0.255": 41,
    "0-0:13.0.0.255": 20,
    "0-0:11.0.0.255": 11,
    "0-0:25.9.0.255": 40,
}


def test_docs_obis_md_is_current() -> None:
    expected = render(doc_objects(), doc_objects(relay_module_config()))
    assert DOC.exists(), f"docs/obis.md is missing; {REGENERATE}"
    assert DOC.read_text(encoding="utf-8") == expected, f"docs/obis.md is out of date; {REGENERATE}"


def test_every_design_obis_code_is_served_and_documented() -> None:
    objects = doc_objects()
    text = DOC.read_text(encoding="utf-8")
    missing = [code for code, cls in DESIGN_CODES.items() if objects.find(cls, code) is None]
    assert not missing, f"objects DESIGN.md requires are not in the object list: {missing}"
    undocumented = [code for code, cls in DESIGN_CODES.items() if f"| {code} | {cls} |" not in text]
    assert not undocumented, f"not in docs/obis.md: {undocumented}; {REGENERATE}"


def test_manufacturer_objects_and_groups() -> None:
    objects = doc_objects()
    groups = {str(o.obis): group_of(o) for o in objects}
    assert groups["0-0:128.10.0.255"] == "manufacturer"
    assert groups["1-0:1.8.0.255"] == "energy"
    assert groups["1-0:32.7.0.255"] == "instantaneous"
    assert groups["1-0:1.6.0.255"] == "demand"
    assert groups["0-0:99.98.0.255"] == "events"
    assert groups["1-0:99.1.0.255"] == "loggers"
    assert groups["1-0:32.32.0.255"] == "quality"
    assert groups["0-0:43.0.0.255"] == "communication"
    assert groups["0-0:13.0.0.255"] == "abstract"


def test_relay_module_adds_disconnect_control() -> None:
    objects = doc_objects(relay_module_config())
    assert objects.find(70, "0-0:96.3.10.255") is not None
    assert objects.find(70, "0-1:96.3.10.255") is not None
    assert "| 0-0:96.3.10.255 | 70 |" in DOC.read_text(encoding="utf-8")
