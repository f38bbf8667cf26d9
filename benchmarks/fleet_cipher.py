"""Ciphered GET/s beside plain GET/s on one connection, a single meter and a fleet meter, in the same run.

Plain: a public association (client SAP 16, no security), then GET 1-0:1.8.0.255 attribute 2 over and over,
one request in flight (the frame of benchmarks/dlms_get.py). Ciphered: a management association with
HLS-GMAC (gurux-dlms runs the AARQ and pass 3/4 with the lab keys), then the same GET as a
glo-get-request, authenticated and encrypted (security suite 0), a new invocation counter per request;
each answer must be a glo-get-response, and the last one is deciphered and checked. Per round both
servers are measured plain and ciphered in turn, so a ratio compares rates of the same round.
"""

from __future__ import annotations

import socket
import time

from dlms_get import REQUEST, associate, recv_frame
from fleet_headend import quiet
from gurux_dlms.enums import Security
from gurux_secure import TEST_AK, TEST_EK, SecureSession

from k351c.protocols.dlms.security import CipherKind, SecurityControl, cipher_apdu, decipher_apdu

GET_ENERGY = bytes.fromhex("c001c100030100010800ff0200")
MANAGEMENT_WRAP = bytes.fromhex("000100010001")  # version 1, client wPort 1, server wPort 1
CONTROL = SecurityControl(authenticated=True, encrypted=True)
GLO_GET_RESPONSE = 0xCC


class CipheredLink:
    """A management (HLS-GMAC) association on one wrapper connection, GETs ciphered by the client."""

    def __init__(self, port: int) -> None:
        self.session = SecureSession(port, TEST_EK, TEST_AK, Security.AUTHENTICATION_ENCRYPTION)
        with quiet():
            self.session.connect()
        self.session.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ciphering = self.session.client.ciphering
        self.title = bytes(ciphering.systemTitle)
        self.server_title = bytes(self.session.client.settings.sourceSystemTitle)
        self.counter = int(ciphering.invocationCounter)

    def get(self) -> bytes:
        """One ciphered GET of A+; the answer's APDU (still ciphered)."""
        apdu = cipher_apdu(
            GET_ENERGY, CipherKind.GLOBAL, CONTROL, self.title, self.counter, TEST_EK, TEST_AK
        )
        self.counter += 1
        sock = self.session.sock
        sock.sendall(MANAGEMENT_WRAP + len(apdu).to_bytes(2, "big") + apdu)
        answer = recv_frame(sock)[8:]
        if answer[0] != GLO_GET_RESPONSE:
            raise RuntimeError(f"not a glo-get-response: {answer[:8].hex()}")
        return answer

    def check(self, answer: bytes) -> bytes:
        """Decipher an answer with the server's system title: the plain GET response."""
        return decipher_apdu(answer, self.server_title, TEST_EK, TEST_AK).plain

    def close(self) -> None:
        """Close the connection (the counter was used up to here)."""
        self.session.sock.close()


def plain_rate(sock: socket.socket, seconds: float) -> float:
    """Plain GETs per second, one request in flight."""
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(50):
            sock.sendall(REQUEST)
            recv_frame(sock)
        count += 50
    return count / (time.perf_counter() - started)


def ciphered_rate(link: CipheredLink, seconds: float) -> float:
    """Ciphered GETs per second, one request in flight; the last answer is deciphered and checked."""
    count, started, answer = 0, time.perf_counter(), b""
    while time.perf_counter() - started < seconds:
        for _ in range(50):
            answer = link.get()
        count += 50
    rate = count / (time.perf_counter() - started)
    if link.check(answer)[:4] != bytes.fromhex("c401c100"):
        raise RuntimeError("a ciphered GET was refused")
    return rate


def side_by_side(ports: dict[str, int], seconds: float, rounds: int) -> dict[str, dict[str, list]]:
    """Per round and server: plain GET/s, ciphered GET/s and their ratio (one connection each)."""
    links = {name: (associate(port), CipheredLink(port)) for name, port in ports.items()}
    out: dict[str, dict[str, list]] = {
        name: {"plain": [], "ciphered": [], "ratio": []} for name in ports
    }
    try:
        for _ in range(rounds):
            for name, (plain, ciphered) in links.items():
                p = plain_rate(plain, seconds)
                c = ciphered_rate(ciphered, seconds)
                out[name]["plain"].append(p)
                out[name]["ciphered"].append(c)
                out[name]["ratio"].append(c / p)
    finally:
        for plain, ciphered in links.values():
            plain.close()
            ciphered.close()
    return out
