# shellcheck shell=sh
# /etc/bcms-stack-lib.sh (scripts/vm-lib/stack-vm.sh): the BlueZ stack in
# the VM (scripts/vm --with-bluez-stack), for scenarios that compare bcms
# with bluetoothd + D-Bus (busybox sh; source after /etc/bcms-vm-lib.sh).
#
#   stack_dbus_start            system bus (dbus-daemon --system), once
#   stack_bluetoothd_start [ARGS]
#                               bluetoothd -n ARGS; returns once every
#                               controller is an org.bluez adapter on the bus
#   stack_bluetoothd_stop       SIGTERM, wait for exit (bluetoothd powers its
#                               adapters off on the way out)
#   stack_reset INDEX...        power-cycle controllers with btmgmt after the
#                               other side let go of them (state back to off)
#   stack_remove_device INDEX ADDR
#                               forget a device in bluetoothd (and its GATT
#                               cache), so that every run starts cold
#   stack_eatt on|off           /etc/bluetooth/main.conf [GATT] Channels
#                               (3 = BlueZ 5.66 default, EATT on; 1 = off); takes effect at
#                               the next stack_bluetoothd_start
#
# bluetoothd takes every controller; bcms never runs on a controller while
# bluetoothd is up unless bluetoothd has no ATT listener there that could
# win (see tests/bench/vm/side_by_side.sh).

stack_dbus_start() {
  [ -e /run/dbus/system_bus_socket ] && return 0
  mkdir -p /run/dbus
  dbus-daemon --system --fork --print-pid > /run/dbus.pid 2> /tmp/dbus.log || {
    echo "dbus-daemon failed:"; cat /tmp/dbus.log; return 1; }
  _s_i=0
  while [ ! -S /run/dbus/system_bus_socket ] && [ "$_s_i" -lt 100 ]; do sleep 0.05; _s_i=$((_s_i + 1)); done
  [ -S /run/dbus/system_bus_socket ]
}

# stack_adapters: the org.bluez adapter paths on the bus, one a line.
stack_adapters() {
  dbus-send --system --print-reply --dest=org.bluez / org.freedesktop.DBus.ObjectManager.GetManagedObjects 2>/dev/null |
    sed -n 's|^ *object path "\(/org/bluez/hci[0-9]*\)"$|\1|p' | sort -u
}

stack_bluetoothd_start() {
  stack_dbus_start || return 1
  /usr/libexec/bluetooth/bluetoothd -n "$@" >> /tmp/bluetoothd.log 2>&1 &
  echo $! > /run/bluetoothd.pid
  _s_i=0
  while [ "$(stack_adapters | wc -l)" -lt "$BCMS_VM_CONTROLLERS" ]; do
    _s_i=$((_s_i + 1))
    if [ "$_s_i" -gt 300 ] || ! kill -0 "$(cat /run/bluetoothd.pid)" 2>/dev/null; then
      echo "bluetoothd did not register $BCMS_VM_CONTROLLERS adapters in 30 s:"; tail -20 /tmp/bluetoothd.log; return 1
    fi
    sleep 0.1
  done
}

stack_bluetoothd_stop() {
  [ -e /run/bluetoothd.pid ] || return 0
  _s_pid=$(cat /run/bluetoothd.pid)
  kill -TERM "$_s_pid" 2>/dev/null
  _s_i=0
  while kill -0 "$_s_pid" 2>/dev/null && [ "$_s_i" -lt 100 ]; do sleep 0.05; _s_i=$((_s_i + 1)); done
  kill -KILL "$_s_pid" 2>/dev/null
  wait "$_s_pid" 2>/dev/null
  rm -f /run/bluetoothd.pid
}

stack_reset() {
  for _s_x in "$@"; do
    btmgmt --index "$_s_x" power off > /dev/null 2>&1
    btmgmt --index "$_s_x" power on > /dev/null 2>&1
    btmgmt --index "$_s_x" power off > /dev/null 2>&1
  done
}

stack_remove_device() {
  dbus-send --system --print-reply --dest=org.bluez "/org/bluez/hci$1" org.bluez.Adapter1.RemoveDevice \
    "objpath:/org/bluez/hci$1/dev_$(echo "$2" | tr : _)" > /dev/null 2>&1
  return 0
}

stack_eatt() {
  case "$1" in on) _s_c=3 ;; *) _s_c=1 ;; esac
  sed -i "s/^Channels = .*/Channels = $_s_c/" /etc/bluetooth/main.conf
}
