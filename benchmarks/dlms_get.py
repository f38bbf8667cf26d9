"""DLMS GET throughput: ours (one wrapper connection, and in-process) against a Gurux Python server.

One register (1-0:1.8.0.255, attribute 2) read over and over. The TCP client is a raw socket sending a
pre-encoded GET-Request-Normal in a wrapper frame and waiting for each answer (one request in flight).
The Gurux server is gurux_dlms.GXDLMSServer with the minimum needed to run: the abstract callbacks
implemented as no-ops, one GXDLMSRegister, a thread per connection feeding handleRequest, and one patch:
its initialize() appends the item collection itself to an empty association object list (a TypeError as
shipped), so the association is given a filled object list first; and handleRequest calls
GXServerReply.setReply, which does not exist, so a subclass adds it; isTarget raises in the base class,
so it accepts every address; the GET handler calls server.notifyRead() and onPostRead() without
arguments, so both exist and take none. Everything else is gurux as shipped.

    python benchmarks/dlms_get.py [--seconds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import sys
import threading
import time

from gurux_dlms import GXDLMSClient, GXDLMSServer, GXServerReply
from gurux_dlms.enums import Authentication, InterfaceType, Unit
from gurux_dlms.objects import GXDLMSAssociationLogicalName, GXDLMSRegister

from k351c import ConstantLoad, Meter, MeterConfig, SimClock
from k351c.protocols.dlms.association import AssociationServer

WRAP = bytes.fromhex("000100100001")
GET_ENERGY = bytes.fromhex("c001c1000301000108 00ff0200".replace(" ", ""))


class GuruxServer(GXDLMSServer):
    """A minimal Gurux server with one register; each callback does what the base class leaves abstract."""

    def __init__(self) -> None:
        super().__init__(True, InterfaceType.WRAPPER)
        register = GXDLMSRegister("1.0.1.8.0.255")
        register.value, register.unit, register.scaler = 123456, Unit.ACTIVE_ENERGY, 1
        association = GXDLMSAssociationLogicalName()
        self.items.append(register)
        self.items.append(association)
        association.objectList.append(
            register
        )  # patch: initialize() would append the whole collection
        association.objectList.append(association)
        self.initialize()

    def onValidateAuthentication(self, authentication, password):  # noqa: N802, D102
        from gurux_dlms.enums import SourceDiagnostic

        return SourceDiagnostic.NONE

    def isTarget(self, serverAddress, clientAddress):  # noqa: N802, N803
        """Patch: the base class raises ValueError("isTarget is called.")."""
        return True

    def onFindObject(self, objectType, sn, ln):  # noqa: N802, N803, D102
        return None

    def onPreRead(self, args):  # noqa: N802, D102
        pass

    def onPostRead(self, args=None):  # noqa: N802, D102
        pass

    def notifyRead(self, *args):  # noqa: N802
        """Patch: GXDLMSLNCommandHandler calls server.notifyRead(), which the base class lacks."""

    def onPreWrite(self, args):  # noqa: N802, D102
        pass

    def onPostWrite(self, args):  # noqa: N802, D102
        pass

    def onPreAction(self, args):  # noqa: N802, D102
        pass

    def onPostAction(self, args):  # noqa: N802, D102
        pass

    def onPreGet(self, args):  # noqa: N802, D102
        pass

    def onPostGet(self, args):  # noqa: N802, D102
        pass

    def onConnected(self, connectionInfo):  # noqa: N802, N803, D102
        pass

    def onInvalidConnection(self, connectionInfo):  # noqa: N802, N803, D102
        pass

    def onDisconnected(self, connectionInfo):  # noqa: N802, N803, D102
        pass

    def onGetAttributeAccess(self, arg):  # noqa: N802, D102
        from gurux_dlms.enums import AccessMode

        return AccessMode.READ_WRITE

    def onGetMethodAccess(self, arg):  # noqa: N802, D102
        from gurux_dlms.enums import MethodAccessMode

        return MethodAccessMode.ACCESS


class Reply(GXServerReply):
    """Patch: GXDLMSServer.handleRequest calls ``sr.setReply``, which GXServerReply does not have."""

    def setReply(self, value) -> None:  # noqa: N802
        """Store the reply bytes."""
        self.reply = value

    def getConnectionInfo(self):  # noqa: N802
        """Patch: handleCommand asks for it, GXServerReply has only the attribute."""
        if self.connectionInfo is None:
            from gurux_dlms.GXDLMSConnectionEventArgs import GXDLMSConnectionEventArgs

            self.connectionInfo = GXDLMSConnectionEventArgs()
        return self.connectionInfo


def serve_gurux(port_out) -> None:
    """Run the Gurux server on a free port (in a child process); send the port to ``port_out``."""
    listener = socket.create_server(("127.0.0.1", 0))
    port_out.send(listener.getsockname()[1])

    def connection(sock: socket.socket) -> None:
        server = GuruxServer()
        with sock:
            while data := sock.recv(65536):
                reply = Reply(data)
                server.handleRequest(reply)
                if reply.reply:
                    sock.sendall(bytes(reply.reply))

    def accept() -> None:
        while True:
            sock, _ = listener.accept()
            threading.Thread(target=connection, args=(sock,), daemon=True).start()

    accept()


def make_meter() -> Meter:
    """The benchmark's meter: one hour of 5 A, frozen clock."""
    meter = Meter(MeterConfig.default(), clock=SimClock("2026-01-01T00:00:00Z", rate=0))
    meter.set_load(ConstantLoad(current=5.0))
    meter.run_for(3600)
    return meter


def serve_ours(port_out) -> None:
    """Run our wrapper listener (in a child process); send the port to ``port_out``."""
    import asyncio

    from k351c.server.dlms import wrapper_listener
    from k351c.server.keys import KeyStore
    from k351c.server.runtime import Runtime

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    runtime = Runtime(
        make_meter(), keys=KeyStore(None, test_keys=True), settings={"dlms_port": port}
    )

    def ready(meter: Meter) -> None:
        port_out.send(port)
        runtime.on_tick.remove(ready)

    async def main() -> None:
        runtime.on_tick.append(ready)
        await runtime.run([wrapper_listener])

    asyncio.run(main())


def in_child(target) -> tuple[int, multiprocessing.Process]:
    """Start ``target(port_out)`` in its own process (no GIL shared with the client); (port, process)."""
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(target=target, args=(send,), daemon=True)
    process.start()
    return receive.recv(), process


def aarq() -> bytes:
    """A public AARQ in a wrapper frame, encoded by gurux's client."""
    client = GXDLMSClient(True, 16, 1, Authentication.NONE, None, InterfaceType.WRAPPER)
    return bytes(client.aarqRequest()[0])


def recv_frame(sock: socket.socket) -> bytes:
    """One wrapper frame."""
    data = b""
    while len(data) < 8 or len(data) < 8 + int.from_bytes(data[6:8], "big"):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def tcp_rate(port: int, seconds: float) -> float:
    """GETs per second on one associated wrapper connection, one request in flight."""
    request = WRAP + len(GET_ENERGY).to_bytes(2, "big") + GET_ENERGY
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(aarq())
        assert recv_frame(sock)[8] == 0x61
        sock.sendall(request)
        assert recv_frame(sock)[8:12] == bytes.fromhex("c401c100"), "GET refused"
        count, end = 0, time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < end:
            for _ in range(50):
                sock.sendall(request)
                recv_frame(sock)
            count += 50
        return count / (time.perf_counter() - started)


def inprocess_rate(meter: Meter, seconds: float) -> float:
    """GETs per second through AssociationServer.handle, no sockets."""
    from k351c.cosem import build_object_list

    server = AssociationServer(build_object_list(meter), lambda *a: True)
    server.handle(16, aarq()[8:])
    assert server.handle(16, GET_ENERGY)[:4] == bytes.fromhex("c401c100")
    count, started = 0, time.perf_counter()
    end = started + seconds
    while time.perf_counter() < end:
        for _ in range(200):
            server.handle(16, GET_ENERGY)
        count += 200
    return count / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> dict:
    """Run all three measurements side by side and print them (a table or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rates = {}
    for name, target in (("gurux", serve_gurux), ("ours", serve_ours)):
        port, process = in_child(target)
        try:
            rates[name] = tcp_rate(port, args.seconds)
        finally:
            process.terminate()
    gurux, ours = rates["gurux"], rates["ours"]
    local = inprocess_rate(make_meter(), args.seconds)
    result = {
        "gurux_tcp_get_per_s": round(gurux),
        "k351c_tcp_get_per_s": round(ours),
        "k351c_inprocess_get_per_s": round(local),
        "tcp_ratio": round(ours / gurux, 2),
        "goal": {"tcp_ratio": 5.0, "inprocess_get_per_s": 20000},
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"Gurux Python server, one wrapper connection: {gurux:10.0f} GET/s")
        print(
            f"k351c, one wrapper connection:               {ours:10.0f} GET/s  ({ours / gurux:.1f}x gurux)"
        )
        print(f"k351c in-process (AssociationServer.handle):  {local:10.0f} GET/s")
    return result


if __name__ == "__main__":
    sys.exit(main() and 0)
