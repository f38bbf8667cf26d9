"""What every COSEM object shares whatever its interface class: the class version and attribute 1."""

from __future__ import annotations

from k351c.axdr.types import Data, DataType
from k351c.cosem.model import Attribute, Level
from k351c.obis import Obis

# version of each interface class we implement (Blue Book)
CLASS_VERSION = {
    1: 0, 3: 0, 4: 0, 7: 1, 8: 0, 9: 0, 11: 0, 15: 1, 17: 0, 20: 0, 22: 0, 23: 1, 40: 0, 41: 0, 64: 0, 70: 0,
}


def logical_name(definition_obis: Obis) -> Attribute:
    """Attribute 1 of every class: the logical name, readable by all."""
    ln = Data(DataType.OCTET_STRING, definition_obis.to_bytes())
    return Attribute(lambda ctx: ln, read_level=Level.PUBLIC)
