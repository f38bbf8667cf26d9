"""The values of the DLMS/COSEM data model, below the object model (sans-IO, no protocol state).

A-XDR data (``types``: Data, DataType; ``codec``: encode/decode; ``compact_array``; ``length``),
the COSEM date-time (``cosem_datetime``), the selective access descriptors (``selective``) and the
standard's result codes and enumerations (``enums``). ``k351c.cosem`` builds its interface classes
from these; ``k351c.protocols.dlms`` carries them in APDUs.
"""
