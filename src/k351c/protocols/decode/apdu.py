"""Readable views of DLMS APDUs for traces: service names as the standard writes them, OBIS codes
``1-0:1.8.0.255``, data as plain values, and ciphered APDUs opened when the keys are known.

``ApduDecoder`` is the per-connection state a reader of the wire needs: the client's system title
(from the AARQ), the server's (from the AARE) and the dedicated key (from the deciphered
InitiateRequest). It reuses the project's own codecs (``parse_apdu``, ``decipher_apdu``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date, datetime, time
from enum import Enum, IntFlag

from k351c.axdr.cosem_datetime import CosemDateTime
from k351c.axdr.enums import (
    AssociationResult,
    AuthenticationMechanism,
    InitiateError,
    ServiceErrorChoice,
)
from k351c.axdr.selective import CaptureObject
from k351c.axdr.types import CompactArray, Data, DataType
from k351c.errors import K351CError
from k351c.obis import Obis
from k351c.protocols.dlms.acse import Aare, Aarq, Rlre, Rlrq
from k351c.protocols.dlms.apdu import (
    CipheredApdu,
    ConfirmedServiceError,
    CosemAttribute,
    CosemMethod,
    InvokeIdAndPriority,
    LongInvokeIdAndPriority,
)
from k351c.protocols.dlms.apdu_misc import parse_apdu
from k351c.protocols.dlms.initiate import InitiateRequest
from k351c.protocols.dlms.security import (
    PLAIN_OF,
    CipherKind,
    SecurityControl,
    cipher_kind,
    decipher_apdu,
)

KeySource = Callable[[], tuple[bytes, bytes]]
"""(global unicast encryption key, authentication key) as the meter holds them now."""

_INVOKE_TYPES = (InvokeIdAndPriority, LongInvokeIdAndPriority)
_ACSE = {Aarq: "AARQ", Aare: "AARE", Rlrq: "RLRQ", Rlre: "RLRE"}
_CIPHERED_NAMES = {0xDB: "general-glo-ciphering", 0xDC: "general-ded-ciphering"}
_MAX_ITEMS = 64


def service_name(message: object) -> str:
    """The standard's name of a decoded APDU: ``get-request-normal``, ``AARQ``, ``exception-response``."""
    acse = _ACSE.get(type(message))
    if acse is not None:
        return acse
    if isinstance(message, InitiateRequest):
        return "initiateRequest"
    words = re.sub(r"(?<!^)(?=[A-Z])", "-", type(message).__name__).lower()
    return words.replace("data-block", "datablock").replace("p-block", "pblock")


def name_of(value: Enum) -> str:
    """An enum member as the standard spells it: ``read-write-denied``."""
    if isinstance(value, IntFlag):
        return "|".join(m.name.lower().replace("_", "-") for m in type(value) if m in value and m.name)
    return (value.name or str(value.value)).lower().replace("_", "-")


def readable(value: object, depth: int = 0) -> object:
    """A JSON-ready view of a decoded value: enums by name, logical names as OBIS, data as values."""
    if isinstance(value, Data):
        return data_view(value)
    if isinstance(value, Enum):
        return name_of(value)
    if isinstance(value, (CosemAttribute, CosemMethod)):
        member = "attribute" if isinstance(value, CosemAttribute) else "method"
        number = value.attribute_id if isinstance(value, CosemAttribute) else value.method_id
        return {"class_id": value.class_id, "obis": _obis(value.instance_id), member: number}
    if isinstance(value, CaptureObject):
        return {
            "class_id": value.class_id,
            "obis": _obis(value.logical_name),
            "attribute": value.attribute_index,
            "data_index": value.data_index,
        }
    if isinstance(value, (InvokeIdAndPriority, LongInvokeIdAndPriority)):
        return value.invoke_id
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: readable(getattr(value, f.name), depth + 1)
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
            and not isinstance(getattr(value, f.name), _INVOKE_TYPES)
        }
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: readable(v, depth + 1) for k, v in value._asdict().items()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [readable(item, depth + 1) for item in value]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def data_view(data: Data) -> object:
    """A COSEM Data value as JSON: scalars plain, strings text or hex, arrays and structures lists."""
    kind, value = data.type, data.value
    if kind in (DataType.ARRAY, DataType.STRUCTURE):
        items = list(data.items())
        shown = [data_view(item) for item in items[:_MAX_ITEMS]]
        if len(items) > _MAX_ITEMS:
            shown.append(f"... {len(items) - _MAX_ITEMS} more")
        return shown
    if isinstance(value, CompactArray):
        return [data_view(item) for item in value.elements[:_MAX_ITEMS]]
    if kind is DataType.OCTET_STRING and isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
        if len(raw) == 6:
            return {"octets": raw.hex(), "as_obis": _obis(raw)}
        if len(raw) == 12:
            return _date_time_view(raw)
        return raw.hex()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Enum):
        return name_of(value)
    return str(value)


def _date_time_view(raw: bytes) -> object:
    """A 12-octet string that is a COSEM date-time, shown with its reading (else plain hex)."""
    try:
        stamp = CosemDateTime.from_bytes(raw)
        shown = stamp.to_datetime().isoformat()
    except (K351CError, ValueError, TypeError, AttributeError):
        return raw.hex()
    return {"octets": raw.hex(), "as_date_time": shown}


def _obis(raw: bytes) -> str:
    return str(Obis.parse(bytes(raw)))


def invoke_id_of(message: object) -> int | None:
    """The invoke id of a service APDU (None for ACSE and unconfirmed APDUs)."""
    if not dataclasses.is_dataclass(message):
        return None
    for f in dataclasses.fields(message):
        value = getattr(message, f.name)
        if isinstance(value, (InvokeIdAndPriority, LongInvokeIdAndPriority)):
            return value.invoke_id
    return None


def refusal_of(message: object) -> str | None:
    """The reason the meter gave when the APDU is a refusal (None when it is not one)."""
    if isinstance(message, Aare):
        if message.result == AssociationResult.ACCEPTED:
            return None
        return f"{name_of(message.result)}: {name_of(message.diagnostic)}"
    view = readable(message)
    if isinstance(message, ConfirmedServiceError) and isinstance(view, dict):
        return f"{view['service']}: {view['error']}: {_service_error_value(message)}"
    if type(message).__name__ == "ExceptionResponse" and isinstance(view, dict):
        return ": ".join(str(v) for v in view.values())
    return _data_access_refusal(view)


def _data_access_refusal(view: object) -> str | None:
    """A data-access-result other than success anywhere in a response view."""
    if isinstance(view, str) and view not in ("success", "") and view in _ACCESS_RESULTS:
        return view
    if isinstance(view, dict):
        for key, value in view.items():
            if key in ("result", "error", "results", "value"):
                found = _data_access_refusal(value)
                if found:
                    return found
    if isinstance(view, list):
        for item in view:
            found = _data_access_refusal(item)
            if found:
                return found
    return None


def _access_results() -> frozenset[str]:
    from k351c.axdr.enums import ActionResult, DataAccessResult

    return frozenset(name_of(m) for e in (DataAccessResult, ActionResult) for m in e)


_ACCESS_RESULTS = _access_results()


class ApduDecoder:
    """Decodes the APDUs of one connection in order, learning the titles and keys ciphering needs."""

    def __init__(self, keys: KeySource | None = None) -> None:
        self.keys = keys
        self.client_title: bytes | None = None
        self.server_title: bytes | None = None
        self.dedicated_key: bytes | None = None

    def decode(self, raw: bytes, incoming: bool) -> dict:
        """The readable record of one APDU; ``incoming`` = sent by the client."""
        try:
            message = parse_apdu(raw)
        except K351CError as exc:
            return {"service": "undecoded", "error": str(exc), "octets": len(raw)}
        if isinstance(message, CipheredApdu):
            return self._ciphered(raw, message, incoming)
        self._learn(message)
        view: dict = {"service": service_name(message)}
        invoke = invoke_id_of(message)
        if invoke is not None:
            view["invoke_id"] = invoke
        body = readable(message)
        if isinstance(body, dict):
            if "service" in body:  # confirmed-service-error's own field of that name
                body["service_choice"] = body.pop("service")
            view.update(body)
        if isinstance(message, ConfirmedServiceError):
            view["value"] = _service_error_value(message)
        if isinstance(message, (Aarq, Aare)):
            view.update(_acse_names(message))
        reason = refusal_of(message)
        if reason:
            view["refusal"] = reason
        event = _association_event(message)
        if event:
            view["event"] = event
        return view

    def _learn(self, message: object) -> None:
        if isinstance(message, Aarq):
            self.client_title = message.calling_ap_title
            self.dedicated_key = None
            if isinstance(message.user_information, CipheredApdu):
                opened = self._open(message.user_information, self.client_title, CipherKind.GLOBAL)
                if opened is not None:
                    self._learn_initiate(opened)
            elif isinstance(message.user_information, InitiateRequest):
                self.dedicated_key = message.user_information.dedicated_key
        elif isinstance(message, Aare) and message.responding_ap_title:
            self.server_title = message.responding_ap_title

    def _learn_initiate(self, plain: bytes) -> None:
        try:
            initiate = InitiateRequest.from_bytes(plain)
        except K351CError:
            return
        self.dedicated_key = initiate.dedicated_key

    def _ciphered(self, raw: bytes, message: CipheredApdu, incoming: bool) -> dict:
        kind = cipher_kind(message.tag)
        view: dict = {"service": _ciphered_name(message.tag)}
        payload = message.payload
        if len(payload) >= 5:
            control = SecurityControl.from_byte(payload[0])
            view["security_header"] = {
                "security_control": f"{payload[0]:02x}",
                "suite": control.suite,
                "authenticated": control.authenticated,
                "encrypted": control.encrypted,
                "key_set": "broadcast" if control.broadcast else "unicast",
                "invocation_counter": int.from_bytes(payload[1:5], "big"),
            }
        if message.system_title is not None:
            view["system_title"] = message.system_title.hex()
        title = self.client_title if incoming else self.server_title
        plain = self._open(message, title, kind) if kind is not None else None
        if plain is None:
            view["plaintext"] = None
            view["note"] = "ciphered; keys or system title not known to the decoder"
            return view
        inner = self.decode(plain, incoming)
        view["plaintext"] = plain.hex()
        view["deciphered"] = inner
        return view

    def _open(self, message: CipheredApdu, title: bytes | None, kind: CipherKind | None) -> bytes | None:
        if self.keys is None:
            return None
        ek, ak = self.keys()
        if kind is CipherKind.DEDICATED:
            if self.dedicated_key is None:
                return None
            ek = self.dedicated_key
        if title is None and message.system_title is None:
            return None
        try:
            return decipher_apdu(message, title or b"", ek, ak).plain
        except K351CError:
            return None


def _association_event(message: object) -> str | None:
    """What an ACSE answer does to the association: associated, association-refused, released."""
    if isinstance(message, Aare):
        return "associated" if message.result == AssociationResult.ACCEPTED else "association-refused"
    if isinstance(message, Rlre):
        return "released"
    return None


def _service_error_value(message: ConfirmedServiceError) -> str | int:
    """The ServiceError's value by name where the choice has a table (initiate errors)."""
    if message.error == ServiceErrorChoice.INITIATE:
        try:
            return name_of(InitiateError(message.value))
        except ValueError:
            pass
    return message.value


def _acse_names(message: Aarq | Aare) -> dict:
    """The application context and mechanism by their standard names, beside their OIDs."""
    names: dict = {}
    context = message.context
    if context is not None:
        names["application_context"] = name_of(context)
    if message.mechanism_name:
        arc = message.mechanism_name[-1]
        try:
            names["mechanism"] = name_of(AuthenticationMechanism(arc))
        except ValueError:
            names["mechanism"] = str(arc)
    return names


def _ciphered_name(tag: int) -> str:
    """glo-get-request, ded-set-response, general-glo-ciphering, ..."""
    if tag in _CIPHERED_NAMES:
        return _CIPHERED_NAMES[tag]
    plain = PLAIN_OF.get(tag, -1)
    prefix = "ded-" if cipher_kind(tag) is CipherKind.DEDICATED else "glo-"
    return prefix + _PLAIN_NAMES.get(plain, f"0x{tag:02x}")


_PLAIN_NAMES = {
    0x01: "initiate-request",
    0x08: "initiate-response",
    0x0E: "confirmed-service-error",
    0xC0: "get-request",
    0xC1: "set-request",
    0xC2: "event-notification-request",
    0xC3: "action-request",
    0xC4: "get-response",
    0xC5: "set-response",
    0xC7: "action-response",
}
