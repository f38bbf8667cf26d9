"""Security suite 0: control byte, AES-GCM protection, GMAC, glo-/ded-/general-glo-ciphering, key wrap."""

from __future__ import annotations

import pytest
from dlms_cosem import security as dc
from gurux_dlms.AesGcmParameter import AesGcmParameter
from gurux_dlms.enums import Command, Security
from gurux_dlms.GXDLMSChippering import GXDLMSChippering
from hypothesis import given
from hypothesis import strategies as st

from k351c.protocols.dlms.security import (
    CipherKind,
    DecipheringError,
    SecurityControl,
    SecurityPolicy,
    cipher_apdu,
    decipher_apdu,
    hls_gmac,
    protect,
    unprotect,
    unwrap_key,
    verify_hls_gmac,
    wrap_key,
)

EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
TITLE = bytes.fromhex("4D4D4D0000BC614E")
GET_REQUEST = bytes.fromhex("C0010000080000010000FF0200")
MODES = [SecurityControl(0, True), SecurityControl(0, False, True), SecurityControl(0, True, True)]


def test_green_book_glo_get_request() -> None:
    """Green Book example: glo-get-request of the clock, authenticated and encrypted, IC 0x01234567."""
    ciphered = cipher_apdu(GET_REQUEST, CipherKind.GLOBAL, MODES[2], TITLE, 0x01234567, EK, AK)
    assert (
        ciphered.hex().upper() == "C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B"
    )
    found = decipher_apdu(ciphered, TITLE, EK, AK)
    assert (found.plain, found.counter, found.kind) == (GET_REQUEST, 0x01234567, CipherKind.GLOBAL)


def test_rfc3394_key_wrap_vector() -> None:
    """RFC 3394 4.1: 128-bit key data with a 128-bit KEK."""
    wrapped = wrap_key(EK, bytes.fromhex("00112233445566778899AABBCCDDEEFF"))
    assert wrapped.hex().upper() == "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"
    assert unwrap_key(EK, wrapped) == bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    with pytest.raises(DecipheringError):
        unwrap_key(AK, wrapped)


@given(st.integers(0, 255))
def test_control_byte_round_trip(value: int) -> None:
    assert SecurityControl.from_byte(value).to_byte() == value


def test_policy_satisfaction() -> None:
    assert SecurityControl.for_policy(3).satisfies(SecurityPolicy.ALL_MESSAGES_AUTHENTICATED)
    assert not SecurityControl.for_policy(1).satisfies(
        SecurityPolicy.ALL_MESSAGES_AUTHENTICATED_AND_ENCRYPTED
    )
    assert SecurityControl.for_policy(2).satisfies(SecurityPolicy.NOTHING)
    assert SecurityControl(0, True, True).to_byte() == 0x30


@given(st.binary(max_size=300), st.integers(0, 0xFFFFFFFF), st.sampled_from(MODES))
def test_protect_round_trip(plaintext: bytes, counter: int, control: SecurityControl) -> None:
    payload = protect(control, TITLE, counter, EK, AK, plaintext)
    found = unprotect(payload, TITLE, EK, AK)
    assert (found.plaintext, found.counter, found.control) == (plaintext, counter, control)


@pytest.mark.parametrize("control", [MODES[0], MODES[2]])
def test_tampering_wrong_key_or_title_refused(control: SecurityControl) -> None:
    payload = bytearray(protect(control, TITLE, 7, EK, AK, GET_REQUEST))
    for bad_title, bad_ek, bad_ak in ((b"XXXXXXXX", EK, AK), (TITLE, AK, AK), (TITLE, EK, EK)):
        with pytest.raises(DecipheringError):
            unprotect(bytes(payload), bad_title, bad_ek, bad_ak)
    payload[8] ^= 1
    with pytest.raises(DecipheringError):
        unprotect(bytes(payload), TITLE, EK, AK)


@pytest.mark.parametrize(
    ("security", "control"),
    [
        (Security.AUTHENTICATION, MODES[0]),
        (Security.ENCRYPTION, MODES[1]),
        (Security.AUTHENTICATION_ENCRYPTION, MODES[2]),
    ],
)
def test_gurux_ciphering_oracle(security: Security, control: SecurityControl) -> None:
    """gurux's own AES-GCM (a pure-Python implementation) ciphers exactly as we do, all three modes."""
    p = AesGcmParameter(0xC8, TITLE, EK, AK)
    p.security = security
    p.invocationCounter = 0x11223344
    theirs = bytes(GXDLMSChippering.encryptAesGcm(p, GET_REQUEST))
    ours = cipher_apdu(GET_REQUEST, CipherKind.GLOBAL, control, TITLE, 0x11223344, EK, AK)
    assert theirs == ours
    assert decipher_apdu(theirs, TITLE, EK, AK).plain == GET_REQUEST


def test_gurux_general_glo_ciphering_oracle() -> None:
    p = AesGcmParameter(Command.GENERAL_GLO_CIPHERING, TITLE, EK, AK)
    p.security = Security.AUTHENTICATION_ENCRYPTION
    p.invocationCounter = 5
    theirs = bytes(GXDLMSChippering.encryptAesGcm(p, GET_REQUEST))
    assert theirs == cipher_apdu(GET_REQUEST, CipherKind.GENERAL_GLOBAL, MODES[2], TITLE, 5, EK, AK)
    found = decipher_apdu(theirs, b"ignored!", EK, AK)
    assert (found.system_title, found.kind, found.plain) == (
        TITLE,
        CipherKind.GENERAL_GLOBAL,
        GET_REQUEST,
    )


def test_dlms_cosem_oracle_encrypt_and_gmac() -> None:
    control = dc.SecurityControlField(0, authenticated=True, encrypted=True)
    theirs = dc.encrypt(control, TITLE, 9, EK, GET_REQUEST, AK)
    assert protect(MODES[2], TITLE, 9, EK, AK, GET_REQUEST)[5:] == theirs
    tag = dc.gmac(dc.SecurityControlField(0, authenticated=True), TITLE, 3, EK, AK, b"challenge")
    assert hls_gmac(TITLE, 3, EK, AK, b"challenge") == b"\x10" + (3).to_bytes(4, "big") + tag


def test_hls_gmac_verify() -> None:
    value = hls_gmac(TITLE, 42, EK, AK, b"StoC-challenge")
    assert verify_hls_gmac(value, TITLE, EK, AK, b"StoC-challenge") == 42
    for challenge, key in ((b"other-challenge", EK), (b"StoC-challenge", AK)):
        with pytest.raises(DecipheringError):
            verify_hls_gmac(value, TITLE, key, AK, challenge)


def test_dedicated_and_mismatched_tags() -> None:
    ded = cipher_apdu(GET_REQUEST, CipherKind.DEDICATED, MODES[2], TITLE, 1, AK, AK)
    assert ded[0] == 0xD0
    assert decipher_apdu(ded, TITLE, AK, AK).kind is CipherKind.DEDICATED
    forged = bytes((0xC9,)) + ded[1:]  # glo-set-request tag around a GET
    with pytest.raises(DecipheringError):
        decipher_apdu(forged, TITLE, AK, AK)
