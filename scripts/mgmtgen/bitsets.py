"""Bit sets the spec describes in prose tables ("... a bitmask with
currently the following available bits"), as named constants: one C++
namespace of masks each in gen/mgmt_codes.hpp, and their words (what the
CLI prints) in gen/mgmt_names.cpp.

Each set comes from the value tables of the IR (parse_txt / parse_rst
attach them to their parameters); the words come from
overrides.py where users know other words than the spec's descriptions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import ir
from .overrides import ADV_FLAG_SHORT_NAMES, SETTINGS_SHORT_NAMES


@dataclass
class Bit:
    bit: int
    ident: str          # C++ name of the mask
    word: str           # the word the CLI prints
    desc: str           # the spec's description


@dataclass
class BitSet:
    ns: str             # C++ namespace in bcms::mgmt
    doc: str            # where the spec defines the bits
    words: str          # C++ name of the word table in mgmt_names (or "")
    bits: list[Bit]


def ident(word: str) -> str:
    """'fast-connectable' -> fast_connectable, 'br/edr' -> br_edr,
    'BR 1M 1-Slot' -> br_1m_1_slot."""
    return re.sub(r"[^a-z0-9]+", "_", word.lower()).strip("_")


def short(desc: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", desc.lower()).strip("-")


def _table(spec: ir.Spec, code: int, param: str) -> list[tuple[int, str]]:
    """The entries of the bit table of (command, param); [] when the spec
    lacks the command (a small test document)."""
    cmd = next((c for c in spec.commands if c.code == code), None)
    if cmd is None:
        return []
    t = next((t for t in cmd.tables if t.param == param), None)
    if t is None or not t.bits:
        raise ValueError(f"command 0x{code:04X}: no bit table for {param}")
    return t.entries


def _union(*tables: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The bits of tables that describe one parameter in several commands;
    a bit they describe differently is an error."""
    out: dict[int, str] = {}
    for t in tables:
        for v, d in t:
            if out.setdefault(v, d) != d:
                raise ValueError(f"bit {v}: {out[v]!r} vs {d!r}")
    return sorted(out.items())


def bit_sets(spec: ir.Spec) -> list[BitSet]:
    """The bit sets the spec has (all four in mgmt-api.txt)."""
    settings = _table(spec, 0x0004, "Current_Settings")
    adv = _union(_table(spec, 0x003E, "Flags"), _table(spec, 0x0054, "Flags"))
    phys = _table(spec, 0x0044, "Supported_PHYs")
    disc = _table(spec, 0x0023, "Address_Type")

    def word_of(names, b, d):
        if isinstance(names, dict):
            return names.get(b, short(d))
        return names[b] if b < len(names) else short(d)

    sets = [
        BitSet("setting", 'Current_Settings / Supported_Settings ("Read Controller Information Command")',
               "kSettingWords",
               [Bit(b, ident(w), w, d) for b, d in settings for w in [word_of(SETTINGS_SHORT_NAMES, b, d)]]),
        BitSet("adv_flag", 'Flags ("Add Advertising Command", "Add Extended Advertising Parameters Command")',
               "kAdvFlagWords",
               [Bit(b, ident(w), w, d) for b, d in adv for w in [word_of(ADV_FLAG_SHORT_NAMES, b, d)]]),
        # btmgmt's PHY words are the descriptions without blanks and '-',
        # upper-case ("BR 1M 1-Slot" -> BR1M1SLOT).
        BitSet("phy", 'Supported_PHYs / Configurable_PHYs / Selected_PHYs ("Get PHY Configuration Command")',
               "kPhyWords",
               [Bit(b, ident(d), re.sub(r"[^A-Za-z0-9]", "", d).upper(), d) for b, d in phys]),
        BitSet("discovery_type", 'Address_Type of "Start Discovery Command" (a bitmask, unlike an address\'s type)',
               "", [Bit(b, ident(d), d, d) for b, d in disc]),
    ]
    return [s for s in sets if s.bits]


def emit_masks(sets: list[BitSet]) -> list[str]:
    o = []
    for s in sets:
        o.append(f"/// {s.doc}: masks (1u << bit).")
        o.append(f"namespace {s.ns} {{")
        width = max(len(b.ident) for b in s.bits)
        for b in s.bits:
            mask = f"1u << {b.bit};".ljust(9)
            o.append(f"inline constexpr std::uint32_t {b.ident.ljust(width)} = {mask}  // {b.desc}")
        o.append(f"}}  // namespace {s.ns}")
        o.append("")
    return o
