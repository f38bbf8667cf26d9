"""Per interface class: the Blue Book's attribute and method counts, and byte cases on one instance each.

``BLUE_BOOK`` is (version, attributes, methods) of each class as IEC 62056-6-2 defines it; the suite
checks the association view against it. The byte cases read attribute 1 (the logical name) and the
first attribute the class does not have, over the wrapper with the reading (LLS) association.
"""

from __future__ import annotations

from cases import Case, _wrap

from k351c.obis import Obis

BLUE_BOOK: dict[int, tuple[int, int, int]] = {
    1: (0, 2, 0),  # data
    3: (0, 3, 1),  # register
    4: (0, 5, 1),  # extended register
    7: (1, 8, 2),  # profile generic
    8: (0, 9, 6),  # clock
    9: (0, 2, 3),  # script table
    11: (0, 2, 2),  # special days table
    15: (1, 9, 4),  # association LN
    17: (0, 2, 1),  # SAP assignment
    20: (0, 10, 1),  # activity calendar
    22: (0, 4, 0),  # single action schedule
    23: (1, 9, 0),  # IEC HDLC setup
    40: (0, 7, 1),  # push setup
    41: (0, 6, 0),  # TCP-UDP setup
    42: (0, 10, 3),  # IPv4 setup
    43: (0, 2, 0),  # MAC address setup
    64: (0, 5, 2),  # security setup
    70: (0, 4, 2),  # disconnect control
}

INSTANCES: dict[int, str] = {
    1: "0-0:96.1.0.255",
    3: "1-0:1.8.0.255",
    4: "1-0:1.6.0.255",
    7: "1-0:99.1.0.255",
    8: "0-0:1.0.0.255",
    9: "0-0:10.0.1.255",
    11: "0-0:11.0.0.255",
    15: "0-0:40.0.0.255",
    17: "0-0:41.0.0.255",
    20: "0-0:13.0.0.255",
    22: "0-0:15.0.0.255",
    23: "0-0:22.0.0.255",
    41: "0-0:25.0.0.255",
    42: "0-0:25.1.0.255",
    43: "0-0:25.2.0.255",
    64: "0-0:43.0.0.255",
}

def _get(class_id: int, ln: bytes, attribute: int) -> str:
    return f"C001C1{class_id:04X}{ln.hex().upper()}{attribute:02X}00"


def _response(body: str) -> str:
    """A Get-Response-Normal (invoke 1) in a wrapper frame from wPort 1 to the reading client (32)."""
    apdu = bytes.fromhex("C401C1" + body)
    return "000100010020" + f"{len(apdu):04x}" + apdu.hex()


def class_cases() -> tuple[Case, ...]:
    """Two byte cases per class: attribute 1 answers the logical name, attribute n+1 object-undefined."""
    out = []
    for class_id, code in INSTANCES.items():
        ln = Obis.parse(code).to_bytes()
        _, attributes, _ = BLUE_BOOK[class_id]
        name = f"00 0906{ln.hex()}".replace(" ", "")
        out.append(_wrap(f"CLASS-{class_id:02d}-LN", f"class {class_id}", f"{code} attribute 1",
                         "lls", [(_get(class_id, ln, 1), _response(name))],
                         "its logical name (octet-string of 6)", client=32))
        out.append(_wrap(f"CLASS-{class_id:02d}-UNDEF", f"class {class_id}",
                         f"{code} attribute {attributes + 1}", "lls",
                         [(_get(class_id, ln, attributes + 1), _response("0104"))],
                         "object-undefined (4)", client=32))
    return tuple(out)
