"""Hand-written facts the prose cannot give mechanically.

Every entry carries ONE reason.  The wire layouts were cross-checked
against the kernel's include/net/bluetooth/mgmt.h (Linux 6.12) and BlueZ's
lib/mgmt.h; the kernel is what the daemon talks to, so where the prose and
the kernel disagree, the kernel wins (and the entry says so).

Overrides act on the RawBlock (the prose as parsed), before the shared
normalizer, so both front ends (txt and rst) get the same corrections.
"""
from __future__ import annotations

from . import ir

# Integer fields that are signed (two's complement).  The prose gives only
# sizes; the kernel declares these __s8 (mgmt_rp_get_conn_info,
# mgmt_ev_device_found, mgmt_cp_start_service_discovery,
# mgmt_cp_add_ext_adv_params / mgmt_rp_add_ext_adv_params,
# mgmt_adv_rssi_thresholds, mgmt_ev_adv_monitor_device_found,
# mgmt_ev_mesh_device_found): RSSI and TX power are dBm values.
SIGNED = {
    "RSSI", "TX_Power", "Max_TX_Power", "TxPower", "RSSI_Threshold",
    "High_Threshold", "Low_Threshold",
}


def _ad_types(params: ir.RawBlock, reply):
    """Set Mesh Receiver (0x0057): the prose writes "AD Types { }" with no
    element size; the kernel's mgmt_cp_set_mesh has `__u8 ad_types[]
    __counted_by(num_ad_types)`.  It has no "Return Parameters:" line; the
    kernel completes it with no parameters."""
    for f in params.fields:
        if f.name == "AD Types":
            f.size, f.count_field = 1, "Num AD Types"
    reply.fields, reply.present = [], True
    return params, reply


def _mesh_handles(params, reply: ir.RawBlock):
    """Read Mesh Features (0x0058): the prose writes "Handle { }"; the kernel
    (mgmt_rp_mesh_read_features, mesh_features()) sends one octet per
    handle in use, counted by Used Handles (length = 4 + used_handles)."""
    for f in reply.fields:
        if f.name == "Handle":
            f.size, f.count_field = 1, "Used Handles"
    return params, reply


def _no_reply(params, reply: ir.RawBlock):
    """Cancel Transmit Mesh Packet (0x005A): no "Return Parameters:" line;
    the kernel completes it with no parameters."""
    reply.fields, reply.present = [], True
    return params, reply


def _conn_param_order(params: ir.RawBlock, reply):
    """New Connection Parameter event (0x001C): the prose lists Store_Hint
    before the address, the kernel's mgmt_ev_new_conn_param (and BlueZ
    lib/mgmt.h) put the address first: addr (7), store_hint, then the
    four u16 values."""
    fs = params.fields
    names = [f.name for f in fs]
    if names[:3] == ["Store_Hint", "Address", "Address_Type"]:
        params.fields = [fs[1], fs[2], fs[0]] + fs[3:]
    return params, reply


RAW_OVERRIDES = {
    ("command", 0x0057): _ad_types,
    ("command", 0x0058): _mesh_handles,
    ("command", 0x005A): _no_reply,
    ("event", 0x001C): _conn_param_order,
}


def apply_raw(kind: str, code: int, params: ir.RawBlock, reply):
    fn = RAW_OVERRIDES.get((kind, code))
    if fn is None:
        return params, reply
    return fn(params, reply)


# The short names btmgmt prints for the settings bits (BlueZ
# tools/btmgmt.c settings_str[]): the spec has only prose descriptions,
# and users know these words.  Index = bit number.
SETTINGS_SHORT_NAMES = [
    "powered", "connectable", "fast-connectable", "discoverable", "bondable",
    "link-security", "ssp", "br/edr", "hs", "le", "advertising",
    "secure-conn", "debug-keys", "privacy", "configuration", "static-addr",
    "phy-configuration", "wide-band-speech", "cis-central", "cis-peripheral",
    "iso-broadcaster", "sync-receiver", "ll-privacy",
]


# The words bcms-mgmt prints for the advertising flags bits (Add Advertising
# / Add Extended Advertising Parameters "Flags", Read Advertising Features
# "Supported_Flags"); the spec has only prose descriptions.  Key = bit.
ADV_FLAG_SHORT_NAMES = {
    # bits 0-9: btmgmt's words (BlueZ tools/btmgmt.c adv_flags_str[]), so
    # `advinfo` names what `btmgmt advinfo` names.
    0: "connectable", 1: "general-discoverable", 2: "limited-discoverable",
    3: "managed-flags", 4: "tx-power", 5: "scan-rsp-appearance",
    6: "scan-rsp-local-name", 7: "Secondary-channel-1M",
    8: "Secondary-channel-2M", 9: "Secondary-channel-CODED",
    # bits 10-16: btmgmt has no words; the kernel's macro names
    # (include/net/bluetooth/mgmt.h MGMT_ADV_FLAG_CAN_SET_TX_POWER,
    # MGMT_ADV_FLAG_HW_OFFLOAD, MGMT_ADV_PARAM_DURATION, _TIMEOUT,
    # _INTERVALS, _TX_POWER, _SCAN_RSP), lower-case with '-'.
    10: "can-set-tx-power", 11: "hw-offload", 12: "duration", 13: "timeout",
    14: "interval", 15: "tx-power-level", 16: "scan-rsp-data",
}
