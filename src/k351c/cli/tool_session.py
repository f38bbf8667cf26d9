"""The optical tool's blocking IEC 62056-21 dialogue: byte lines (TCP, serial) and the session on them."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from k351c.errors import K351CError, RemoteProtocolError
from k351c.protocols.iec62056_21 import (
    NEED_DATA,
    AckMessage,
    AnswerMessage,
    CommandMessage,
    DataLine,
    ErrorMessage,
    IdentificationMessage,
    Iec62056Client,
    InvalidFrame,
    ModeControl,
    NakMessage,
    ReadoutMessage,
)

ERROR_HINTS = {
    "ERROR: LOCKED": "programming mode is locked after wrong passwords; wait for the lockout to end",
    "ERROR: LEGAL DATA": "{what} is legal data and can never be changed",
    "ERROR: CT RATIO LOCKED": "the CT ratio is locked (configuration 5 T=2, legal data) and cannot be changed",
    "ERROR: READ ONLY": "{what} is read only",
    "ERROR: BAD VALUE": "the meter refused the value for {what}",
    "ERROR: UNKNOWN ADDRESS": "the meter has no {what}",
    "ERROR: NO ACCESS": "{what} needs programming mode (the password)",
    "ERROR: UNSUPPORTED": "the meter does not support this command",
}


class ToolError(K351CError):
    """A refusal or failure told to the user in words."""


class Line(Protocol):
    """A byte line to the meter: TCP socket or serial port."""

    def write(self, data: bytes) -> None:
        """Send bytes."""

    def read(self, timeout: float) -> bytes:
        """Bytes that arrived within timeout (b"" if none)."""

    def set_baud(self, baud: int) -> None:
        """Switch the line speed after what was written has left."""

    def close(self) -> None:
        """Release the line."""


class TcpLine:
    """The optical protocol's bytes over TCP (no baud rate)."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise ToolError(f"cannot connect to the optical port at {host}:{port}: {exc}") from None

    def write(self, data: bytes) -> None:
        """Send bytes."""
        self._sock.sendall(data)

    def read(self, timeout: float) -> bytes:
        """Bytes within timeout; EOF is an error."""
        self._sock.settimeout(timeout)
        try:
            data = self._sock.recv(65536)
        except TimeoutError:
            return b""
        if not data:
            raise ToolError("the meter closed the connection")
        return data

    def set_baud(self, baud: int) -> None:
        """TCP has no baud rate."""

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()


class SerialLine:
    """A serial port (optical head), 7E1, starting at 300 baud."""

    def __init__(self, device: str) -> None:
        import serial

        try:
            self._port = serial.Serial(
                device, 300, serial.SEVENBITS, serial.PARITY_EVEN, timeout=0.1
            )
        except (OSError, serial.SerialException) as exc:
            raise ToolError(f"cannot open {device}: {exc}") from None

    def write(self, data: bytes) -> None:
        """Send bytes."""
        self._port.write(data)

    def read(self, timeout: float) -> bytes:
        """Bytes within timeout."""
        self._port.timeout = timeout
        first = self._port.read(1)
        return first + self._port.read(self._port.in_waiting) if first else b""

    def set_baud(self, baud: int) -> None:
        """Wait for the output to leave, then switch."""
        self._port.flush()
        self._port.baudrate = baud

    def close(self) -> None:
        """Close the port."""
        self._port.close()


class OpticalSession:
    """A blocking IEC 62056-21 dialogue on our client codec: readout and programming mode."""

    def __init__(
        self, line: Line, address: str = "", timeout: float = 5.0, pause: float = 0.0
    ) -> None:
        self.line = line
        self.address = address
        self.timeout = timeout
        self.pause = pause
        self.client = Iec62056Client()
        self.programming = False

    def _receive(self) -> object:
        """The next message from the meter, or ToolError after the timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            event = self.client.next_event()
            if event is not NEED_DATA:
                return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise ToolError("the meter did not answer in time")
            data = self.line.read(min(left, 0.5))
            if data:
                self.client.receive_data(data)

    def _exchange(self, data: bytes) -> object:
        """Send a message and return the answer (a garbled one is an error)."""
        self.line.write(data)
        answer = self._receive()
        if isinstance(answer, InvalidFrame):
            raise ToolError(f"garbled answer from the meter: {answer.reason}")
        return answer

    def sign_on(self) -> IdentificationMessage:
        """`/?address!` and the identification message."""
        self.line.set_baud(300)
        answer = self._exchange(self.client.sign_on(self.address))
        if not isinstance(answer, IdentificationMessage):
            raise ToolError(f"no identification message from the meter: {answer!r}")
        time.sleep(self.pause or 0.0)
        return answer

    def _select(self, mode: ModeControl) -> bytes:
        """Option select and the baud switch."""
        data = self.client.option_select(mode)
        self.line.write(data)
        self.line.set_baud(self.client.baud)
        return data

    def readout(self) -> list[DataLine]:
        """Mode C data readout: every line of the meter's readout list."""
        self.sign_on()
        self._select(ModeControl.DATA_READOUT)
        answer = self._receive()
        self.line.set_baud(300)
        if not isinstance(answer, ReadoutMessage):
            raise ToolError(f"no data readout from the meter: {answer!r}")
        return list(answer.lines)

    def login(self, password: str | None) -> None:
        """Programming mode with the P1 password."""
        if password is None:
            raise ToolError(
                "programming mode needs the meter's password (--password or K351C_PASSWORD)"
            )
        self.sign_on()
        self._select(ModeControl.PROGRAMMING)
        challenge = self._receive()
        if not isinstance(challenge, CommandMessage):
            raise ToolError(f"the meter did not offer programming mode: {challenge!r}")
        answer = self._exchange(self.client.p1(password))
        if isinstance(answer, NakMessage):
            raise ToolError("wrong password (3 wrong passwords lock programming mode for a while)")
        if isinstance(answer, ErrorMessage):
            raise ToolError(_explain(answer.text, "programming mode"))
        if not isinstance(answer, AckMessage):
            raise ToolError(f"unexpected answer to the password: {answer!r}")
        self.programming = True

    def read(self, address: str, params: str = "") -> list[DataLine]:
        """R1: the data line(s) of an address."""
        answer = self._exchange(self.client.r1(address, params))
        if isinstance(answer, ErrorMessage):
            raise ToolError(_explain(answer.text, address))
        if not isinstance(answer, AnswerMessage):
            raise ToolError(f"unexpected answer to R1 {address}: {answer!r}")
        return [line for line in answer.lines if isinstance(line, DataLine)]  # as parsed

    def write(self, address: str, value: str) -> None:
        """W1: write a value; the meter's refusal becomes a ToolError."""
        answer = self._exchange(self.client.w1(address, value))
        if isinstance(answer, ErrorMessage):
            raise ToolError(_explain(answer.text, address))
        if not isinstance(answer, AckMessage):
            raise ToolError(f"unexpected answer to W1 {address}: {answer!r}")

    def close(self) -> None:
        """B0 if in programming mode, then release the line."""
        try:
            if self.programming:
                with contextlib.suppress(OSError):
                    self.line.write(self.client.b0())
        finally:
            self.line.close()


def _explain(text: str, what: str) -> str:
    """A meter's error message in words."""
    hint = ERROR_HINTS.get(text)
    return f"{hint.format(what=what)} ({text})" if hint else f"the meter refused {what}: {text}"


@dataclass
class Target:
    """Where the meter is and how to log in."""

    host: str
    port: int
    serial: str | None
    password: str | None
    address: str
    timeout: float

    @contextmanager
    def session(self) -> Iterator[OpticalSession]:
        """An open dialogue, closed (B0) at the end."""
        line: Line = (
            SerialLine(self.serial) if self.serial else TcpLine(self.host, self.port, self.timeout)
        )
        session = OpticalSession(
            line, self.address, self.timeout, pause=0.2 if self.serial else 0.0
        )
        try:
            yield session
        except (RemoteProtocolError, OSError) as exc:
            raise ToolError(f"optical port: {exc}") from None
        finally:
            session.close()

    @contextmanager
    def programming(self) -> Iterator[OpticalSession]:
        """A dialogue logged in to programming mode."""
        with self.session() as session:
            session.login(self.password)
            yield session
