"""Conformance cases modelled on the DLMS UA test plan groups, written from the standards' descriptions.

Each case opens a fresh connection, brings the link/association to the state its group needs
(``setup``), sends each stimulus as raw octets and compares the meter's answer byte for byte
(``SILENT``: no answer within the silence window; ``CLOSED``: the meter hung up). Expected octets
are the standard's encodings, spelled out in hex (HDLC: IEC 62056-46 / ISO 13239 frame format 3,
wrapper: IEC 62056-47, APDUs: IEC 62056-5-3 A-XDR/BER), for the served meter of
``conformance_harness``: physical address 0x12, clock frozen at 2026-03-04T00:00Z after three days
of a constant load.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance_harness import (
    LLC_COMMAND,
    client_address,
    hdlc_frame,
    server_address,
    wrapper_frame,
)

SILENT = "silent"
CLOSED = "closed"

# APDUs (IEC 62056-5-3 / Green Book): AARQs, GETs, SETs, ACTIONs, RLRQ
AARQ_PUBLIC = "601DA109060760857405080101BE10040E01000000065F1F0400007E1FFFFF"
AARQ_LLS = ("6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
            "BE10040E01000000065F1F0400007E1FFFFF")
AARQ_LLS_WRONG = AARQ_LLS.replace("3132333435363738", "3132333435363739")
AARQ_SN_CONTEXT = AARQ_PUBLIC.replace("60857405080101", "60857405080102")
AARQ_DLMS_5 = AARQ_PUBLIC.replace("065F1F04", "055F1F04")
AARQ_PDU_11 = AARQ_PUBLIC.replace("7E1FFFFF", "7E1F000B")
AARQ_NO_COMMON_CONFORMANCE = AARQ_PUBLIC.replace("00007E1F", "00000000")
AARQ_PUBLIC_WITH_LLS = AARQ_LLS
GET_ENERGY = "C001C1000301000108 00FF0200".replace(" ", "")
GET_UNKNOWN = "C001C10003" + "0100630909FF" + "0200"
GET_WRONG_CLASS = "C001C1000101000108 00FF0200".replace(" ", "")
GET_VOLTAGE_PUBLIC = "C001C1000301002007 00FF0200".replace(" ", "")
GET_ENERGY_ATTR_9 = "C001C1000301000108 00FF0900".replace(" ", "")
GET_ENERGY_ATTR_0 = "C001C1000301000108 00FF0000".replace(" ", "")
GET_WITH_LIST = "C003C102000301000108 00FF0200000800000100 00FF0300".replace(" ", "")
GET_SELECTIVE_ON_REGISTER = "C001C1000301000108 00FF0201020F00".replace(" ", "")
GET_NEXT_NONE = "C002C100000001"
GET_TRUNCATED = "C001C1000301"
GET_UNKNOWN_CHOICE = "C009C1"
SET_ENERGY = "C101C1000301000108 00FF0200150000000000000000".replace(" ", "")
ACTION_CAPTURE_EVENT_LOG = "C301C100070000636200FF02010F00"
ACTION_CLOCK_SHIFT_PUBLIC = "C301C100080000010000FF0601100000"
RLRQ = "6200"
RLRQ_NORMAL = "6203800100"

SNRM = 0x93
DISC = 0x53
UI = 0x13


def i_control(ns: int, nr: int) -> int:
    """Control octet of an I frame with the poll bit: N(R) P N(S) 0."""
    return (nr << 5) | 0x10 | (ns << 1)


def rr_control(nr: int) -> int:
    """Control octet of an RR with the poll bit."""
    return (nr << 5) | 0x11


def to_meter(control: int, info: bytes = b"", client: int = 16, **corrupt) -> bytes:
    """A frame from ``client`` to the meter's management logical device."""
    return hdlc_frame(server_address(), client_address(client), control, info, **corrupt)


def apdu_frame(ns: int, nr: int, apdu_hex: str, client: int = 16) -> bytes:
    """An I frame carrying an APDU behind the LLC command header."""
    return to_meter(i_control(ns, nr), LLC_COMMAND + bytes.fromhex(apdu_hex), client)


@dataclass(frozen=True, slots=True)
class Case:
    """One conformance case: stimuli and the octets (or silence) each must get back."""

    id: str
    group: str
    title: str
    transport: str  # "hdlc" or "wrapper"
    setup: str  # "none", "nrm" (SNRM/UA done), "public" / "lls" (associated)
    steps: tuple[tuple[bytes, str], ...]
    answer: str  # what the table says the meter answers


def _hdlc(id_: str, group: str, title: str, setup: str, steps, answer: str) -> Case:
    return Case(id_, group, title, "hdlc", setup, tuple(steps), answer)


def _wrap(id_: str, group: str, title: str, setup: str, steps, answer: str, client: int = 16) -> Case:
    frames = tuple((wrapper_frame(bytes.fromhex(apdu), client) if isinstance(apdu, str) else apdu, exp)
                   for apdu, exp in steps)
    return Case(id_, group, title, "wrapper", setup, frames, answer)


UA_DEFAULT = "7ea0212100020025739da6818012050180060180070400000001080400000001533b7e"

CASES: tuple[Case, ...] = (
    # ---------------------------------------------------------------- HDLC: frame
    _hdlc("HDLC-FRAME-01", "HDLC frame", "SNRM without information field", "none",
          [(to_meter(SNRM), UA_DEFAULT)], "UA with the parameters of the HDLC setup (128 octets, window 1)"),
    _hdlc("HDLC-FRAME-02", "HDLC frame", "SNRM proposing 64/64 octets, window 1", "none",
          [(to_meter(SNRM, bytes.fromhex("818012050140060140070400000001080400000001")), "7ea0212100020025739da6818012050140060140070400000001080400000001b72c7e")],
          "UA with 64/64 octets, window 1"),
    _hdlc("HDLC-FRAME-06", "HDLC frame", "SNRM whose parameter group length is wrong", "none",
          [(to_meter(SNRM, bytes.fromhex("8180120502040006020400070400000007080400000007")), "7ea00a21000200251ff61a7e")],
          "DM (parameters refused, link stays disconnected)"),
    _hdlc("HDLC-FRAME-03", "HDLC frame", "SNRM with a wrong FCS", "none",
          [(to_meter(SNRM, bad_fcs=True), SILENT)], "silent (frame discarded)"),
    _hdlc("HDLC-FRAME-04", "HDLC frame", "I frame with a wrong HCS", "nrm",
          [(to_meter(i_control(0, 0), LLC_COMMAND + bytes.fromhex(AARQ_PUBLIC), bad_hcs=True), SILENT)],
          "silent (frame discarded)"),
    _hdlc("HDLC-FRAME-05", "HDLC frame", "opening flag followed by garbage, then a good SNRM", "none",
          [(b"\x7e\x01\x02\x03\x7e", SILENT), (to_meter(SNRM), UA_DEFAULT)], "silent, then UA"),
    # -------------------------------------------------------------- HDLC: address
    _hdlc("HDLC-ADDR-01", "HDLC address", "SNRM to another physical address", "none",
          [(hdlc_frame(server_address(1, 0x13), client_address(16), SNRM), SILENT)], "silent"),
    _hdlc("HDLC-ADDR-02", "HDLC address", "SNRM to the all-station address 0x3FFF", "none",
          [(hdlc_frame(server_address(1, 0x3FFF), client_address(16), SNRM), "7ea0212100020025739da6818012050180060180070400000001080400000001533b7e")],
          "UA from the meter's own address (point-to-point)"),
    _hdlc("HDLC-ADDR-03", "HDLC address", "SNRM with a 1-octet server address (logical device 1)", "none",
          [(hdlc_frame(bytes([0x03]), client_address(16), SNRM), "7ea01e210373c37a818012050180060180070400000001080400000001533b7e")], "UA from the 1-octet address (point-to-point)"),
    _hdlc("HDLC-ADDR-04", "HDLC address", "SNRM from the management client (SAP 1)", "none",
          [(to_meter(SNRM, client=1), "7ea021030002002573ab2b818012050180060180070400000001080400000001533b7e")], "UA to client address 0x03"),
    # ------------------------------------------------------------ HDLC: NDM -> NRM
    _hdlc("HDLC-NDM-01", "HDLC NDM to NRM", "I frame in NDM", "none",
          [(apdu_frame(0, 0, AARQ_PUBLIC), "7ea00a21000200251ff61a7e")], "DM"),
    _hdlc("HDLC-NDM-02", "HDLC NDM to NRM", "DISC in NDM", "none", [(to_meter(DISC), "7ea00a21000200251ff61a7e")], "DM"),
    _hdlc("HDLC-NDM-03", "HDLC NDM to NRM", "RR in NDM", "none", [(to_meter(rr_control(0)), "7ea00a21000200251ff61a7e")], "DM"),
    _hdlc("HDLC-NDM-04", "HDLC NDM to NRM", "SNRM twice (link reset)", "none",
          [(to_meter(SNRM), UA_DEFAULT), (to_meter(SNRM), UA_DEFAULT)], "UA both times"),
    _hdlc("HDLC-NDM-05", "HDLC NDM to NRM", "UI frame in NDM", "none",
          [(to_meter(UI, LLC_COMMAND + bytes.fromhex(GET_ENERGY)), SILENT)], "silent (UI gets no answer)"),
    # ------------------------------------------------------- HDLC: information field
    _hdlc("HDLC-INFO-01", "HDLC information field", "AARQ in I frame 0", "nrm",
          [(apdu_frame(0, 0, AARQ_PUBLIC), "7ea03a2100020025304915e6e7006129a109060760857405080101a203020100a305a103020100be10040e0800065f1f0400007e1dffff00079c507e")], "I frame N(S)=0 N(R)=1 with the AARE"),
    _hdlc("HDLC-INFO-02", "HDLC information field", "RR with nothing to send", "nrm",
          [(to_meter(rr_control(0)), "7ea00a21000200251188f37e")], "RR N(R)=0"),
    _hdlc("HDLC-INFO-03", "HDLC information field", "I frame with a wrong N(S)", "nrm",
          [(apdu_frame(3, 0, AARQ_PUBLIC), "7ea00a21000200251188f37e")], "no I frame accepted: RR with N(R)=0 (resend)"),
    _hdlc("HDLC-INFO-04", "HDLC information field", "information field over the 128 negotiated", "nrm",
          [(to_meter(i_control(0, 0), LLC_COMMAND + bytes(200)), "7ea00f21000200259715e2100004c60c7e")], "FRMR (Y: information field too long)"),
    _hdlc("HDLC-INFO-05", "HDLC information field", "GET of a register after the AARE", "public",
          [(apdu_frame(1, 1, GET_ENERGY), "7ea01c210002002552136ee6e700c401c10015000000000002d9bb13717e")], "I frame N(S)=1 N(R)=2 with the register value"),
    _hdlc("HDLC-INFO-06", "HDLC information field", "undefined control field in NRM", "nrm",
          [(to_meter(0x1F), "7ea00f21000200259715e21f0001ac117e")], "FRMR (W: undefined control field)"),
    # ------------------------------------------------------------- HDLC: disconnect
    _hdlc("HDLC-DISC-01", "HDLC disconnect", "DISC in NRM", "nrm", [(to_meter(DISC), "7ea00a2100020025739cb37e")], "UA"),
    _hdlc("HDLC-DISC-02", "HDLC disconnect", "I frame after DISC", "nrm",
          [(to_meter(DISC), "7ea00a2100020025739cb37e"), (apdu_frame(0, 0, AARQ_PUBLIC), "7ea00a21000200251ff61a7e")], "UA, then DM"),
    _hdlc("HDLC-DISC-03", "HDLC disconnect", "DISC while associated releases the association", "public",
          [(to_meter(DISC), "7ea00a2100020025739cb37e"), (to_meter(SNRM), UA_DEFAULT), (apdu_frame(0, 0, GET_ENERGY), "7ea01221000200253026a8e6e700d80102a7717e")],
          "UA; after a new SNRM a GET is refused (exception-response: no association)"),
    # ------------------------------------------------------------ APPL: open
    _wrap("APPL-OPEN-01", "APPL open", "AARQ, public client, no authentication", "none",
          [(AARQ_PUBLIC, "000100010010002b6129a109060760857405080101a203020100a305a103020100be10040e0800065f1f0400007e1dffff0007")], "AARE accepted, conformance 007E1D, server PDU 65535"),
    _wrap("APPL-OPEN-02", "APPL open", "AARQ, reading client, LLS with the right password", "none",
          [(AARQ_LLS, "00010001002000386136a109060760857405080101a203020100a305a10302010088020780890760857405080201be10040e0800065f1f0400007e1dffff0007")], "AARE accepted, mechanism name LLS", client=32),
    _wrap("APPL-OPEN-03", "APPL open", "AARQ, LLS with a wrong password", "none",
          [(AARQ_LLS_WRONG, "00010001002000196117a109060760857405080101a203020101a305a10302010d")], "AARE rejected-permanent, authentication-failure (13)", client=32),
    _wrap("APPL-OPEN-04", "APPL open", "AARQ from an unknown client SAP 0x50", "none",
          [(AARQ_PUBLIC, "00010001005000196117a109060760857405080101a203020101a305a103020103")], "AARE rejected-permanent, calling-AP-title-not-recognized", client=0x50),
    _wrap("APPL-OPEN-05", "APPL open", "AARQ with the SN referencing context", "none",
          [(AARQ_SN_CONTEXT, "00010001001000196117a109060760857405080102a203020101a305a103020102")], "AARE rejected-permanent, application-context-name-not-supported"),
    _wrap("APPL-OPEN-06", "APPL open", "AARQ proposing DLMS version 5", "none",
          [(AARQ_DLMS_5, "0001000100100021611fa109060760857405080101a203020101a305a103020101be0604040e010601")], "AARE rejected, initiateError dlms-version-too-low"),
    _wrap("APPL-OPEN-07", "APPL open", "AARQ with a client max PDU of 11", "none",
          [(AARQ_PDU_11, "0001000100100021611fa109060760857405080101a203020101a305a103020101be0604040e010603")], "AARE rejected, initiateError pdu-size-too-short"),
    _wrap("APPL-OPEN-08", "APPL open", "AARQ with no conformance bit in common", "none",
          [(AARQ_NO_COMMON_CONFORMANCE, "0001000100100021611fa109060760857405080101a203020101a305a103020101be0604040e010602")], "AARE rejected, initiateError incompatible-conformance"),
    _wrap("APPL-OPEN-09", "APPL open", "AARQ of the public client asking for LLS", "none",
          [(AARQ_PUBLIC_WITH_LLS, "00010001001000196117a109060760857405080101a203020101a305a10302010b")], "AARE rejected, authentication-mechanism-name-not-recognised"),
    _wrap("APPL-OPEN-10", "APPL open", "truncated AARQ", "none",
          [("601DA1090607", "0001000100100003d80203")], "exception-response service-unknown"),
    # --------------------------------------------------------- APPL: data (LN)
    _wrap("APPL-DATA-01", "APPL data LN", "GET A+ 1-0:1.8.0.255 attribute 2", "public",
          [(GET_ENERGY, "000100010010000dc401c10015000000000002d9bb")], "Get-Response-Normal, long64-unsigned value"),
    _wrap("APPL-DATA-02", "APPL data LN", "GET of an undefined object", "public",
          [(GET_UNKNOWN, "0001000100100005c401c10104")], "data-access-result object-undefined (4)"),
    _wrap("APPL-DATA-03", "APPL data LN", "GET with the wrong class id", "public",
          [(GET_WRONG_CLASS, "0001000100100005c401c10109")], "object-class-inconsistent (9)"),
    _wrap("APPL-DATA-04", "APPL data LN", "GET of a non-public object by the public client", "public",
          [(GET_VOLTAGE_PUBLIC, "0001000100100005c401c10103")], "read-write-denied (3)"),
    _wrap("APPL-DATA-05", "APPL data LN", "GET of an attribute the class does not have", "public",
          [(GET_ENERGY_ATTR_9, "0001000100100005c401c10104")], "object-undefined (4)"),
    _wrap("APPL-DATA-06", "APPL data LN", "GET attribute 0 (whole object)", "public",
          [(GET_ENERGY_ATTR_0, "000100010010001dc401c100020309060100010800ff15000000000002d9bb02020f00161e")], "structure {logical name, value, scaler_unit}"),
    _wrap("APPL-DATA-07", "APPL data LN", "GET with list (A+ value, clock time zone)", "public",
          [(GET_WITH_LIST, "0001000100100012c403c1020015000000000002d9bb0010ffc4")], "Get-Response-With-List, two results"),
    _wrap("APPL-DATA-08", "APPL data LN", "selective access on a register value", "public",
          [(GET_SELECTIVE_ON_REGISTER, "0001000100100005c401c101fa")], "other-reason (250)"),
    _wrap("APPL-DATA-09", "APPL data LN", "GET next block without a long GET", "public",
          [(GET_NEXT_NONE, "000100010010000ac402c101000000010110")], "no-long-get-in-progress (18)"),
    _wrap("APPL-DATA-10", "APPL data LN", "truncated GET request", "public",
          [(GET_TRUNCATED, "0001000100100003d80203")], "exception-response service-unknown"),
    _wrap("APPL-DATA-11", "APPL data LN", "GET request with an undefined choice", "public",
          [(GET_UNKNOWN_CHOICE, "0001000100100003d80203")], "exception-response service-unknown"),
    _wrap("APPL-DATA-12", "APPL data LN", "SET of legal data (A+) by the reading client", "lls",
          [(SET_ENERGY, "0001000100200004c501c103")], "read-write-denied, nothing changes", client=32),
    _wrap("APPL-DATA-13", "APPL data LN", "ACTION capture on the event log by the reading client", "lls",
          [(ACTION_CAPTURE_EVENT_LOG, "0001000100200005c701c10300")], "read-write-denied (management only)", client=32),
    _wrap("APPL-DATA-14", "APPL data LN", "ACTION shift_time by the public client", "public",
          [(ACTION_CLOCK_SHIFT_PUBLIC, "0001000100100005c701c10300")], "read-write-denied"),
    # --------------------------------------------------------- APPL: release
    _wrap("APPL-REL-01", "APPL release", "RLRQ without reason", "public", [(RLRQ, "00010001001000056303800100")], "RLRE"),
    _wrap("APPL-REL-02", "APPL release", "RLRQ reason normal", "public", [(RLRQ_NORMAL, "00010001001000056303800100")], "RLRE"),
    _wrap("APPL-REL-03", "APPL release", "GET after the release", "public",
          [(RLRQ, "00010001001000056303800100"), (GET_ENERGY, "0001000100100003d80102")], "RLRE, then exception-response service-not-allowed"),
    # ------------------------------------------------------------ APPL: idle
    _wrap("APPL-IDLE-01", "APPL idle", "GET before any AARQ", "none",
          [(GET_ENERGY, "0001000100100003d80102")], "exception-response service-not-allowed"),
    _wrap("APPL-IDLE-02", "APPL idle", "RLRQ before any AARQ", "none", [(RLRQ, "00010001001000056303800100")], "RLRE"),
    _wrap("APPL-IDLE-03", "APPL idle", "wrapper frame of version 2", "none",
          [(wrapper_frame(bytes.fromhex(AARQ_PUBLIC), version=2), CLOSED)], "connection closed"),
    _wrap("APPL-IDLE-04", "APPL idle", "wrapper frame to destination wPort 5", "none",
          [(wrapper_frame(bytes.fromhex(AARQ_PUBLIC), destination=5), SILENT)], "silent (frame discarded)"),
    # ----------------------------------------------- interface class behaviour (reading client)
    _wrap("CLASS-03-SCALER", "class 3", "A+ scaler_unit", "lls",
          [("C001C1000301000108 00FF0300".replace(" ", ""), "000100010020000ac401c10002020f00161e")], "{integer 0, enum 30 (Wh)}", client=32),
    _wrap("CLASS-08-TZ", "class 8", "clock time_zone", "lls",
          [("C001C100080000010000FF0300", "0001000100200007c401c10010ffc4")], "long -60 (CET, Blue Book sign)", client=32),
    _wrap("CLASS-08-SHIFT", "class 8", "shift_time by 0 s", "lls",
          [("C301C100080000010000FF0601100000", "0001000100200005c701c10000")], "success", client=32),
    _wrap("CLASS-08-TYPE", "class 8", "adjust_to_minute with an octet-string parameter", "lls",
          [("C301C100080000010000FF030109020000", "0001000100200005c701c10c00")], "type-unmatched (12)", client=32),
    _wrap("CLASS-15-MECH", "class 15", "association mechanism_name (LLS)", "lls",
          [("C001C1000F0000280000FF0600", "000100010020000dc401c100090760857405080201")], "the LLS mechanism OID 2.16.756.5.8.2.1", client=32),
    _wrap("CLASS-15-SECRET", "class 15", "association secret (attribute 7)", "lls",
          [("C001C1000F0000280000FF0700", "0001000100200005c401c10103")], "read-write-denied (never read)", client=32),
    _wrap("CLASS-15-CONTEXT", "class 15", "association application_context_name", "lls",
          [("C001C1000F0000280000FF0400", "000100010020000dc401c100090760857405080101")], "the LN context OID", client=32),
    _wrap("CLASS-41-IPREF", "class 41", "TCP-UDP setup IP_reference", "lls",
          [("C001C100290000190000FF0300", "000100010020000cc401c10009060000190100ff")], "0-0:25.1.0.255 (the IPv4 setup)", client=32),
    _wrap("CLASS-01-FIRMWARE", "class 1", "active firmware identifier 1-0:0.2.0.255", "lls",
          [("C001C100010100000200FF0200", "0001000100200015c401c100090f333531432d4c4547414c2d312e3030")], "octet-string", client=32),
    _wrap("CLASS-07-RANGE-RESTRICT", "class 7", "load profile range restricted by an object it does not capture", "lls",
          [("C001C100070100630100FF0201010204020412000309060100010800FF0F02120000" + "15" + "00" * 8
            + "15" + "FF" * 8 + "0100", "0001000100200005c401c101fa")],
          "other-reason (250)", client=32),
)
