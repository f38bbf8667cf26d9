"""One logical device reachable over DLMS: its object list, secrets, HDLC limits and associations.

Built by ``dlms_endpoint`` (k351c.server.dlms) for serve, fleet and multidrop alike and served by the
sessions of k351c.server.dlms_peers.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from k351c.axdr.enums import AuthenticationMechanism
from k351c.cosem.model import ObjectList
from k351c.protocols.dlms.association import Association, AssociationServer, ClientRule
from k351c.protocols.hdlc import HdlcParameters

log = logging.getLogger("k351c.dlms")


@dataclass
class DlmsEndpoint:
    """One logical device reachable over DLMS: its object list, secrets and the sync before requests."""

    objects: ObjectList
    password: Callable[[], str]
    sync: Callable[[], None] = lambda: None
    physical_address: int = 0
    name: str = ""
    clients: dict[int, ClientRule] | None = None
    secure: Callable | None = None  # builds the SecureAssociation (dlms_endpoint)
    quirks: frozenset[str] = frozenset()  # bench quirks (k351c.server.bench.quirks)
    open_associations: set = field(default_factory=set)
    hdlc: HdlcParameters = field(default_factory=HdlcParameters)  # the link's limits (setup 3-6)

    def authenticate(
        self, client_sap: int, mechanism: AuthenticationMechanism, value: bytes | None
    ) -> bool:
        """LLS: the calling authentication value must equal the meter's password.

        Failures are counted by the meter's security keeper (k351c.server.security), not here: an
        endpoint may be dropped from a fleet's cache between two attempts.
        """
        if mechanism != AuthenticationMechanism.LOW or value is None:
            return False
        return hmac.compare_digest(value, self.password().encode())

    def association(self) -> Association:
        """A fresh association state machine for one connection."""

        def on_event(kind: str, data: dict) -> None:
            log.info("%s %s %s", self.name or "meter", kind, data)

        if self.secure is not None:
            association = self.secure(self, on_event)
        else:
            association = AssociationServer(self.objects, self.authenticate, self.clients, on_event)
        if self.quirks:
            from k351c.server.bench.quirks import WRAPPING_QUIRKS, QuirkyAssociation

            if self.quirks & WRAPPING_QUIRKS:
                return QuirkyAssociation(association, self.quirks, self.open_associations)
        return association
