"""Emits gen/mgmt_codec_cmd.cpp and gen/mgmt_codec_evt.cpp: straight-line,
bounds-checked decoders and encoders for every generated struct.

Decoders read every field through ByteReader (which never reads past its
span and fails sticky), then check once: truncated when the reader ran
out, trailing_bytes when octets are left over.  Count and length fields
are locals, never members: the encoder writes the size of the vector or
view, the decoder checks it against the buffer.
"""
from __future__ import annotations

from . import ir
from .emit_cpp import Msg, banner, camel, cpp_scalar, member, messages, record_type

_RD = {1: "u8", 2: "u16", 4: "u32", 8: "u64"}
_RDS = {1: "i8", 2: "i16"}
_MAX = {1: "0xFFu", 2: "0xFFFFu", 4: "0xFFFFFFFFu"}


def _local(f: ir.Field) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in f.name.lower())


def _read_scalar(f: ir.Field, dst: str, ind: str) -> list[str]:
    k = f.kind
    if k == "uint":
        return [f"{ind}r.{_RD[f.size]}({dst});"]
    if k == "sint":
        return [f"{ind}r.{_RDS[f.size]}({dst});"]
    if k == "address":
        return [f"{ind}r.array({dst}.b);"]
    if k == "address_type":
        return [f"{ind}{{ std::uint8_t t = 0; r.u8(t); {dst} = static_cast<bcms::AddressType>(t); }}"]
    if k == "bytes":
        return [f"{ind}r.array({dst});"]
    if k == "string":
        # The last octet is the terminator (the kernel reserves it: "always
        # nul-terminated"), so at most size-1 characters: what encode writes.
        return [f"{ind}{{ byte_span s; if (r.view({f.size}, s)) {dst} = std::string(nul_padded(s.first({f.size - 1}))); }}"]
    raise ValueError(k)


def _decode_fields(fields: list[ir.Field], obj: str, ind: str, fn: str) -> list[str]:
    o: list[str] = []
    byname = {f.name: f for f in fields}
    in_opt = False
    for f in fields:
        if f.optional and not in_opt:
            o.append(f"{ind}if (!r.empty()) {{  // optional trailing group: all or none")
            in_opt = True
        i2 = ind + "  " if in_opt else ind
        dst = f"{obj}{member(f)}"
        if f.kind in ("count", "length"):
            o.append(f"{i2}r.{_RD[f.size]}({_local(f)});")
        elif f.kind == "data":
            lf = byname[f.link]
            o.append(f"{i2}{{ byte_span s; if (!r.view({_local(lf)}, s)) return {fn}; {dst} = s; }}")
        elif f.kind == "tail":
            o.append(f"{i2}{dst} = r.rest();")
            if f.size:
                o.append(f"{i2}if ({dst}.size() < {f.size}) return {fn};")
        elif f.kind == "list":
            rt = record_type(f)
            single = rt != camel(f.name)
            rec_min = sum(x.wire_min() for x in f.record) or 1
            if f.link:
                cnt = _local(byname[f.link])
                o.append(f"{i2}if (!r.ok()) return {fn};")
                o.append(f"{i2}{dst}.reserve(std::min<std::size_t>({cnt}, r.remaining() / {rec_min}));")
                o.append(f"{i2}for (std::size_t i = 0; i < {cnt}; ++i) {{")
            else:
                o.append(f"{i2}while (r.ok() && !r.empty()) {{")
            o.append(f"{i2}  {rt} e{{}};")
            if single:
                o.extend(_read_scalar(f.record[0], "e", i2 + "  "))
            else:
                for x in f.record:
                    if x.kind in ("count", "length"):
                        o.append(f"{i2}  std::uint{8 * x.size}_t {_local(x)} = 0;")
                o.extend(_decode_fields(f.record, "e.", i2 + "  ", fn))
            o.append(f"{i2}  if (!r.ok()) return {fn};")
            o.append(f"{i2}  {dst}.push_back(std::move(e));")
            o.append(f"{i2}}}")
        else:
            if f.optional:
                t = cpp_scalar(f)
                o.append(f"{i2}{{ {t} x{{}};")
                o.extend(_read_scalar(f, "x", i2 + "  "))
                o.append(f"{i2}  {dst} = x; }}")
            else:
                o.extend(_read_scalar(f, dst, i2))
    if in_opt:
        o.append(f"{ind}}}")
    return o


def _decoder(m: Msg) -> list[str]:
    fn = "fail(codec_errc::truncated)"
    o = [f"expected<{m.cpp}> {m.cpp}::decode(byte_span in) {{"]
    fields = m.block.fields
    if not fields:
        o.append("  if (!in.empty()) return fail(codec_errc::trailing_bytes);")
        o.append(f"  return {m.cpp}{{}};")
        o.append("}")
        return o
    o.append("  ByteReader r(in);")
    o.append(f"  {m.cpp} v{{}};")
    for f in fields:
        if f.kind in ("count", "length"):
            o.append(f"  std::uint{8 * f.size}_t {_local(f)} = 0;")
    o.extend(_decode_fields(fields, "v.", "  ", fn))
    o.append(f"  if (!r.ok()) return {fn};")
    o.append("  if (!r.empty()) return fail(codec_errc::trailing_bytes);")
    o.append("  return v;")
    o.append("}")
    return o


def _write_scalar(f: ir.Field, src: str, ind: str) -> list[str]:
    k = f.kind
    if k == "uint":
        return [f"{ind}w.{_RD[f.size]}({src});"]
    if k == "sint":
        return [f"{ind}w.{_RDS[f.size]}({src});"]
    if k == "address":
        return [f"{ind}w.array({src}.b);"]
    if k == "address_type":
        return [f"{ind}w.u8(static_cast<std::uint8_t>({src}));"]
    if k == "bytes":
        return [f"{ind}w.array({src});"]
    if k == "string":
        return [f"{ind}w.padded_string({src}, {f.size});"]
    raise ValueError(k)


def _limits(fields: list[ir.Field], obj: str, ind: str) -> list[str]:
    """Checks that every list/data fits its count/length field."""
    o: list[str] = []
    byname = {f.name: f for f in fields}
    for f in fields:
        if f.kind in ("list", "data") and f.link:
            width = byname[f.link].size
            o.append(f"{ind}if ({obj}{member(f)}.size() > {_MAX[width]}) return make_error_code(codec_errc::too_long);")
        if f.kind == "list" and record_type(f) == camel(f.name) and any(x.kind == "data" for x in f.record):
            o.append(f"{ind}for (const auto& e : {obj}{member(f)}) {{")
            o.extend(_limits(f.record, "e.", ind + "  "))
            o.append(f"{ind}}}")
    return o


def _encode_fields(fields: list[ir.Field], obj: str, ind: str) -> list[str]:
    o: list[str] = []
    byname = {f.name: f for f in fields}
    for f in fields:
        src = f"{obj}{member(f)}"
        if f.kind in ("count", "length"):
            target = next(x for x in fields if x.name == f.link)
            o.append(f"{ind}w.{_RD[f.size]}(static_cast<std::uint{8 * f.size}_t>({obj}{member(target)}.size()));")
        elif f.kind in ("data", "tail"):
            o.append(f"{ind}w.raw({src});")
        elif f.kind == "list":
            single = record_type(f) != camel(f.name)
            o.append(f"{ind}for (const auto& e : {src}) {{")
            if single:
                o.extend(_write_scalar(f.record[0], "e", ind + "  "))
            else:
                o.extend(_encode_fields(f.record, "e.", ind + "  "))
            o.append(f"{ind}}}")
        elif f.optional:
            o.append(f"{ind}if ({src}) {{")
            o.extend(_write_scalar(f, f"(*{src})", ind + "  "))
            o.append(f"{ind}}}")
        else:
            o.extend(_write_scalar(f, src, ind))
    del byname
    return o


def _encoder(m: Msg) -> list[str]:
    fields = m.block.fields
    if not fields:
        return [f"std::error_code encode(const {m.cpp}& /*v*/, bytes& /*out*/) {{ return {{}}; }}"]
    o = [f"std::error_code encode(const {m.cpp}& v, bytes& out) {{"]
    o.extend(_limits(fields, "v.", "  "))
    o.append("  ByteWriter w(out);")
    o.extend(_encode_fields(fields, "v.", "  "))
    o.append("  return {};")
    o.append("}")
    return o


_HEAD = """
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "gen/mgmt_types.hpp"
#include "protocol/codec_error.hpp"

namespace bcms::mgmt {
"""


def emit(spec: ir.Spec, revision: str) -> dict[str, str]:
    msgs = messages(spec)
    out = {}
    for fname, kinds, what in (("mgmt_codec_cmd.cpp", ("command", "reply"), "commands and replies"),
                               ("mgmt_codec_evt.cpp", ("event",), "events")):
        o = [banner(spec, revision, f"Decoders and encoders of the mgmt {what}."), _HEAD]
        for m in msgs:
            if m.kind not in kinds:
                continue
            o.append(f"// {m.section} (0x{m.code:04X}), {m.kind}")
            o.extend(_decoder(m))
            o.append("")
            o.extend(_encoder(m))
            o.append("")
        o.append("}  // namespace bcms::mgmt")
        o.append("")
        out[fname] = "\n".join(o)
    return out
