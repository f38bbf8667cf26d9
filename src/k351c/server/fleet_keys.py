"""A fleet meter's secrets and security state: keys derived from the fleet master key, counters per meter.

KDF (docs/fleet.md): the fleet master key is the 32 random octets of ``STATE/fleet-secret``. Meter i's
48 key octets are HKDF-SHA256 (RFC 5869, ``cryptography``) of that key with salt ``b"k351c fleet"``
and info ``b"k351c fleet meter keys|" + serial``: octets 0-15 the global unicast encryption key, 16-31
the authentication key, 32-47 the master key (KEK). The LLS password is the 8 digits of
``FleetPasswords`` (HMAC-SHA256 of the serial by the same secret). With ``--test-keys`` every meter has
the lab keys (k351c.server.keys.TEST_KEYS). ``k351c keys show --meter i`` prints meter i's keys.

Each meter's security state (policy, invocation counters) is a ``SecurityState`` in
``STATE/meters/SERIAL/`` created on its first HLS association, so counters persist across restarts.
A key changed by key_transfer is kept in that directory's keys.json and wins over the derived one.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from k351c.server.keys import KEY_FILE, MeterKeys, _write_json

SALT = b"k351c fleet"
INFO = b"k351c fleet meter keys|"


def derive_keys(master: bytes, serial: str, lls_password: str) -> MeterKeys:
    """Meter ``serial``'s keys from the fleet master key (HKDF-SHA256, see the module text)."""
    okm = HKDF(algorithm=SHA256(), length=48, salt=SALT, info=INFO + serial.encode()).derive(master)
    return MeterKeys(
        lls_password=lls_password,
        encryption_key=okm[:16].hex().upper(),
        authentication_key=okm[16:32].hex().upper(),
        master_key=okm[32:48].hex().upper(),
    )


class FleetKeyStore:
    """One fleet meter's keys with the KeyStore interface (``keys``, ``path``, ``update``)."""

    def __init__(self, derived: MeterKeys, directory: Path | None) -> None:
        self.path = directory / KEY_FILE if directory is not None else None
        self.keys = derived
        if self.path is not None and self.path.exists():
            self.keys = MeterKeys(**json.loads(self.path.read_text()))

    def update(self, keys: MeterKeys) -> None:
        """Replace the keys (key_transfer) and persist them in the meter's directory."""
        if self.path is not None:
            _write_json(self.path, asdict(keys))
        self.keys = keys


def meter_directory(state: Path | None, serial: str) -> Path | None:
    """Where meter ``serial`` of a fleet keeps its security state (None without a state directory)."""
    return Path(state) / "meters" / serial if state is not None else None
