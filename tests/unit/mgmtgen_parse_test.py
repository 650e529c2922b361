#!/usr/bin/env python3
"""Unit tests of the mgmt generator's front ends and normalizer on small
hand-written documents (invented messages in the two layouts), so they run
without the reference folder.

Usage: mgmtgen_parse_test.py <source_root>
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.abspath(sys.argv.pop(1)), "scripts"))

from mgmtgen import emit_cpp, ir, parse_rst, parse_txt  # noqa: E402

TXT = """Error Codes
===========

0x00\tSuccess
0x0A\tBusy


Frob Widget Command
===================

\tCommand Code:\t\t0x0001
\tController Index:\t<controller id> or <non-controller>
\tCommand Parameters:\tAddress (6 Octets)
\t\t\t\tAddress_Type (1 octet)
\t\t\t\tGain (1 Octets)
\t\t\t\tBlob_Len (1 Octets)
\t\t\t\tBlob (0-255 Octets)

\tReturn Parameters:\tItem_Count (2 Octets)
\t\t\t\tItem1 {
\t\t\t\t\tKind (1 Octet)
\t\t\t\t\tKey (16 Octets)
\t\t\t\t}
\t\t\t\tItem2 { }
\t\t\t\t...

\tSome prose about Gain.

\tPossible values for the Gain parameter:

\t\t0\tLow
\t\t1\tHigh


Read Things Command
===================

\tCommand Code:\t\t0x0002
\tController Index:\t<non-controller>
\tCommand Parameters:
\tReturn Parameters:\tNum_Things (2 Octets)
\t\t\t\tThing_Id[i] (2 Octets)
\t\t\t\tThing_Bus[i] (1 Octet)
\t\t\t\tHash (16 Octets, Optional)


Quiet Command
=============

\tCommand Code:\t\t0x0003
\tController Index:\t<controller id>
\tCommand Parameters:\tHandle (1 Octets)

\tThis command has no return parameters line.


Widget Frobbed Event
====================

\tEvent code:\t\t0x0001
\tController Index:\t<controller_id>
\tEvent Parameters:\tStore_Hint (1 Octet)
\t\t\t\tKey {
\t\t\t\t\tAddress (6 Octets)
\t\t\t\t\tAddress_Type (1 Octet)
\t\t\t\t}
\t\t\t\tRSSI (1 Octet)
\t\t\t\tData_Length (2 Octets)
\t\t\t\tData (variable)
\t\t\t\tCode1 (2 Octets)
\t\t\t\tCode2 (2 Octets)
\t\t\t\t...
"""

RST = """Error Codes
===========

.. csv-table::
    :header: "Value", "Description"

    0x00, Success
    0x0A, Busy

Commands
--------

Frob Widget (since 1.1)
```````````````````````

:Command Code:\t\t0x0001
:Controller Index:\t<controller id> or <non-controller>
:Command Parameters:\tAddress (6 Octets)
:...:\t\t\tAddress_Type (1 octet)
:...:\t\t\tGain (1 Octets)
:...:\t\t\tBlob_Len (1 Octets)
:...:\t\t\tBlob (0-255 Octets)
:Return Parameters:\tItem_Count (2 Octets)
:...:\t\t\tKind[] (1 Octet)
:...:\t\t\tKey[] (16 Octets)
:...:\t\t\t...[]

Possible values for the Gain parameter:

.. csv-table::
    :header: "Value", "Description"

    0, Low
    1, High

Read Things
```````````

:Command Code:\t\t0x0002
:Controller Index:\t<non-controller>
:Command Parameters:
:Return Parameters:\tNum_Things (2 Octets)
:...:\t\t\tThing_Id[i] (2 Octets)
:...:\t\t\tThing_Bus[i] (1 Octet)
:...:\t\t\tHash (16 Octets, Optional)

Quiet
`````

:Command Code:\t\t0x0003
:Controller Index:\t<controller id>
:Command Parameters:\tHandle (1 Octets)

Widget Frobbed
``````````````

:Event Code:\t\t0x0001
:Controller Index:\t<controller_id>
:Event Parameters:\tStore_Hint (1 Octet)
:...:\t\t\tAddress (6 Octets)
:...:\t\t\tAddress_Type (1 Octet)
:...:\t\t\tRSSI (1 Octet)
:...:\t\t\tData_Length (2 Octets)
:...:\t\t\tData[] (variable)
:...:\t\t\tCode[] (2 Octets)
:...:\t\t\t...[]
"""


class Sizes(unittest.TestCase):
    def test_units(self):
        self.assertEqual(ir.parse_size("(1 Octets)")["size"], 1)
        self.assertEqual(ir.parse_size("(1 octet)")["size"], 1)
        self.assertEqual(ir.parse_size("(4 Octet)")["size"], 4)
        v = ir.parse_size("(0-65535 Octets)")
        self.assertTrue(v["variable"])
        self.assertEqual((v["lo"], v["hi"]), (0, 65535))
        v = ir.parse_size("(1-variable Octets)")
        self.assertEqual((v["lo"], v["hi"]), (1, None))
        self.assertTrue(ir.parse_size("(16 Octets, Optional)")["optional"])
        self.assertTrue(ir.parse_size("(variable)")["variable"])
        self.assertEqual(ir.parse_size("(0-255[] Octets)")["hi"], 255)
        self.assertIsNone(ir.parse_size("(lots)"))


class Tables(unittest.TestCase):
    def test_named_parameter(self):
        t = parse_txt.make_table("Possible values for the Gain parameter:", [(0, "Low")], ["Gain", "Gain_Max"])
        self.assertEqual(t, [ir.ValueTable("Gain", False, [(0, "Low")])])

    def test_family_of_parameters(self):
        # "The PHYs parameters are a bitmask ..." (Get PHY Configuration)
        names = ["Supported_PHYs", "Configurable_PHYs", "Selected_PHYs", "Other"]
        t = parse_txt.make_table("The PHYs parameters are a bitmask with currently the following available bits:",
                                 [(0, "BR 1M 1-Slot"), (9, "LE 1M TX")], names)
        self.assertEqual([x.param for x in t], names[:3])
        self.assertTrue(all(x.bits and x.entries == [(0, "BR 1M 1-Slot"), (9, "LE 1M TX")] for x in t))

    def test_no_parameter_no_family(self):
        self.assertEqual(parse_txt.make_table("The PHYs are:", [(0, "x")], ["Supported_PHYs", "Selected_PHYs"]), [])
        self.assertEqual(parse_txt.make_table("The PHYs parameters:", [(0, "x")], ["Supported_PHYs"]), [])


class Txt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.spec = parse_txt.parse(TXT)

    def test_counts_and_statuses(self):
        self.assertEqual(len(self.spec.commands), 3)
        self.assertEqual(len(self.spec.events), 1)
        self.assertEqual(self.spec.statuses, [(0, "Success"), (10, "Busy")])

    def test_command(self):
        c = self.spec.commands[0]
        self.assertEqual((c.code, c.name, c.index), (1, "Frob Widget", "both"))
        kinds = [(f.name, f.kind, f.size, f.link) for f in c.params.fields]
        self.assertEqual(kinds, [("Address", "address", 6, None), ("Address_Type", "address_type", 1, None),
                                 ("Gain", "uint", 1, None), ("Blob_Len", "length", 1, "Blob"),
                                 ("Blob", "data", 0, "Blob_Len")])
        self.assertEqual((c.params.min_size(), c.params.variable()), (9, True))
        lst = c.reply.fields[1]
        self.assertEqual((lst.kind, lst.name, lst.link), ("list", "Item", "Item_Count"))
        self.assertEqual([f.name for f in lst.record], ["Kind", "Key"])
        self.assertEqual(c.tables, [ir.ValueTable("Gain", False, [(0, "Low"), (1, "High")])])

    def test_parallel_index_arrays_and_optional(self):
        c = self.spec.commands[1]
        self.assertEqual(c.index, "non_controller")
        f = c.reply.fields
        self.assertEqual((f[0].kind, f[0].link), ("count", "Thing"))
        self.assertEqual([x.name for x in f[1].record], ["Thing_Id", "Thing_Bus"])
        self.assertTrue(f[2].optional)
        self.assertEqual(c.reply.min_size(), 2)

    def test_missing_return_line(self):
        c = self.spec.commands[2]
        self.assertFalse(c.reply.present)
        self.assertEqual(c.reply.fields, [])

    def test_event(self):
        e = self.spec.events[0]
        self.assertEqual((e.code, e.index), (1, "controller"))
        names = [(f.name, f.kind) for f in e.params.fields]
        self.assertEqual(names, [("Store_Hint", "uint"), ("Address", "address"), ("Address_Type", "address_type"),
                                 ("RSSI", "sint"), ("Data_Length", "length"), ("Data", "data"), ("Code", "list")])
        self.assertIsNone(e.params.fields[-1].link)  # no count: up to the end


class Rst(unittest.TestCase):
    def test_same_ir_as_txt(self):
        t, r = parse_txt.parse(TXT), parse_rst.parse(RST)
        self.assertEqual(t.statuses, r.statuses)
        for a, b in zip(t.commands, r.commands):
            self.assertEqual((a.code, a.name, a.index, a.params, a.reply.fields), (b.code, b.name, b.index, b.params, b.reply.fields))
            self.assertEqual(a.tables, b.tables)
        self.assertEqual(t.events, r.events)


class Names(unittest.TestCase):
    def test_cpp_names(self):
        self.assertEqual(emit_cpp.camel("Set BR/EDR"), "SetBrEdr")
        self.assertEqual(emit_cpp.camel("Send HCI command and wait for event"), "SendHciCommandAndWaitForEvent")
        self.assertEqual(emit_cpp.snake("Enc. Diversifier"), "enc_diversifier")
        self.assertEqual(emit_cpp.snake("MinInterval"), "min_interval")
        self.assertEqual(emit_cpp.snake("Num AD Types"), "num_ad_types")
        self.assertEqual(emit_cpp.plural("AD Type"), "ad_types")

    def test_deterministic_output(self):
        spec = parse_txt.parse(TXT)
        from mgmtgen import emit_codec, emit_types
        self.assertEqual(emit_types.emit(spec, "r"), emit_types.emit(parse_txt.parse(TXT), "r"))
        out = emit_codec.emit(spec, "r")
        self.assertIn("DO NOT EDIT", out["mgmt_codec_cmd.cpp"])


if __name__ == "__main__":
    unittest.main(verbosity=1)
