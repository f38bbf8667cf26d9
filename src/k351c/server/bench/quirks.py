"""Real-meter quirks at the association: a wrapper with the association's face (handle, release).

Each quirk reproduces a behaviour seen on meters in the field (docs/bench.md has the list):
``single-association`` refuses a second AARQ while another connection holds an association,
``no-release`` swallows the RLRQ (the association ends, no RLRE is sent), ``aare-without-user-info``
strips the user-information from a rejecting AARE, ``strict-invoke-id`` leaves unanswered a new
request that repeats the previous request's invoke-id (taken for a retransmission);
``counter-per-dedicated-key`` is served by ``SecureAssociation`` (its answers' counter per key).
"""

from __future__ import annotations

import dataclasses
import logging

from k351c.axdr.enums import AcseServiceUser, AssociationResult
from k351c.errors import K351CError
from k351c.protocols.dlms.acse import Aare

log = logging.getLogger("k351c.bench")

AARQ, AARE, RLRQ = 0x60, 0x61, 0x62
# service choices that start a new request (block continuations keep their invoke-id)
NEW_REQUESTS = {0xC0: {1, 3}, 0xC1: {1, 2, 4, 5}, 0xC3: {1, 3, 4, 5}}
ASSOCIATION_QUIRKS = frozenset(
    {
        "single-association",
        "no-release",
        "aare-without-user-info",
        "strict-invoke-id",
        "counter-per-dedicated-key",  # served by SecureAssociation itself
    }
)
WRAPPING_QUIRKS = ASSOCIATION_QUIRKS - {"counter-per-dedicated-key"}


class QuirkyAssociation:
    """An association (plain or secure) that behaves like a meter with the given quirks."""

    def __init__(self, inner, quirks: frozenset[str], open_associations: set) -> None:  # noqa: ANN001
        self.inner = inner
        self.quirks = quirks
        self.open = open_associations
        self.last_invoke: int | None = None

    @property
    def state(self):  # noqa: ANN201
        """The wrapped association's state."""
        return self.inner.state

    def handle(self, client_sap: int, apdu: bytes) -> bytes | None:
        """Answer as the inner association would, bent by the quirks."""
        tag = apdu[0] if apdu else -1
        quirks = self.quirks
        if tag == AARQ:
            self.last_invoke = None
            if "single-association" in quirks and self.open - {self}:
                log.info("single-association: AARQ refused, another association is open")
                return _busy()
        elif "strict-invoke-id" in quirks and self._repeated(tag, apdu):
            log.info("strict-invoke-id: request repeating invoke-id %d not answered", apdu[2] & 15)
            return None
        answer = self.inner.handle(client_sap, apdu)
        self._track()
        if tag == RLRQ and "no-release" in quirks:
            return None
        if answer and answer[0] == AARE and "aare-without-user-info" in quirks:
            return _without_user_information(answer)
        return answer

    def _repeated(self, tag: int, apdu: bytes) -> bool:
        choices = NEW_REQUESTS.get(tag)
        if choices is None or len(apdu) < 3 or apdu[1] not in choices:
            return False
        invoke = apdu[2] & 0x0F
        repeated = invoke == self.last_invoke
        self.last_invoke = invoke
        return repeated

    def _track(self) -> None:
        if self.inner.state.value == "associated":
            self.open.add(self)
        else:
            self.open.discard(self)

    def release(self) -> None:
        """Drop the association (transport closed or disconnected)."""
        self.inner.release()
        self.open.discard(self)


def _busy() -> bytes:
    """The AARE of a meter that serves one association at a time: rejected-transient."""
    return Aare(AssociationResult.REJECTED_TRANSIENT, AcseServiceUser.NO_REASON_GIVEN).to_bytes()


def _without_user_information(answer: bytes) -> bytes:
    try:
        aare = Aare.from_bytes(answer)
    except K351CError:
        return answer
    if aare.result == AssociationResult.ACCEPTED or aare.user_information is None:
        return answer
    return dataclasses.replace(aare, user_information=None).to_bytes()
