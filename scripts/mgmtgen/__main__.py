"""CLI:  python3 -m mgmtgen (--txt FILE | --rst FILE) --out DIR [--revision TEXT]
              python3 -m mgmtgen --txt FILE --dump-ir      (IR as JSON, stdout)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from . import emit_cpp, parse_rst, parse_txt

DEFAULT_REVISION = "BlueZ 5.82, commit cf8b2f308e31"


def load(args) -> "object":
    if args.txt:
        with open(args.txt, encoding="utf-8") as fh:
            return parse_txt.parse(fh.read())
    with open(args.rst, encoding="utf-8") as fh:
        return parse_rst.parse(fh.read())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="mgmtgen", description=__doc__)
    src = ap.add_argument_group("input").add_mutually_exclusive_group(required=True)
    src.add_argument("--txt", help="BlueZ doc/mgmt-api.txt")
    src.add_argument("--rst", help="BlueZ doc/mgmt-protocol.rst")
    ap.add_argument("--out", help="output directory (gen/)")
    ap.add_argument("--revision", default=DEFAULT_REVISION, help="spec revision for the file headers")
    ap.add_argument("--dump-ir", action="store_true", help="print the IR as JSON and exit")
    args = ap.parse_args(argv)
    spec = load(args)
    if args.dump_ir:
        json.dump(dataclasses.asdict(spec), sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    if not args.out:
        ap.error("--out is required unless --dump-ir")
    files = emit_cpp.write_all(spec, args.revision, args.out)
    print(f"mgmtgen: {len(spec.commands)} commands, {len(spec.events)} events -> "
          f"{', '.join(files)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
