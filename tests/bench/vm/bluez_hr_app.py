#!/usr/bin/python3
"""bluez_hr_app.py: the BlueZ side of scripts/bench-vm's peripheral
comparison -- the heart-rate peripheral that bcms-example-heart-rate is,
served by bluetoothd from a D-Bus GATT application written with
python3-dbus, the way BlueZ documents it (doc/gatt-api.txt: GattManager1,
GattService1, GattCharacteristic1, ObjectManager; doc/advertising-api.txt:
LEAdvertisingManager1, LEAdvertisement1; the shape of BlueZ's
test/example-gatt-server and of bluez-peripheral, seed 001).

Serves Heart Rate Service 0x180D (HRS 1.0) as the example does:
  0x2A37 Heart Rate Measurement  notify (+ read); a new value every
         --interval-ms (flags 0x00, uint8 rate), notified while subscribed
  0x2A38 Body Sensor Location    read (0x01, chest)
  0x2A39 Heart Rate Control Point write: 0x01 accepted (resets Energy
         Expended), anything else refused with ATT error 0x80 (HRS 3.3.1)
and advertises (connectable, name --name, 0x180D).  Prints "READY" once
bluetoothd accepted the application and the advertisement.

  bluez_hr_app.py [--adapter hci0] [--name bluez-HR] [--interval-ms 20]
"""
import argparse
import sys

import dbus
import dbus.exceptions
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

BLUEZ = "org.bluez"
OM = "org.freedesktop.DBus.ObjectManager"
PROPS = "org.freedesktop.DBus.Properties"
GATT_MANAGER = "org.bluez.GattManager1"
ADV_MANAGER = "org.bluez.LEAdvertisingManager1"
SERVICE_IFACE = "org.bluez.GattService1"
CHRC_IFACE = "org.bluez.GattCharacteristic1"
ADV_IFACE = "org.bluez.LEAdvertisement1"


def uuid16(u):
    return f"0000{u:04x}-0000-1000-8000-00805f9b34fb"


class Failed(dbus.exceptions.DBusException):
    _dbus_error_name = "org.bluez.Error.Failed"


class Application(dbus.service.Object):
    def __init__(self, bus):
        self.path = "/"
        self.services = []
        super().__init__(bus, self.path)

    @dbus.service.method(OM, out_signature="a{oa{sa{sv}}}")
    def GetManagedObjects(self):
        out = {}
        for s in self.services:
            out[s.get_path()] = s.get_properties()
            for c in s.characteristics:
                out[c.get_path()] = c.get_properties()
        return out


class Service(dbus.service.Object):
    def __init__(self, bus, index, uuid):
        self.path = f"/org/bcms/bench/service{index}"
        self.uuid = uuid
        self.characteristics = []
        super().__init__(bus, self.path)

    def get_path(self):
        return dbus.ObjectPath(self.path)

    def get_properties(self):
        return {SERVICE_IFACE: {"UUID": self.uuid, "Primary": True,
                                "Characteristics": dbus.Array([c.get_path() for c in self.characteristics],
                                                              signature="o")}}


class Characteristic(dbus.service.Object):
    def __init__(self, bus, service, index, uuid, flags, value=b""):
        self.path = f"{service.path}/char{index}"
        self.service = service
        self.uuid = uuid
        self.flags = flags
        self.value = bytes(value)
        self.notifying = False
        super().__init__(bus, self.path)
        service.characteristics.append(self)

    def get_path(self):
        return dbus.ObjectPath(self.path)

    def get_properties(self):
        return {CHRC_IFACE: {"Service": self.service.get_path(), "UUID": self.uuid,
                             "Flags": dbus.Array(self.flags, signature="s")}}

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return self.get_properties()[CHRC_IFACE]

    @dbus.service.method(CHRC_IFACE, in_signature="a{sv}", out_signature="ay")
    def ReadValue(self, options):
        return dbus.Array(self.value, signature="y")

    @dbus.service.method(CHRC_IFACE, in_signature="aya{sv}")
    def WriteValue(self, value, options):
        raise Failed("write not permitted")

    @dbus.service.method(CHRC_IFACE)
    def StartNotify(self):
        self.notifying = True

    @dbus.service.method(CHRC_IFACE)
    def StopNotify(self):
        self.notifying = False

    @dbus.service.signal(PROPS, signature="sa{sv}as")
    def PropertiesChanged(self, interface, changed, invalidated):
        pass

    def set_value(self, value):
        self.value = bytes(value)
        if self.notifying:
            self.PropertiesChanged(CHRC_IFACE, {"Value": dbus.Array(self.value, signature="y")}, [])


class ControlPoint(Characteristic):
    def __init__(self, bus, service, index, on_reset):
        super().__init__(bus, service, index, uuid16(0x2A39), ["write"])
        self.on_reset = on_reset

    @dbus.service.method(CHRC_IFACE, in_signature="aya{sv}")
    def WriteValue(self, value, options):
        if bytes(value) != b"\x01":
            # bluetoothd answers org.bluez.Error.Failed with ATT error 0x80
            # (src/gatt-database.c dbus_error_to_att_ecode), HRS 3.3.1's
            raise Failed("Control Point value not supported")
        self.on_reset()


class Advertisement(dbus.service.Object):
    def __init__(self, bus, name):
        self.path = "/org/bcms/bench/adv0"
        self.name = name
        super().__init__(bus, self.path)

    def get_path(self):
        return dbus.ObjectPath(self.path)

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return {"Type": "peripheral", "ServiceUUIDs": dbus.Array([uuid16(0x180D)], signature="s"),
                "LocalName": self.name, "Appearance": dbus.UInt16(0x0340), "Discoverable": True}

    @dbus.service.method(ADV_IFACE)
    def Release(self):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--adapter", default="hci0")
    ap.add_argument("--name", default="bluez-HR")
    ap.add_argument("--interval-ms", type=int, default=1000)
    a = ap.parse_args()

    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    adapter = bus.get_object(BLUEZ, f"/org/bluez/{a.adapter}")
    dbus.Interface(adapter, PROPS).Set("org.bluez.Adapter1", "Powered", dbus.Boolean(True))
    app = Application(bus)
    hrs = Service(bus, 0, uuid16(0x180D))
    app.services.append(hrs)
    measurement = Characteristic(bus, hrs, 0, uuid16(0x2A37), ["notify", "read"], b"\x00\x46")
    Characteristic(bus, hrs, 1, uuid16(0x2A38), ["read"], b"\x01")
    energy = {"expended": 0}
    ControlPoint(bus, hrs, 2, lambda: energy.update(expended=0))
    adv = Advertisement(bus, a.name)

    loop = GLib.MainLoop()
    pending = {"n": 2}

    def ok(what):
        def cb(*_):
            pending["n"] -= 1
            if pending["n"] == 0:
                print("READY", flush=True)
        return cb

    def err(what):
        def cb(e):
            print(f"{what} failed: {e}", flush=True)
            loop.quit()
        return cb

    dbus.Interface(adapter, GATT_MANAGER).RegisterApplication(
        app.path, {}, reply_handler=ok("app"), error_handler=err("RegisterApplication"))
    dbus.Interface(adapter, ADV_MANAGER).RegisterAdvertisement(
        adv.get_path(), {}, reply_handler=ok("adv"), error_handler=err("RegisterAdvertisement"))

    state = {"bpm": 60}

    def tick():
        state["bpm"] = 60 + (state["bpm"] - 59) % 60
        measurement.set_value(bytes([0x00, state["bpm"]]))
        return True

    GLib.timeout_add(a.interval_ms, tick)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
