"""`k351c serve` with the bench flags, as a user runs it: the trace file fills, the quirk bites."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gurux_dlms import GXByteBuffer, GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType
from gurux_dlms.objects import GXDLMSRegister


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _exchange(sock: socket.socket, client: GXDLMSClient, frame: bytes) -> GXReplyData:
    sock.sendall(bytes(frame))
    reply, buffer = GXReplyData(), GXByteBuffer()
    while not client.getData(buffer, reply, None):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer.set(chunk)
    return reply


def test_serve_with_trace_and_quirk(tmp_path):
    exe = shutil.which("k351c", path=str(Path(sys.executable).parent)) or "k351c"
    port, trace = _unused_port(), tmp_path / "trace.jsonl"
    args = [exe, "serve", "--state", str(tmp_path / "state"), "--test-keys", "--quiet",
            "--dlms-port", str(port), "--hdlc-port", "0", "--optical-port", "0", "--mbus-port", "0",
            "--web-port", "0", "--trace", str(trace), "--quirk", "no-release"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.2)
        client = GXDLMSClient(True, 16, 1, Authentication.NONE, None, InterfaceType.WRAPPER)
        with sock:
            sock.settimeout(3)
            client.parseAareResponse(_exchange(sock, client, client.aarqRequest()[0]).data)
            reply = _exchange(sock, client, client.read(GXDLMSRegister("1.0.1.8.0.255"), 2)[0])
            assert reply.value is not None
            sock.settimeout(0.5)
            with pytest.raises(TimeoutError):  # no-release: the RLRQ gets no RLRE
                _exchange(sock, client, client.releaseRequest()[0])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    services = [r["decoded"]["apdu"]["service"] for r in records if "apdu" in r.get("decoded", {})]
    assert services == ["AARQ", "AARE", "get-request-normal", "get-response-normal", "RLRQ"]
    assert {r["listener"] for r in records} == {f"wrapper:{port}"}


def test_serve_with_an_unusable_serial_device_names_the_flag(tmp_path):
    """`k351c serve --serial` on a device that cannot be opened stops with a ConfigError naming the flag."""
    exe = shutil.which("k351c", path=str(Path(sys.executable).parent)) or "k351c"
    args = [exe, "serve", "--state", str(tmp_path / "state"), "--test-keys", "--quiet",
            "--dlms-port", "0", "--hdlc-port", "0", "--optical-port", "0", "--mbus-port", "0",
            "--web-port", "0", "--serial", "/dev/k351c-no-such-line"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "--serial" in done.stderr and "/dev/k351c-no-such-line" in done.stderr
    assert "Traceback" not in done.stderr
