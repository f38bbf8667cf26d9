"""Wired M-Bus (EN 13757-2 link layer, EN 13757-3 application layer): codecs, slave, master."""

from k351c.protocols.mbus.electricity import ElectricityValues, electricity_records
from k351c.protocols.mbus.frames import (
    CI,
    NEED_DATA,
    Address,
    Control,
    ControlFrame,
    Frame,
    Framer,
    Function,
    LongFrame,
    ShortFrame,
    SingleCharacter,
    parse_frame,
)
from k351c.protocols.mbus.header import FixedHeader, Identification, Medium, Selection, Status
from k351c.protocols.mbus.master import Telegram, WiredBus, search_secondary
from k351c.protocols.mbus.records import (
    DataField,
    DataRecord,
    FunctionField,
    ManufacturerData,
    decode_records,
    encode_records,
)
from k351c.protocols.mbus.slave import MBusSlave, Repeat, SlaveBackend, StaticBackend
from k351c.protocols.mbus.vif import Meaning, describe

__all__ = [
    "CI",
    "NEED_DATA",
    "Address",
    "Control",
    "ControlFrame",
    "DataField",
    "DataRecord",
    "ElectricityValues",
    "FixedHeader",
    "Frame",
    "Framer",
    "Function",
    "FunctionField",
    "Identification",
    "LongFrame",
    "MBusSlave",
    "ManufacturerData",
    "Meaning",
    "Medium",
    "Repeat",
    "Selection",
    "ShortFrame",
    "SingleCharacter",
    "SlaveBackend",
    "StaticBackend",
    "Status",
    "Telegram",
    "WiredBus",
    "decode_records",
    "describe",
    "electricity_records",
    "encode_records",
    "parse_frame",
    "search_secondary",
]
