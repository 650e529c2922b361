#!/bin/sh
# scripts/vm-lib/init.sh: PID 1 of scripts/vm's VM (busybox sh).
# Mounts the pseudo file systems, loads the Bluetooth modules, starts btvirt
# with BCMS_VM_CONTROLLERS virtual controllers, waits until the kernel has
# finished setting each one up, runs /etc/bcms-vm/run.sh and reports its
# status to the host as "BCMS_VM_EXIT_<nonce>=<status>" on the console.
# "BCMS-VM-TIME <what> <uptime>" lines give the host the boot timings.
export PATH=/opt/bcms/bin:/opt/extra:/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin
export HOME=/tmp LD_LIBRARY_PATH=/usr/local/lib/bcms
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts
ln -s /proc/self/fd /dev/fd; ln -s fd/0 /dev/stdin; ln -s fd/1 /dev/stdout; ln -s fd/2 /dev/stderr
ip link set lo up 2>/dev/null
. /etc/bcms-vm/conf
export BCMS_VM_CONTROLLERS BCMS_VM_BTVIRT_FLAGS

uptime_s() { cut -d' ' -f1 /proc/uptime; }
finish() {
  echo "BCMS-VM-TIME end $(uptime_s)"
  echo "BCMS_VM_EXIT_$BCMS_VM_NONCE=$1"
  sync
  poweroff -f
  sleep 5
  echo o > /proc/sysrq-trigger
}

echo "BCMS-VM-TIME init $(uptime_s)"
echo "BCMS-VM: kernel $(uname -r)"
for m in $(cat /etc/bcms-vm/modules); do
  insmod "/lib/modules/$(uname -r)/$m.ko" || { echo "BCMS-VM: insmod $m failed"; finish 125; }
done
echo "BCMS-VM-TIME modules $(uptime_s)"

if [ "$BCMS_VM_CONTROLLERS" -gt 0 ]; then
  # btvirt -l<N> opens /dev/vhci N times: hci0..hci<N-1> in one process,
  # all on one shared virtual radio.
  # shellcheck disable=SC2086 # flags are words
  btvirt $BCMS_VM_BTVIRT_FLAGS -l"$BCMS_VM_CONTROLLERS" > /run/btvirt.log 2>&1 &
  # A controller is usable once the kernel has run its HCI setup: until
  # then mgmt answers Invalid Index for it (and leaves it out of Read
  # Controller Index List), so wait for `btmgmt info` on each index.
  i=0 tries=0
  while [ "$i" -lt "$BCMS_VM_CONTROLLERS" ]; do
    if btmgmt --index "$i" info > /dev/null 2>&1; then i=$((i + 1)); continue; fi
    tries=$((tries + 1))
    if [ "$tries" -gt 300 ]; then
      echo "BCMS-VM: controller hci$i did not come up in 30 s; btvirt said:"
      cat /run/btvirt.log
      finish 125
    fi
    sleep 0.1
  done
  echo "BCMS-VM: controllers: $(ls /sys/class/bluetooth | tr '\n' ' ')"
fi
echo "BCMS-VM-TIME ready $(uptime_s)"

cd /tmp || finish 125
set -a
. /etc/bcms-vm/env
set +a
echo "BCMS-VM: ---- scenario begins: $(cat /etc/bcms-vm/run.sh)"
# The scenario runs under a deadline a little shorter than the host's, so
# that a hang is reported from inside (status 124) with its log intact.
sh /etc/bcms-vm/run.sh </dev/console &   # (an & job would get /dev/null: BlueZ tools then print nothing)
pid=$!
( sleep "$BCMS_VM_SCENARIO_TIMEOUT"; echo "BCMS-VM: scenario timed out after ${BCMS_VM_SCENARIO_TIMEOUT}s"; touch /run/timed-out; kill -TERM $pid ) &
watchdog=$!
wait $pid
rc=$?
kill $watchdog 2>/dev/null
[ -e /run/timed-out ] && rc=124
echo "BCMS-VM: ---- scenario ended: status $rc"
finish $rc
