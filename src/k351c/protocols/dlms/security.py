"""DLMS/COSEM security suite 0 (IEC 62056-5-3 / Green Book 9.2): AES-128-GCM, GMAC, key wrap.

Sans-IO: keys, system titles and invocation counters come in as arguments. A protected payload is
``SC || IC || body`` where SC is the security control byte, IC the 4-octet invocation counter and
body the plaintext (+ tag, authenticated only), the ciphertext (encrypted only) or ciphertext + tag
(both). The GCM nonce is the sender's system title (8) + IC (4); the tag is truncated to 12 octets.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import IntEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from k351c.errors import LocalProtocolError, RemoteProtocolError
from k351c.protocols.dlms.apdu import GENERAL_CIPHERING_TAGS, CipheredApdu

TAG_LENGTH = 12
SYSTEM_TITLE_LENGTH = 8
SUITE_0 = 0
# the most a ciphered APDU adds to its plaintext: general-glo-ciphering's tag, system title with its
# length, a 3-octet length, then SC, IC and the GCM tag (glo-/ded-ciphering adds 9 octets less)
CIPHERING_OVERHEAD = 1 + 1 + SYSTEM_TITLE_LENGTH + 3 + 1 + 4 + TAG_LENGTH


class DecipheringError(RemoteProtocolError):
    """A protected APDU failed authentication or decryption (wrong key, title, counter or tampering)."""


class SecurityPolicy(IntEnum):
    """security_policy of the security setup object (class 64 version 0)."""

    NOTHING = 0
    ALL_MESSAGES_AUTHENTICATED = 1
    ALL_MESSAGES_ENCRYPTED = 2
    ALL_MESSAGES_AUTHENTICATED_AND_ENCRYPTED = 3


class KeyId(IntEnum):
    """key_id of key_transfer (class 64 method 2)."""

    GLOBAL_UNICAST_ENCRYPTION_KEY = 0
    GLOBAL_BROADCAST_ENCRYPTION_KEY = 1
    AUTHENTICATION_KEY = 2
    MASTER_KEY = 3


class CipherKind(IntEnum):
    """How an APDU is protected: with the global key, the dedicated key, or general-glo-ciphering."""

    GLOBAL = 0
    DEDICATED = 1
    GENERAL_GLOBAL = 2


@dataclass(frozen=True, slots=True)
class SecurityControl:
    """The security control byte: suite (bits 0-3), authentication, encryption, key set, compression."""

    suite: int = SUITE_0
    authenticated: bool = False
    encrypted: bool = False
    broadcast: bool = False
    compressed: bool = False

    @classmethod
    def from_byte(cls, value: int) -> SecurityControl:
        """Decode the octet."""
        return cls(
            value & 0x0F,
            bool(value & 0x10),
            bool(value & 0x20),
            bool(value & 0x40),
            bool(value & 0x80),
        )

    @classmethod
    def for_policy(cls, policy: SecurityPolicy | int, suite: int = SUITE_0) -> SecurityControl:
        """The control byte that gives exactly the protection of ``policy``."""
        return cls(suite, bool(policy & 1), bool(policy & 2))

    def to_byte(self) -> int:
        """The octet."""
        return (
            (self.suite & 0x0F)
            | (0x10 if self.authenticated else 0)
            | (0x20 if self.encrypted else 0)
            | (0x40 if self.broadcast else 0)
            | (0x80 if self.compressed else 0)
        )

    @property
    def policy(self) -> SecurityPolicy:
        """The protection this byte asks for, as a class 64 policy value."""
        return SecurityPolicy(int(self.authenticated) | (int(self.encrypted) << 1))

    def satisfies(self, policy: SecurityPolicy | int) -> bool:
        """Whether this protection is at least what ``policy`` requires."""
        return int(policy) & ~int(self.policy) == 0


def _iv(system_title: bytes, counter: int) -> bytes:
    if len(system_title) != SYSTEM_TITLE_LENGTH:
        raise LocalProtocolError(f"system title of {len(system_title)} octets (8 needed)")
    if not 0 <= counter <= 0xFFFFFFFF:
        raise LocalProtocolError(f"invocation counter {counter} out of range")
    return system_title + counter.to_bytes(4, "big")


def _ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CTR(iv + b"\x00\x00\x00\x02")).encryptor()
    return cipher.update(data) + cipher.finalize()


def protect(
    control: SecurityControl,
    system_title: bytes,
    counter: int,
    ek: bytes,
    ak: bytes,
    plaintext: bytes,
) -> bytes:
    """``SC || IC || body``: plaintext protected as ``control`` says, by the sender ``system_title``."""
    iv = _iv(system_title, counter)
    head = bytes((control.to_byte(),)) + counter.to_bytes(4, "big")
    sc = head[:1]
    if control.authenticated and control.encrypted:
        body = AESGCM(ek).encrypt(iv, plaintext, sc + ak)
        return head + body[:-16] + body[-16:][:TAG_LENGTH]
    if control.authenticated:
        tag = AESGCM(ek).encrypt(iv, b"", sc + ak + plaintext)[:TAG_LENGTH]
        return head + plaintext + tag
    if control.encrypted:
        return head + _ctr(ek, iv, plaintext)
    raise LocalProtocolError("protect() needs authentication or encryption")


def _verify(key: bytes, iv: bytes, aad: bytes, ciphertext: bytes, tag: bytes) -> bytes:
    try:
        decryptor = Cipher(
            algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=TAG_LENGTH)
        ).decryptor()
        decryptor.authenticate_additional_data(aad)
        return decryptor.update(ciphertext) + decryptor.finalize()
    except (InvalidTag, ValueError) as exc:
        raise DecipheringError("authentication tag does not verify") from exc


@dataclass(frozen=True, slots=True)
class Unprotected:
    """What unprotect() found: the control byte, the sender's invocation counter and the plaintext."""

    control: SecurityControl
    counter: int
    plaintext: bytes


def unprotect(payload: bytes, system_title: bytes, ek: bytes, ak: bytes) -> Unprotected:
    """Check and decrypt ``SC || IC || body`` sent by ``system_title``; DecipheringError if it fails."""
    if len(payload) < 5:
        raise DecipheringError("protected payload shorter than its header")
    control = SecurityControl.from_byte(payload[0])
    counter = int.from_bytes(payload[1:5], "big")
    if control.suite != SUITE_0 or control.compressed:
        raise DecipheringError(
            f"security control 0x{payload[0]:02x} not supported (suite 0, no compression)"
        )
    if len(system_title) != SYSTEM_TITLE_LENGTH:
        raise DecipheringError(f"system title of {len(system_title)} octets")
    iv = system_title + payload[1:5]
    body = payload[5:]
    sc = payload[:1]
    if control.authenticated:
        if len(body) < TAG_LENGTH:
            raise DecipheringError("protected payload shorter than its tag")
        text, tag = body[:-TAG_LENGTH], body[-TAG_LENGTH:]
        if control.encrypted:
            return Unprotected(control, counter, _verify(ek, iv, sc + ak, text, tag))
        _verify(ek, iv, sc + ak + text, b"", tag)
        return Unprotected(control, counter, text)
    if control.encrypted:
        return Unprotected(control, counter, _ctr(ek, iv, body))
    raise DecipheringError("security control asks for neither authentication nor encryption")


# ---- HLS mechanism 5 (GMAC) ----------------------------------------------------------------------


def hls_gmac(system_title: bytes, counter: int, ek: bytes, ak: bytes, challenge: bytes) -> bytes:
    """f(challenge) = SC || IC || GMAC(SC || AK || challenge), as sent in pass 3 (client) or 4 (server)."""
    control = SecurityControl(SUITE_0, authenticated=True)
    sc = bytes((control.to_byte(),))
    tag = AESGCM(ek).encrypt(_iv(system_title, counter), b"", sc + ak + challenge)[:TAG_LENGTH]
    return sc + counter.to_bytes(4, "big") + tag


def verify_hls_gmac(
    value: bytes, system_title: bytes, ek: bytes, ak: bytes, challenge: bytes
) -> int:
    """Check a peer's f(challenge); return its invocation counter or raise DecipheringError."""
    if (
        len(value) != 5 + TAG_LENGTH
        or value[0] != SecurityControl(SUITE_0, authenticated=True).to_byte()
    ):
        raise DecipheringError("malformed HLS-GMAC response")
    counter = int.from_bytes(value[1:5], "big")
    expected = hls_gmac(system_title, counter, ek, ak, challenge)
    if not hmac.compare_digest(expected, value):
        raise DecipheringError("HLS-GMAC response does not verify")
    return counter


# ---- glo-/ded-/general-glo-ciphering of whole APDUs -----------------------------------------------

GLOBAL_TAGS = {
    0x01: 0x21,
    0x08: 0x28,
    0x0E: 0x2E,
    0xC0: 0xC8,
    0xC1: 0xC9,
    0xC2: 0xCA,
    0xC3: 0xCB,
    0xC4: 0xCC,
    0xC5: 0xCD,
    0xC7: 0xCF,
}
DEDICATED_TAGS = {
    0x01: 0x41,
    0x08: 0x48,
    0x0E: 0x4E,
    0xC0: 0xD0,
    0xC1: 0xD1,
    0xC2: 0xD2,
    0xC3: 0xD3,
    0xC4: 0xD4,
    0xC5: 0xD5,
    0xC7: 0xD7,
}
PLAIN_OF = {v: k for k, v in GLOBAL_TAGS.items()} | {v: k for k, v in DEDICATED_TAGS.items()}
GENERAL_GLO_CIPHERING = 0xDB


def cipher_kind(tag: int) -> CipherKind | None:
    """How an APDU with this first octet is ciphered (None = not ciphered by us)."""
    if tag == GENERAL_GLO_CIPHERING:
        return CipherKind.GENERAL_GLOBAL
    if tag in DEDICATED_TAGS.values():
        return CipherKind.DEDICATED
    if tag in GLOBAL_TAGS.values():
        return CipherKind.GLOBAL
    return None


def cipher_apdu(
    plain: bytes,
    kind: CipherKind,
    control: SecurityControl,
    system_title: bytes,
    counter: int,
    ek: bytes,
    ak: bytes,
) -> bytes:
    """Protect a whole plain APDU as glo-, ded- or general-glo-ciphering (``ek`` is the key of ``kind``)."""
    payload = protect(control, system_title, counter, ek, ak, plain)
    if kind is CipherKind.GENERAL_GLOBAL:
        return CipheredApdu(GENERAL_GLO_CIPHERING, payload, system_title).to_bytes()
    table = DEDICATED_TAGS if kind is CipherKind.DEDICATED else GLOBAL_TAGS
    tag = table.get(plain[0]) if plain else None
    if tag is None:
        raise LocalProtocolError(
            f"APDU 0x{plain[:1].hex()} has no {kind.name.lower()} ciphered form"
        )
    return CipheredApdu(tag, payload).to_bytes()


@dataclass(frozen=True, slots=True)
class Deciphered:
    """A deciphered APDU with how it was protected."""

    plain: bytes
    kind: CipherKind
    control: SecurityControl
    counter: int
    system_title: bytes


def decipher_apdu(
    apdu: bytes | CipheredApdu, system_title: bytes, ek: bytes, ak: bytes
) -> Deciphered:
    """Check and decrypt a ciphered APDU from the peer ``system_title`` (general-glo carries its own)."""
    ciphered = apdu if isinstance(apdu, CipheredApdu) else CipheredApdu.from_bytes(apdu)
    kind = cipher_kind(ciphered.tag)
    if kind is None:
        raise DecipheringError(f"0x{ciphered.tag:02x} is not a ciphering we accept")
    title = system_title
    if ciphered.tag in GENERAL_CIPHERING_TAGS:
        title = ciphered.system_title or b""
    found = unprotect(ciphered.payload, title, ek, ak)
    plain = found.plaintext
    if kind is not CipherKind.GENERAL_GLOBAL and (not plain or PLAIN_OF[ciphered.tag] != plain[0]):
        raise DecipheringError(f"ciphered tag 0x{ciphered.tag:02x} does not match its content")
    return Deciphered(plain, kind, found.control, found.counter, title)


# ---- key transfer (RFC 3394) ---------------------------------------------------------------------


def wrap_key(kek: bytes, key: bytes) -> bytes:
    """AES key wrap of ``key`` with the master key (KEK): 24 octets for a 16-octet key."""
    return aes_key_wrap(kek, key)


def unwrap_key(kek: bytes, wrapped: bytes) -> bytes:
    """Unwrap a transferred key; DecipheringError if the integrity check fails."""
    try:
        return aes_key_unwrap(kek, wrapped)
    except (InvalidUnwrap, ValueError) as exc:
        raise DecipheringError(
            "key unwrap failed (wrong master key or corrupted key data)"
        ) from exc
