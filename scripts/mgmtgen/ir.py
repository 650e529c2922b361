"""Intermediate representation of the mgmt protocol, and the normalizer
that both front ends (parse_txt, parse_rst) share.

A front end produces, per command/event parameter block, a flat list of
RawField (what the prose says, in wire order, with repeat-group markers).
normalize() turns that into typed Fields: it recognises address + type
pairs, NUL-padded names, fixed byte arrays, variable data with its length
field, and lists with their count field.  Because both front ends go
through the same normalizer, they yield the same IR for the same facts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

# ----------------------------------------------------------------- raw input


@dataclass
class RawField:
    """One parameter line as written in the spec.

    size: fixed octets (int), or None when the spec gives no size.
    lo/hi: for variable sizes ("0-255 Octets" -> 0/255, "variable" ->
    0/None, "1-variable" -> 1/None).  group: repeat-group id (fields of one
    list record share it) or None.
    """
    name: str
    size: Optional[int] = None
    variable: bool = False
    lo: int = 0
    hi: Optional[int] = None
    optional: bool = False
    group: Optional[int] = None
    count_field: Optional[str] = None   # override: the list's count field


@dataclass
class RawBlock:
    fields: list[RawField] = field(default_factory=list)
    present: bool = True   # False: the spec has no "... Parameters:" line


_SIZE_RE = re.compile(
    r"^\(\s*(?:(?P<n>\d+)|(?P<lo>\d+)\s*-\s*(?P<hi>\d+|variable)|(?P<var>variable))"
    r"(?:\[\])?\s*(?:octets?)?\s*(?P<opt>,\s*optional)?\s*\)$",
    re.IGNORECASE)


def parse_size(text: str) -> Optional[dict]:
    """'(1 Octets)', '(1 octet)', '(0-255 Octets)', '(1-variable Octets)',
    '(16 Octets, Optional)', '(variable)', '(0-255[] Octets)'."""
    m = _SIZE_RE.match(text.strip())
    if not m:
        return None
    opt = bool(m.group("opt"))
    if m.group("n"):
        return {"size": int(m.group("n")), "variable": False, "lo": 0, "hi": None, "optional": opt}
    if m.group("var"):
        return {"size": None, "variable": True, "lo": 0, "hi": None, "optional": opt}
    hi = m.group("hi")
    return {"size": None, "variable": True, "lo": int(m.group("lo")),
            "hi": None if hi.lower() == "variable" else int(hi), "optional": opt}


# ----------------------------------------------------------------- typed IR

# Field kinds:
#   uint / sint   little-endian integer of `size` octets (1, 2, 4, 8)
#   address       BD_ADDR, 6 octets, wire order
#   address_type  the 1-octet type that follows an address (a pair)
#   bytes         fixed octet array of `size` octets
#   string        NUL-padded string in a fixed field of `size` octets
#   data          variable octets; `link` names its length field
#   tail          variable octets up to the end of the block (min `size`)
#   count         integer of `size` octets: number of entries of list `link`
#   length        integer of `size` octets: octets of data field `link`
#   list          repeated records (`record`); `link` names the count field,
#                 None when entries run to the end of the block
KINDS = ("uint", "sint", "address", "address_type", "bytes", "string", "data",
         "tail", "count", "length", "list")


@dataclass
class Field:
    name: str
    kind: str
    size: int = 0
    optional: bool = False
    link: Optional[str] = None
    record: list["Field"] = field(default_factory=list)

    def wire_min(self) -> int:
        if self.kind in ("data", "list"):
            return 0
        if self.optional:
            return 0
        return self.size

    def fixed(self) -> bool:
        return self.kind not in ("data", "tail", "list") and not self.optional


@dataclass
class Block:
    fields: list[Field] = field(default_factory=list)
    present: bool = True

    def min_size(self) -> int:
        return sum(f.wire_min() for f in self.fields)

    def variable(self) -> bool:
        return any(not f.fixed() for f in self.fields)


@dataclass
class ValueTable:
    param: str                  # the parameter the table describes
    bits: bool                  # True: bit numbers; False: values
    entries: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Command:
    code: int
    name: str                   # heading without " Command"
    index: str                  # controller | non_controller | both
    params: Block = field(default_factory=Block)
    reply: Block = field(default_factory=Block)
    tables: list[ValueTable] = field(default_factory=list)


@dataclass
class Event:
    code: int
    name: str                   # heading without " Event"
    index: str
    params: Block = field(default_factory=Block)
    tables: list[ValueTable] = field(default_factory=list)


@dataclass
class Spec:
    source: str                 # "mgmt-api.txt" or "mgmt-protocol.rst"
    commands: list[Command] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    statuses: list[tuple[int, str]] = field(default_factory=list)


def parse_index(text: str) -> str:
    t = text.lower().replace("_", " ")
    has_ctrl = "<controller id>" in t
    has_non = "<non-controller>" in t
    if has_ctrl and has_non:
        return "both"
    if has_non:
        return "non_controller"
    if has_ctrl:
        return "controller"
    raise ValueError(f"unknown controller index form: {text!r}")


# ----------------------------------------------------------------- normalize

_COUNT_RE = re.compile(r"(^num[ _]|_count$| count$)", re.IGNORECASE)


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]


def singular(name: str) -> str:
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def list_name_from_count(count: str) -> str:
    n = re.sub(r"^Num[ _](Of[ _])?", "", count, flags=re.IGNORECASE)
    n = re.sub(r"[ _]Count$", "", n, flags=re.IGNORECASE)
    return singular(n)


def _address_pair_type(addr: str, nxt: RawField) -> bool:
    return nxt.size == 1 and nxt.name.replace(" ", "_").lower() == addr.replace(" ", "_").lower() + "_type"


def _scalar(raw: RawField, signed: set[str]) -> Field:
    if raw.variable:
        return Field(raw.name, "data", raw.lo, raw.optional)
    if raw.size is None:
        return Field(raw.name, "tail", 0, raw.optional)
    n = raw.size
    if n == 6 and re.search(r"(^|_| )addr(ess)?$", raw.name, re.IGNORECASE):
        return Field(raw.name, "address", 6, raw.optional)
    if n in (1, 2, 4, 8):
        return Field(raw.name, "sint" if raw.name in signed else "uint", n, raw.optional)
    if n > 8 and re.search(r"name$", raw.name, re.IGNORECASE):
        return Field(raw.name, "string", n, raw.optional)
    return Field(raw.name, "bytes", n, raw.optional)


def _type_scalars(raws: list[RawField], signed: set[str]) -> list[Field]:
    out: list[Field] = []
    for i, r in enumerate(raws):
        f = _scalar(r, signed)
        if (f.kind == "uint" and f.size == 1 and out and out[-1].kind == "address"
                and _address_pair_type(out[-1].name, r)):
            f.kind = "address_type"
        out.append(f)
    return out


def _link_lengths(fields: list[Field], where: str) -> None:
    for i, f in enumerate(fields):
        if f.kind != "data":
            continue
        cands = {f.name + s for s in ("_Length", "_Len", " Length")}
        for g in fields[:i]:
            if g.kind == "uint" and g.name in cands:
                g.kind, g.link, f.link = "length", f.name, g.name
                break
        else:
            if i != len(fields) - 1:
                raise ValueError(f"{where}: variable field {f.name!r} has no length field")
            f.kind = "tail"


def _link_count(fields: list[Field], lst: Field, where: str, forced: Optional[str]) -> None:
    stem = _words(lst.record[0].name)[0].lower() if lst.record else ""
    cands = [g for g in fields if g.kind == "uint" and g.link is None and _COUNT_RE.search(g.name)]
    if forced:
        cands = [g for g in fields if g.kind == "uint" and g.name == forced]
        if not cands:
            raise ValueError(f"{where}: count field {forced!r} not found")
    pick = None
    for g in cands:
        if stem and stem in g.name.lower():
            pick = g
    if pick is None and cands:
        pick = cands[-1]
    if pick is None:
        return
    pick.kind, pick.link, lst.link = "count", None, pick.name
    if _COUNT_RE.search(pick.name):
        lst.name = list_name_from_count(pick.name)
    else:
        lst.name = singular(lst.record[0].name)
    pick.link = lst.name


def normalize(raw: RawBlock, where: str, signed: set[str]) -> Block:
    """RawBlock -> Block (see module docstring)."""
    out: list[Field] = []
    i = 0
    rf = raw.fields
    while i < len(rf):
        r = rf[i]
        if r.group is None:
            out.extend(_type_scalars([r], signed))
            # address + type pair across the boundary of one-field batches
            if (len(out) >= 2 and out[-1].kind == "uint" and out[-1].size == 1
                    and out[-2].kind == "address" and _address_pair_type(out[-2].name, r)):
                out[-1].kind = "address_type"
            i += 1
            continue
        j = i
        while j < len(rf) and rf[j].group == r.group:
            j += 1
        record = _type_scalars(rf[i:j], signed)
        _link_lengths(record, where)
        lst = Field("", "list", 0, record=record)
        # Count fields precede the list; only those before this point qualify.
        _link_count(out, lst, where, r.count_field)
        if not lst.name:
            ws = _words(record[0].name)
            lst.name = "_".join(ws[:-1]) if len(ws) > 1 else ws[0]
        out.append(lst)
        i = j
    _link_lengths(out, where)
    for k, f in enumerate(out):
        if f.kind == "list" and f.link is None and k != len(out) - 1:
            raise ValueError(f"{where}: list {f.name!r} without count is not last")
        if f.kind == "tail" and k != len(out) - 1:
            raise ValueError(f"{where}: field {f.name!r} has no size")
    return Block(out, raw.present)
