"""Selective access descriptors of xDLMS (Green Book 9.3, Blue Book 4.3.6): the capture object
definition, range and entry descriptors, and the selector with its A-XDR parameters.

They are values of the data model (profile generic reads them), so they sit below ``cosem``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from k351c.axdr.types import Data, DataType
from k351c.errors import RemoteProtocolError


@dataclass(frozen=True, slots=True)
class CaptureObject:
    """A capture object definition: class id, logical name, attribute index, data index."""

    class_id: int
    logical_name: bytes
    attribute_index: int
    data_index: int = 0

    def to_data(self) -> Data:
        """As the structure of four used in profile generic."""
        return Data.structure(
            Data.long_unsigned(self.class_id),
            Data.octet_string(self.logical_name),
            Data.integer(self.attribute_index),
            Data.long_unsigned(self.data_index),
        )

    @classmethod
    def from_data(cls, data: Data) -> CaptureObject:
        """From the structure of four; RemoteProtocolError if the shape is wrong."""
        class_id, name, attribute, version = (f.value for f in _structure(data, 4))
        if not (isinstance(name, bytes) and len(name) == 6):
            raise RemoteProtocolError("capture object logical name must be 6 octets")
        if not (isinstance(class_id, int) and isinstance(attribute, int) and isinstance(version, int)):
            raise RemoteProtocolError("capture object fields must be integers")
        return cls(class_id, name, attribute, version)


def _structure(data: Data, size: int) -> Sequence[Data]:
    try:
        return data.fields(size)
    except TypeError:
        raise RemoteProtocolError(f"expected a structure of {size}") from None


@dataclass(frozen=True, slots=True)
class RangeDescriptor:
    """Selective access by range (selector 1 of profile generic)."""

    restricting_object: CaptureObject
    from_value: Data
    to_value: Data
    selected_values: tuple[CaptureObject, ...] = ()

    def to_data(self) -> Data:
        """The parameter structure."""
        return Data.structure(
            self.restricting_object.to_data(),
            self.from_value,
            self.to_value,
            Data.array(c.to_data() for c in self.selected_values),
        )


@dataclass(frozen=True, slots=True)
class EntryDescriptor:
    """Selective access by entry (selector 2): 1-based entries and columns, 0 = to the last."""

    from_entry: int = 1
    to_entry: int = 0
    from_selected_value: int = 1
    to_selected_value: int = 0

    def to_data(self) -> Data:
        """The parameter structure."""
        return Data.structure(
            Data.double_long_unsigned(self.from_entry),
            Data.double_long_unsigned(self.to_entry),
            Data.long_unsigned(self.from_selected_value),
            Data.long_unsigned(self.to_selected_value),
        )


@dataclass(frozen=True, slots=True)
class SelectiveAccess:
    """Selective-Access-Descriptor: access selector and its parameters."""

    selector: int
    parameters: Data

    @classmethod
    def from_descriptor(cls, descriptor: RangeDescriptor | EntryDescriptor) -> SelectiveAccess:
        """Selector 1 for a range, 2 for entries."""
        selector = 1 if isinstance(descriptor, RangeDescriptor) else 2
        return cls(selector, descriptor.to_data())

    def range_descriptor(self) -> RangeDescriptor:
        """Interpret selector 1 parameters; RemoteProtocolError if malformed."""
        if self.selector != 1:
            raise RemoteProtocolError(f"selector {self.selector} is not a range descriptor")
        restricting, low, high, selected = _structure(self.parameters, 4)
        if selected.type is not DataType.ARRAY:
            raise RemoteProtocolError("selected values must be an array")
        return RangeDescriptor(
            CaptureObject.from_data(restricting),
            low,
            high,
            tuple(CaptureObject.from_data(c) for c in selected.items()),
        )

    def entry_descriptor(self) -> EntryDescriptor:
        """Interpret selector 2 parameters; RemoteProtocolError if malformed."""
        if self.selector != 2:
            raise RemoteProtocolError(f"selector {self.selector} is not an entry descriptor")
        values = [f.value for f in _structure(self.parameters, 4)]
        numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if len(numbers) != 4:
            raise RemoteProtocolError("entry descriptor fields must be integers")
        return EntryDescriptor(*numbers)
