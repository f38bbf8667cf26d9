"""ServerSettings: the `[server]` section and the listener flags, one frozen validated value.

The listeners (server/) and the COSEM setup objects (HDLC setup, TCP-UDP setup, security setup)
read the same object, so what a head-end reads from the meter is what the link does. Each field's
description is its documentation in docs/config.md and the help text of its flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

Port = Annotated[int, Field(ge=0, le=65535)]
Seconds = Annotated[float, Field(ge=0.0, le=65535.0)]
# host:port, the host a name, an IPv4 address or a bracketed IPv6 address; "" is off
HOST_PORT = r"^$|^(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]+):[0-9]{1,5}$"
Destination = Annotated[str, Field(pattern=HOST_PORT)]

ALL_STATION = 0x3FFF


def default_physical_address(serial: int | str) -> int:
    """The usual HDLC physical address of a meter: (serial number mod 10000) + 1000."""
    return int(serial) % 10000 + 1000


def _flag(flag: str) -> dict[str, Any]:
    """json_schema_extra of a field whose flag is not its key with dashes (``--serial``)."""
    return {"flag": flag}


class ServerSettings(BaseModel):
    """How the meter is reached: listeners, HDLC link, connection limits, security and pushes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", pattern=r"^\S+$", description="Bind address of the listeners.")
    dlms_port: Port = Field(
        4059,
        description="DLMS/COSEM TCP wrapper port (0 = off).",
    )
    hdlc_port: Port = Field(
        4060,
        description="DLMS/COSEM HDLC-over-TCP port (0 = off).",
    )
    optical_port: Port = Field(
        4062,
        description="IEC 62056-21 optical port on TCP (0 = off).",
    )
    mbus_port: Port = Field(
        4063,
        description="Wired M-Bus slave on TCP (0 = off).",
    )
    web_port: Port = Field(
        8351,
        description="Web page, REST API and /metrics (0 = off).",
    )
    serial_device: str | None = Field(
        None,
        min_length=1,
        description="Serial device for the optical/RS-485 protocol (pyserial URL or path).",
        json_schema_extra=_flag("--serial"),
    )
    max_connections: int = Field(
        64,
        ge=1,
        le=255,
        description="Simultaneous DLMS connections per listener; more are refused "
        "(TCP-UDP setup attribute 5).",
    )
    tcp_inactivity: Seconds = Field(
        300.0,
        description="Seconds of silence before a wrapper connection is closed "
        "(TCP-UDP setup attribute 6).",
        json_schema_extra=_flag("--idle-timeout"),
    )
    hdlc_inactivity: Seconds = Field(
        120.0,
        description="Seconds of silence before the HDLC link disconnects (HDLC setup attribute 8).",
    )
    hdlc_window: int = Field(
        1,
        ge=1,
        le=7,
        description="HDLC window size, transmit and receive (HDLC setup attributes 3 and 4).",
    )
    hdlc_max_info: int = Field(
        128,
        ge=32,
        le=2030,
        description="HDLC maximum information field "
        "length, transmit and receive (HDLC setup attributes 5 and 6).",
    )
    physical_address: int | None = Field(
        None,
        ge=16,
        le=0x3FFD,
        description="HDLC lower (physical) server address (HDLC setup attribute 9); "
        "default (serial mod 10000) + 1000.",
    )
    security_policy: int = Field(
        3,
        ge=0,
        le=3,
        description="Initial DLMS security policy: 0 "
        "nothing, 1 authenticated, 2 encrypted, 3 both (security setup "
        "attribute 2; a policy written by a client is kept in the state).",
    )
    auth_free_attempts: int = Field(
        3, ge=0, description="Failed authentications per client that cost nothing."
    )
    auth_base_delay: float = Field(
        2.0,
        ge=0.0,
        description="Seconds of the first delay after the "
        "free attempts; doubles with each further failure.",
    )
    auth_max_delay: float = Field(
        300.0, ge=0.0, description="Longest delay (s) between failed authentications."
    )
    auth_lockout_after: int = Field(
        10, ge=1, description="Consecutive failures that lock a client out."
    )
    auth_lockout_period: float = Field(
        3600.0, ge=0.0, description="Seconds a locked-out client is refused."
    )
    wmbus_sink: str = Field(
        "udp://127.0.0.1:4064",
        description="Where the wireless M-Bus module "
        "(064) sends telegrams: udp://host:port or a file of hex lines.",
    )
    wmbus_interval: float = Field(
        60.0, gt=0.0, description="Seconds between wireless M-Bus telegrams."
    )
    sms_port: Port = Field(
        4053,
        description="HTTP port of the simulated SMS gateway of the GSM module (053) (0 = off).",
    )
    alarm_push_destination: Destination | None = Field(
        None, description="host:port the alarm push setup sends to (default: as persisted)."
    )
    alarm_push_ciphered: bool | None = Field(
        None, description="Whether alarm pushes are ciphered (default: as persisted)."
    )
    scheduled_push_destination: Destination | None = Field(
        None, description="host:port the scheduled push setup sends to."
    )
    scheduled_push_ciphered: bool | None = Field(
        None, description="Whether scheduled pushes are ciphered."
    )
    ccc_push_destination: Destination | None = Field(
        None, description="host:port the CCC push setup sends to."
    )
    ccc_push_ciphered: bool | None = Field(None, description="Whether CCC pushes are ciphered.")

    @field_validator("wmbus_sink")
    @classmethod
    def _sink(cls, value: str) -> str:
        """A sink is udp://host:port or a file path."""
        udp = value.startswith("udp://")
        if not value.strip() or (udp and not re.fullmatch(HOST_PORT, value[len("udp://") :])):
            raise ValueError("udp://host:port or a file path")
        return value

    def physical_address_for(self, serial: int | str) -> int:
        """The HDLC physical address the meter answers at: the setting, else the serial rule."""
        if self.physical_address is not None:
            return self.physical_address
        return default_physical_address(serial)

    @classmethod
    def coerce(cls, value: ServerSettings | Mapping[str, Any] | None) -> ServerSettings:
        """The settings themselves, or validated from a mapping of file keys (None: defaults)."""
        if isinstance(value, ServerSettings):
            return value
        from k351c.codes.problems import validated

        return validated(cls, dict(value or {}), where="server settings", prefix=("server",))

    def with_flags(self, flags: Mapping[str, Any]) -> ServerSettings:
        """These settings with the flags a person gave (None = not given) put over them."""
        from k351c.codes.problems import ConfigFileError

        given = {k: v for k, v in flags.items() if v is not None}
        try:
            return ServerSettings.coerce({**self.model_dump(exclude_unset=True), **given})
        except ConfigFileError as exc:
            names = flag_fields()
            problems = [
                replace(p, path=f"{names[key]} ({p.path})")
                if (key := p.path.removeprefix("server.")) in given and key in names
                else p
                for p in exc.problems
            ]
            raise ConfigFileError("command line", problems) from None


def flag_fields() -> dict[str, str]:
    """Field name -> command-line flag of every setting: ``--`` and the key with dashes, or its own."""
    out = {}
    for name, info in ServerSettings.model_fields.items():
        extra = info.json_schema_extra
        own = extra.get("flag") if isinstance(extra, dict) else None
        out[name] = str(own) if own else "--" + name.replace("_", "-")
    return out
