"""`k351c tool`: read and configure a meter over its optical port (IEC 62056-21, TCP or serial)."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import typer

from k351c.errors import K351CError, RemoteProtocolError
from k351c.obis import Obis
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

DISPLAY_LISTS = {"auto": "0-0:21.0.1", "manual": "0-0:21.0.2", "backup": "0-0:21.0.3"}
CODES = {
    "type number": "0-0:96.1.1",
    "config1": "0-0:128.90.1",
    "config2": "0-0:128.90.2",
    "config3": "0-0:128.90.3",
    "config5": "0-0:128.90.5",
}
LOAD_PROFILE = "1-0:99.1.0"
CHUNK = 120
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
        return list(answer.lines)

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


def line_text(line: DataLine) -> str:
    """A data line as `address value unit [more...]`."""
    parts = [line.address, line.value, line.unit]
    parts += [f"{v} {u}".strip() for v, u in line.more]
    return " ".join(p for p in parts if p)


def _address(obis: str) -> str:
    """An OBIS code in the port's address form (A-B:C.D.E, *F for historical values)."""
    code = Obis.parse(obis)
    base = f"{code.a}-{code.b}:{code.c}.{code.d}.{code.e}"
    return base if code.f == 255 else f"{base}*{code.f}"


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


tool_app = typer.Typer(
    help="Read and configure a meter over its optical port (IEC 62056-21).", no_args_is_help=True
)


@tool_app.callback()
def main(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Host of the optical port on TCP."),
    port: int = typer.Option(4062, "--port", help="TCP port of the optical port."),
    serial: str = typer.Option(
        None, "--serial", help="Serial device of an optical head instead of TCP."
    ),
    password: str = typer.Option(
        None, "--password", envvar="K351C_PASSWORD", help="Programming password (P1)."
    ),
    address: str = typer.Option(
        "", "--address", help="Device address (serial number) for the sign-on."
    ),
    timeout: float = typer.Option(5.0, "--timeout", help="Seconds to wait for each answer."),
) -> None:
    """Options of every tool command."""
    ctx.obj = Target(host, port, serial, password, address, timeout)


def _run(action) -> None:
    """Run an action; a ToolError or bad input ends the command with a message."""
    try:
        action()
    except (ToolError, K351CError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


@tool_app.command()
def read(
    ctx: typer.Context,
    obis: str = typer.Argument(None, help="One OBIS code; all readout data if omitted."),
) -> None:
    """Print the data readout, or one value (from the readout, else by R1 with the password)."""
    target: Target = ctx.obj

    def action() -> None:
        if obis is None:
            with target.session() as session:
                for line in session.readout():
                    typer.echo(line_text(line))
            return
        wanted = _address(obis)
        with target.session() as session:
            found = [line for line in session.readout() if line.address == wanted]
        if not found:
            with target.programming() as session:
                found = session.read(wanted)
        for line in found:
            typer.echo(line_text(line))

    _run(action)


@tool_app.command("set-ct")
def set_ct(
    ctx: typer.Context, ratio: str = typer.Argument(..., help="Primary/secondary, e.g. 400/5.")
) -> None:
    """Set the CT ratio (only when it is configurable)."""
    primary, _, secondary = ratio.partition("/")
    if not primary.strip().isdigit() or secondary.strip() not in ("", "5"):
        typer.secho(
            f"error: CT ratio {ratio!r}: give primary/5, e.g. 400/5", fg=typer.colors.RED, err=True
        )
        raise typer.Exit(2)

    def action() -> None:
        with ctx.obj.programming() as session:
            session.write("1-0:0.4.2", primary.strip())
        typer.echo(f"CT ratio set to {primary.strip()}/5")

    _run(action)


display_app = typer.Typer(help="Show or set the display lists.", no_args_is_help=True)
tool_app.add_typer(display_app, name="display")


@display_app.command("show")
def display_show(
    ctx: typer.Context, which: str = typer.Argument(None, help="auto, manual or backup.")
) -> None:
    """Print the display lists."""
    names = [which] if which else list(DISPLAY_LISTS)

    def action() -> None:
        with ctx.obj.programming() as session:
            for name in names:
                if name not in DISPLAY_LISTS:
                    raise ToolError(f"display list {name!r}: one of {', '.join(DISPLAY_LISTS)}")
                line = session.read(DISPLAY_LISTS[name])[0]
                codes = [c for c in (line.value, *(v for v, _ in line.more)) if c]
                typer.echo(f"{name}: {' '.join(codes)}")

    _run(action)


@display_app.command("set")
def display_set(
    ctx: typer.Context,
    which: str = typer.Argument(..., help="auto, manual or backup."),
    codes: list[str] = typer.Argument(None, help="OBIS codes in display order."),
) -> None:
    """Replace a display list."""

    def action() -> None:
        if which not in DISPLAY_LISTS:
            raise ToolError(f"display list {which!r}: one of {', '.join(DISPLAY_LISTS)}")
        chunks = display_chunks([_address(c) for c in codes or []])
        with ctx.obj.programming() as session:
            for chunk in chunks:
                session.write(DISPLAY_LISTS[which], chunk)
        typer.echo(f"display list {which} set ({len(codes or [])} readings)")

    _run(action)


def display_chunks(codes: list[str]) -> list[str]:
    """W1 values of a display list: `;`-joined codes, each but the last ending in `;` (continued)."""
    chunks, current = [], ""
    for code in codes:
        if current and len(current) + len(code) + 1 > CHUNK:
            chunks.append(current + ";")
            current = ""
        current = f"{current};{code}" if current else code
    chunks.append(current)
    return chunks


@tool_app.command("set-serial")
def set_serial(
    ctx: typer.Context, serial: str = typer.Argument(..., help="8..10 decimal digits.")
) -> None:
    """Set the meter number (serial number)."""

    def action() -> None:
        with ctx.obj.programming() as session:
            session.write("0-0:96.1.0", serial)
        typer.echo(f"meter number set to {serial}")

    _run(action)


@tool_app.command("set-clock")
def set_clock(
    ctx: typer.Context,
    when: str = typer.Argument(None, help="ISO date-time; the host's time if omitted."),
) -> None:
    """Set the meter's clock."""
    from k351c.clock import SystemClock, parse_instant

    def action() -> None:
        instant = parse_instant(when) if when else SystemClock().now()
        value = instant.isoformat(sep=" ", timespec="seconds")
        with ctx.obj.programming() as session:
            session.write("0-0:1.0.0", value)
        typer.echo(f"clock set to {value}")

    _run(action)


@tool_app.command()
def codes(ctx: typer.Context) -> None:
    """Print the meter's type number and configuration codes."""

    def action() -> None:
        with ctx.obj.programming() as session:
            for name, address in CODES.items():
                typer.echo(f"{name}: {session.read(address)[0].value}")

    _run(action)


@tool_app.command()
def export(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="Output file, .csv or .parquet."),
    start: str = typer.Option("", "--from", help="First interval, YYYY-MM-DD hh:mm (meter time)."),
    end: str = typer.Option("", "--to", help="Last interval, YYYY-MM-DD hh:mm (meter time)."),
) -> None:
    """Export the load profile 1-0:99.1.0.255 to CSV or Parquet."""

    def action() -> None:
        if out.suffix not in (".csv", ".parquet"):
            raise ToolError(f"output {out}: .csv or .parquet")
        with ctx.obj.programming() as session:
            lines = session.read(LOAD_PROFILE, f"{start};{end}" if start or end else "")
        frame = profile_frame(lines)
        if out.suffix == ".csv":
            frame.to_csv(out, index=False)
        else:
            frame.to_parquet(out, index=False)
        typer.echo(f"{len(frame)} intervals written to {out}")

    _run(action)


def profile_frame(lines: list[DataLine]):
    """A DataFrame of a profile answer: header line (columns, units), then one line per row."""
    import pandas as pd

    header, rows = lines[0], lines[1:]
    columns = [(header.value, header.unit), *header.more]
    names = [f"{c} [{u}]" if u else c for c, u in columns]
    data = [[line.value, *(v for v, _ in line.more)] for line in rows]
    frame = pd.DataFrame(data, columns=names)
    first = names[0]
    frame[first] = pd.to_datetime(frame[first])
    for name in names[1:]:
        with contextlib.suppress(ValueError, TypeError):
            frame[name] = pd.to_numeric(frame[name])
    return frame
