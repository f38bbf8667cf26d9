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

The servers run side by side in child processes and are measured in turn within every round, so a busy
host slows all of them alike within a round. The headline ratio is the median of the per-round ratios
(both servers of a ratio measured in the same round), with the lowest and highest round beside it; the
rates shown are each server's median round. A third server, an asyncio Protocol that answers every frame
with a fixed GET response without decoding it, is the ceiling of any asyncio server under this client:
``vs_ceiling`` is our share of it (DESIGN.md's ">= 0.6 of a plain asyncio echo").

    python benchmarks/dlms_get.py [--seconds 2] [--rounds 5] [--json [PATH]]

Prints a Markdown table; ``--json`` alone prints the JSON result on stdout, ``--json PATH`` writes it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import statistics
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


def serve_ceiling(port_out) -> None:
    """An asyncio Protocol answering AARQ and GET frames with fixed bytes (no DLMS work at all)."""
    import asyncio

    aare = bytes.fromhex("0001000100100003610000")
    answer = bytes.fromhex("0001000100100004c401c100")

    class Fixed(asyncio.Protocol):
        def connection_made(self, transport) -> None:  # noqa: D102
            self.transport = transport

        def data_received(self, data: bytes) -> None:  # noqa: D102
            self.transport.write(aare if data[8:9] == b"\x60" else answer)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Fixed, "127.0.0.1", 0)
        port_out.send(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

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


def associate(port: int) -> socket.socket:
    """A connected socket with a public association and one GET answered."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(aarq())
    assert recv_frame(sock)[8] == 0x61
    sock.sendall(REQUEST)
    assert recv_frame(sock)[8:12] == bytes.fromhex("c401c100"), "GET refused"
    return sock


REQUEST = WRAP + len(GET_ENERGY).to_bytes(2, "big") + GET_ENERGY


def tcp_rate(sock: socket.socket, seconds: float) -> float:
    """GETs per second on one associated wrapper connection, one request in flight."""
    count, started = 0, time.perf_counter()
    end = started + seconds
    while time.perf_counter() < end:
        for _ in range(50):
            sock.sendall(REQUEST)
            recv_frame(sock)
        count += 50
    return count / (time.perf_counter() - started)


def loop_rate(call, seconds: float) -> float:
    """Calls of ``call()`` per second."""
    count, started = 0, time.perf_counter()
    end = started + seconds
    while time.perf_counter() < end:
        for _ in range(200):
            call()
        count += 200
    return count / (time.perf_counter() - started)


def inprocess_rates(meter: Meter, seconds: float) -> tuple[float, float]:
    """GETs per second through AssociationServer.handle, and through a served wrapper connection's
    bytes-in/bytes-out path (endpoint with its security layer and meter sync), no sockets."""
    from k351c.cosem import build_object_list
    from k351c.server.dlms import endpoint_for
    from k351c.server.dlms_peers import WrapperPeer
    from k351c.server.keys import KeyStore
    from k351c.server.runtime import Runtime

    server = AssociationServer(build_object_list(meter), lambda *a: True)
    server.handle(16, aarq()[8:])
    assert server.handle(16, GET_ENERGY)[:4] == bytes.fromhex("c401c100")
    association = loop_rate(lambda: server.handle(16, GET_ENERGY), seconds)
    endpoint = endpoint_for(Runtime(meter, keys=KeyStore(None, test_keys=True)))
    peer = WrapperPeer(lambda destination: endpoint)
    peer.feed(aarq())
    assert peer.feed(REQUEST)[8:12] == bytes.fromhex("c401c100")
    return association, loop_rate(lambda: peer.feed(REQUEST), seconds)


SERVERS = (("gurux", serve_gurux), ("ours", serve_ours), ("ceiling", serve_ceiling))


def measure_tcp(seconds: float, rounds: int) -> dict[str, list[float]]:
    """Per-round GET/s of each server, the servers measured in turn within every round."""
    started = [in_child(target) for _, target in SERVERS]
    try:
        socks = [associate(port) for port, _ in started]
        rates: dict[str, list[float]] = {name: [] for name, _ in SERVERS}
        for _ in range(rounds):
            for (name, _), sock in zip(SERVERS, socks, strict=True):
                rates[name].append(tcp_rate(sock, seconds / rounds))
        for sock in socks:
            sock.close()
        return rates
    finally:
        for _, process in started:
            process.terminate()


def round_ratios(top: list[float], bottom: list[float]) -> dict[str, float]:
    """Median, lowest and highest of top/bottom taken round by round (same round, same host load)."""
    ratios = [t / b for t, b in zip(top, bottom, strict=True)]
    return {
        "median": round(statistics.median(ratios), 2),
        "min": round(min(ratios), 2),
        "max": round(max(ratios), 2),
    }


def summarise(rates: dict[str, list[float]], local: tuple[float, float]) -> dict:
    """The JSON result: median-round rates, per-round ratios (median and spread), in-process rates."""
    median = {name: statistics.median(values) for name, values in rates.items()}
    return {
        "gurux_tcp_get_per_s": round(median["gurux"]),
        "k351c_tcp_get_per_s": round(median["ours"]),
        "ceiling_tcp_get_per_s": round(median["ceiling"]),
        "k351c_inprocess_get_per_s": round(local[0]),
        "k351c_inprocess_wrapper_get_per_s": round(local[1]),
        "vs_gurux": round_ratios(rates["ours"], rates["gurux"]),
        "vs_ceiling": round_ratios(rates["ours"], rates["ceiling"]),
        "ceiling_vs_gurux": round_ratios(rates["ceiling"], rates["gurux"]),
        "rounds": len(rates["ours"]),
        "per_round_get_per_s": {name: [round(v) for v in values] for name, values in rates.items()},
        "goal": {"vs_gurux": 5.0, "vs_ceiling": 0.6, "inprocess_get_per_s": 100_000},
    }


def _spread(ratio: dict[str, float]) -> str:
    return f"{ratio['median']:.2f}x ({ratio['min']:.2f}-{ratio['max']:.2f})"


def markdown(result: dict) -> str:
    """The result as a Markdown table."""
    rows = [
        ("Gurux Python server, one wrapper connection", result["gurux_tcp_get_per_s"], "1.00x"),
        (
            "k351c, one wrapper connection",
            result["k351c_tcp_get_per_s"],
            f"{_spread(result['vs_gurux'])}; {_spread(result['vs_ceiling'])} of the ceiling",
        ),
        (
            "asyncio fixed-answer server (ceiling)",
            result["ceiling_tcp_get_per_s"],
            _spread(result["ceiling_vs_gurux"]),
        ),
        ("k351c in-process, AssociationServer.handle", result["k351c_inprocess_get_per_s"], ""),
        ("k351c in-process, wrapper bytes in/out", result["k351c_inprocess_wrapper_get_per_s"], ""),
    ]
    lines = [
        f"Ratios: median of {result['rounds']} rounds (lowest-highest round); rates: median round.",
        "",
        "| server | GET/s | vs gurux |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {name} | {rate:,} | {note} |" for name, rate, note in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    """Run the measurements side by side; print a Markdown table, and JSON when asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="TCP seconds per server")
    parser.add_argument("--rounds", type=int, default=5, help="alternating TCP rounds")
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="PATH", help="JSON to PATH (alone: stdout)"
    )
    args = parser.parse_args(argv)
    rates = measure_tcp(args.seconds, max(1, args.rounds))
    result = summarise(rates, inprocess_rates(make_meter(), min(args.seconds, 2.0)))
    print(markdown(result))
    if args.json == "-":
        print(json.dumps(result))
    elif args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2)
    return result


if __name__ == "__main__":
    sys.exit(main() and 0)
