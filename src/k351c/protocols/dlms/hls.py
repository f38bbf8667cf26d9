"""HLS pass 3/4 (IEC 62056-5-3 9.2.7.4): reply_to_HLS_authentication on the current association.

After an AARE that accepted HLS with the server's challenge StoC, the client invokes method 1 of the
association LN object (class 15, 0-0:40.0.0.255) with f(StoC). The server checks it and answers with
f(CtoS) over the client's challenge from the AARQ. Until that succeeds nothing else is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

from k351c.axdr.enums import ActionResult
from k351c.axdr.types import Data, DataType
from k351c.protocols.dlms.apdu import CosemMethod
from k351c.protocols.dlms.apdu_action import ActionRequestNormal, ActionResponseNormal
from k351c.protocols.dlms.security import DecipheringError, hls_gmac, verify_hls_gmac

ASSOCIATION_LN_CLASS = 15
CURRENT_ASSOCIATION = bytes((0, 0, 40, 0, 0, 255))
REPLY_TO_HLS_AUTHENTICATION = 1
CHALLENGE_MIN, CHALLENGE_MAX = 8, 64


def is_reply_to_hls(request: object) -> TypeGuard[ActionRequestNormal]:
    """Whether ``request`` is reply_to_HLS_authentication on the current association."""
    if not isinstance(request, ActionRequestNormal):
        return False
    method: CosemMethod = request.method
    return (
        method.class_id == ASSOCIATION_LN_CLASS
        and bytes(method.instance_id) in (CURRENT_ASSOCIATION, bytes((0, 0, 40, 0, 1, 255)))
        and method.method_id == REPLY_TO_HLS_AUTHENTICATION
    )


def valid_challenge(challenge: bytes | None) -> TypeGuard[bytes]:
    """A challenge of 8..64 octets, as the standard requires."""
    return challenge is not None and CHALLENGE_MIN <= len(challenge) <= CHALLENGE_MAX


@dataclass(frozen=True, slots=True)
class HlsExchange:
    """The challenges and titles of one pending HLS-GMAC authentication."""

    client_title: bytes
    server_title: bytes
    ctos: bytes
    stoc: bytes

    def answer(
        self, request: ActionRequestNormal, ek: bytes, ak: bytes, server_counter: int
    ) -> tuple[bool, ActionResponseNormal]:
        """Check f(StoC) in the request; return (ok, the ACTION response carrying f(CtoS) if ok)."""
        params = request.parameters
        try:
            if params is None or params.type != DataType.OCTET_STRING:
                raise DecipheringError("reply_to_HLS_authentication without an octet string")
            verify_hls_gmac(params.as_bytes(), self.client_title, ek, ak, self.stoc)
        except DecipheringError:
            return False, ActionResponseNormal(request.invoke, ActionResult.READ_WRITE_DENIED)
        reply = hls_gmac(self.server_title, server_counter, ek, ak, self.ctos)
        return True, ActionResponseNormal(
            request.invoke, ActionResult.SUCCESS, Data(DataType.OCTET_STRING, reply)
        )
