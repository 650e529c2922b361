# Side-by-side scenario of scripts/bench-vm (scripts/vm --with-bluez-stack,
# BCMS_VM_CONTROLLERS >= 2; not part of the normal test run): bcms against
# bluetoothd + D-Bus + bleak on the same virtual controllers, in one boot.
#
# hci0 is the peripheral, always one of our examples (the same server for
# both sides); hci1 is the central, bcms or bluetoothd.  bluetoothd takes
# every controller when it starts and powers them off when it stops, so a
# "bluez" block is: start bluetoothd, (re)start the example on hci0, runs,
# stop the example, stop bluetoothd, power-cycle hci0/hci1 with btmgmt.  A
# "bcms" block runs with no bluetoothd at all.  The example is started
# after bluetoothd on purpose: bluetoothd listens on the ATT channel of
# every adapter, and for an incoming LE link the kernel hands the ATT
# channel to one listener only (l2cap_connect_cfm skips listeners once the
# channel exists; the newest bound listener is found first), so the
# example's, bound later, serves the link.  Each bleak run checks that it
# saw the example's services (0x180D and the vendor b2c30001), which
# bluetoothd's own database does not have.  Blocks alternate (bcms, bluez,
# bcms, ...), so a slow patch of the shared host hits both alike.
#
# Output (the serial log; scripts/bench-vm reads it, tests/bench/vm/report.py):
#   SAMPLE <metric> <side> <value>     one measurement
#   MISS <metric> <side> <reason>      one failed run (counted, not hidden)
# Knobs (environment): BCMS_BENCH_BLOCKS, BCMS_BENCH_PER_BLOCK (central),
# BCMS_BENCH_READS, BCMS_BENCH_READ_BLOCKS, BCMS_BENCH_CLI_RUNS,
# BCMS_BENCH_FOOT_SECS, BCMS_BENCH_PERIPH_BLOCKS, BCMS_BENCH_PERIPH_COUNT,
# BCMS_BENCH_EATT_RUNS, BCMS_BENCH_SCAN_SECS, BCMS_BENCH_SCAN_BLOCKS,
# BCMS_BENCH_DAEMON_SECS, BCMS_BENCH_DAEMON_BLOCKS, BCMS_BENCH_DAEMON_DEVICES,
# BCMS_BENCH_COLLECTOR_RUNS, BCMS_BENCH_COLLECTOR_BLOCKS,
# BCMS_BENCH_ONLY (phases: central eatt reads cli peripheral footprint
# scan daemon collector; scan and daemon want --controllers 4 or more).
# shellcheck disable=SC2086,SC2046 # command lines in variables and `set -- $(...)` split on purpose
. /etc/bcms-vm-lib.sh
. /etc/bcms-btgatt-lib.sh
. /etc/bcms-stack-lib.sh

BLOCKS=${BCMS_BENCH_BLOCKS:-10}
PER=${BCMS_BENCH_PER_BLOCK:-10}
READS=${BCMS_BENCH_READS:-100}
READ_BLOCKS=${BCMS_BENCH_READ_BLOCKS:-3}
CLI_RUNS=${BCMS_BENCH_CLI_RUNS:-10}
FOOT_SECS=${BCMS_BENCH_FOOT_SECS:-10}
ONLY=${BCMS_BENCH_ONLY:-central eatt reads cli peripheral footprint}
BLEAK="python3 /opt/extra/bleak_central.py"
PSM=0x0081

sample() { echo "SAMPLE $*"; }
miss() { echo "MISS $*"; }
drop_link() { wait_no_le_link 2 || { mgmt 1 disconnect -t 1 "$A0" > /dev/null 2>&1; wait_no_le_link 5; }; }
phase() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# periph_start CMD...: our example on hci0, until it says it is ready;
# then a second advertising instance (btmgmt, connectable, 1 s duration)
# so that the kernel rotates instances and hci0 re-enables advertising
# every 1-2 s.  btvirt sends an advertising report only on a scan-enable
# or advertising-enable edge (scripts/vm's notes): without the rotation a
# scanner that misses the first edge (bluetoothd does, when the report
# precedes its Start Discovery reply) waits for the kernel's 10.24 s
# discovery restart.  A real advertiser repeats every 20 ms-1 s; the
# rotation stands in for that, for both sides alike.
periph_start() {
  bg_start periph "$@"
  if ! wait_grep 20 'ready on hci0|start failed|cannot' /tmp/periph.log || ! grep -q 'ready on hci0' /tmp/periph.log; then
    note "the example did not start:"; cat /tmp/periph.log; return 1
  fi
  mgmt 0 add-adv -c -g -D 1 -d 0809626d732d726f74 2 > /dev/null || note "second advertising instance refused"
}
periph_stop() { bg_stop periph; }

bluez_up() {
  stack_bluetoothd_start || { fail "bluetoothd did not start"; return 1; }
}
bluez_down() {   # bluetoothd powered every controller: all back to off
  stack_bluetoothd_stop
  _x=0
  while [ "$_x" -lt "$BCMS_VM_CONTROLLERS" ]; do stack_reset "$_x"; _x=$((_x + 1)); done
}

# stamps LOG METRIC_PREFIX SIDE: "T NAME ms" lines of bcms-bench-central time.
stamps() {
  for _k in CONNECTED:connected RESOLVED:resolved VALUE:first_value; do
    _v=$(sed -n "s/^T ${_k%%:*} //p" "$1" | head -1)
    [ -n "$_v" ] && sample "$2_${_k#*:}" "$3" "$_v"
  done
}

# ---------------------------------------------------------------- central
HR="bcms-example-heart-rate --index 0 --name bcms-HR --interval-ms 20"
A0=$(addr_of 0)

central_bcms() {
  power_on 1
  periph_start $HR || { miss central bcms "example"; return; }
  _j=0
  while [ "$_j" -lt "$PER" ]; do
    _j=$((_j + 1))
    if t 30 bcms-bench-central time -- bcms-bench-central steps "$A0" > /tmp/o.log 2>&1 &&
       grep -q '^STEPS services' /tmp/o.log; then
      stamps /tmp/o.log central bcms
    else
      miss central bcms "$(tail -1 /tmp/o.log)"
    fi
    drop_link
  done
  periph_stop
}

# bleak_runs PHASE N: N bleak runs against the example (bluetoothd up).
# PHASE central: the figures; collector: peer found -> first value only;
# eatt: only successes and failures.
bleak_runs() {
  _ph=$1 _cnt=$2 _j=0
  while [ "$_j" -lt "$_cnt" ]; do
    _j=$((_j + 1))
    t 45 bcms-bench-central time -- $BLEAK steps "$A0" > /tmp/b.log 2>&1
    _rc=$?
    _u=$(sed -n 's/^PY services .* uuids //p' /tmp/b.log)
    if [ "$_rc" = 0 ] && grep -q '^T VALUE' /tmp/b.log; then
      case "$_u" in
        *0000180d*b2c30001*)
          case $_ph in
            central) stamps /tmp/b.log central bleak ;;
            collector) set -- $(sed -n 's/^PY internal_ms //p' /tmp/b.log)
              [ $# -eq 3 ] && sample collector_found_to_first_value bleak "$(awk -v f="$1" -v v="$3" 'BEGIN { printf "%.2f", v - f }')" ;;
            *) sample "${_ph}_ok" bleak 1 ;;
          esac ;;
        *) miss "$_ph" bleak "services incomplete: $_u" ;;
      esac
    else
      miss "$_ph" bleak "$(grep '^PY error' /tmp/b.log | head -1) (status $_rc)"
    fi
    if [ "$_ph" = central ]; then
      _i=$(sed -n 's/^PY imports_ms //p' /tmp/b.log)
      [ -n "$_i" ] && sample bleak_imports bleak "$_i"
      _f=$(sed -n 's/^PY found_ms //p' /tmp/b.log)
      [ -n "$_f" ] && sample bleak_scan_found bleak "$_f"
      # from the peer found (the lab's advertising cadence left out) and
      # the interpreter's start before the script's first line
      set -- $(sed -n 's/^PY internal_ms //p' /tmp/b.log)
      if [ $# -eq 3 ] && grep -q '^T VALUE' /tmp/b.log; then
        sample central_found_to_first_value bleak "$(awk -v f="$1" -v v="$3" 'BEGIN { printf "%.2f", v - f }')"
        sample bleak_interpreter_start bleak "$(awk -v c="$2" -v t="$(sed -n 's/^T CONNECTED //p' /tmp/b.log)" 'BEGIN { printf "%.2f", t - c }')"
      fi
    fi
    stack_remove_device 1 "$A0"   # cold each run, as ours (no GATT cache)
    drop_link
  done
}

central_bleak() {
  bluez_up || { miss central bleak "bluetoothd"; return; }
  periph_start $HR || { miss central bleak "example"; bluez_down; return; }
  bleak_runs central "$PER"
  periph_stop
  bluez_down
}

if phase central; then
  step "central: $BLOCKS x $PER runs per side, alternating blocks (connect -> resolved -> first notification)"
  b=0
  while [ "$b" -lt "$BLOCKS" ]; do
    b=$((b + 1))
    central_bcms
    central_bleak
  done
  note "bluetoothd log (last lines):"; tail -5 /tmp/bluetoothd.log 2>/dev/null
fi

# ---------------------------------------------------------------- EATT
# BlueZ's default configuration (GATT Channels = 3: EATT on): how often
# bleak fails on btvirt then (the issue's baseline: every run).
if phase eatt; then
  step "EATT on (BlueZ's default): ${BCMS_BENCH_EATT_RUNS:-5} bleak runs"
  stack_eatt on
  note "main.conf: $(grep '^Channels' /etc/bluetooth/main.conf)"
  if bluez_up && periph_start $HR; then
    bleak_runs eatt "${BCMS_BENCH_EATT_RUNS:-5}"
    periph_stop
  else
    miss eatt bleak setup
  fi
  bluez_down
  stack_eatt off
fi

# ---------------------------------------------------------------- reads
BAT="bcms-example-battery --index 0 --name bcms-bat --interval-ms 60000"
if phase reads; then
  step "reads: $READS reads of Battery Level per run, $READ_BLOCKS alternating blocks of 2 runs"
  power_on 1
  periph_start $BAT || fail "battery example"
  gatttool -i hci1 -b "$A0" -t public --characteristics > /tmp/chars.log 2>&1
  H_BAT=$(sed -n 's/.*char value handle = \(0x[0-9a-f]*\), uuid = 00002a19-.*/\1/p' /tmp/chars.log | head -1)
  periph_stop
  drop_link
  note "Battery Level value handle: $H_BAT"
  b=0
  while [ "$b" -lt "$READ_BLOCKS" ]; do
    b=$((b + 1))
    power_on 1
    periph_start $BAT
    for _j in 1 2; do
      # rtt's second half: an LE CoC echo (one connection per server)
      bg_start echo bcms-l2cap listen --psm "$PSM" --echo
      wait_grep 5 'listening psm' /tmp/echo.log || note "echo server did not start"
      if t 60 bcms-bench-central rtt "$A0" --handle "$H_BAT" --psm "$PSM" --count "$READS" > /tmp/r.log 2>&1 &&
         grep -q '^READ n' /tmp/r.log; then
        set -- $(grep '^READ n' /tmp/r.log)
        sample read_median_us bcms "$7"; sample read_p95_us bcms "$9"
      else
        miss reads bcms "$(tail -1 /tmp/r.log)"
      fi
      bg_stop echo
      drop_link
    done
    periph_stop
    if bluez_up && periph_start $BAT; then
      for _j in 1 2; do
        if t 90 $BLEAK reads "$A0" --count "$READS" > /tmp/r.log 2>&1 && grep -q '^READ n' /tmp/r.log; then
          set -- $(grep '^READ n' /tmp/r.log)
          sample read_median_us bleak "$7"; sample read_p95_us bleak "$9"
        else
          miss reads bleak "$(tail -1 /tmp/r.log)"
        fi
        stack_remove_device 1 "$A0"
        drop_link
      done
      periph_stop
    else
      miss reads bleak "setup"
    fi
    bluez_down
  done
fi

# ---------------------------------------------------------------- CLI
# now_us: the wall clock in microseconds (busybox adjtimex).
now_us() { adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%d%06d\n", s, u }'; }
# cli_time METRIC SIDE CMD...: whole-process time of CMD in ms (the
# report subtracts the median of cli_baseline: the same bracket around
# /bin/true, i.e. the timer, fork and exec).
cli_time() {
  _m=$1 _s=$2
  shift 2
  _a=$(now_us)
  if ! "$@" > /dev/null 2>&1; then miss "$_m" "$_s" "status $?"; return; fi
  _b=$(now_us)
  sample "$_m" "$_s" "$(awk -v d=$((_b - _a)) 'BEGIN { printf "%.2f", d / 1000 }')"
}
if phase cli; then
  step "CLI: $CLI_RUNS alternating runs of info, power on, power off (hci1), whole process"
  stack_reset 1
  _j=0
  while [ "$_j" -lt "$CLI_RUNS" ]; do
    _j=$((_j + 1))
    cli_time cli_info bcms-mgmt bcms-mgmt info
    cli_time cli_info btmgmt btmgmt info
    cli_time cli_power_on bcms-mgmt bcms-mgmt --index 1 power on
    cli_time cli_power_off bcms-mgmt bcms-mgmt --index 1 power off
    cli_time cli_power_on btmgmt btmgmt --index 1 power on
    cli_time cli_power_off btmgmt btmgmt --index 1 power off
    cli_time cli_baseline true /bin/true
  done
fi

# ---------------------------------------------------------------- footprint

footprint_bcms() {
  power_on 1
  periph_start $HR || { miss footprint bcms example; return; }
  # connected, nothing subscribed
  bg_start central bcms-gatt -b "$A0" --listen primary
  if wait_grep 20 'attr handle' /tmp/central.log; then measure connected bcms /tmp/central.log "$(pid_of central)"
  else miss footprint bcms "bcms-gatt primary"; cat /tmp/central.log; fi
  bg_stop central; drop_link
  # subscribed to the 20 ms Heart Rate Measurement
  bg_start central bcms-gatt -b "$A0" --listen char-write-req "$CCCD" 0100
  if wait_grep 20 '^Notification' /tmp/central.log; then measure notifying bcms /tmp/central.log "$(pid_of central)"
  else miss footprint bcms "bcms-gatt listen"; cat /tmp/central.log; fi
  bg_stop central; drop_link
  periph_stop
}

footprint_bleak() {
  bluez_up || { miss footprint bleak bluetoothd; return; }
  periph_start $HR || { miss footprint bleak example; bluez_down; return; }
  _bz=$(cat /run/bluetoothd.pid) _db=$(cat /run/dbus.pid)
  for _mode in connected notifying; do
    if [ "$_mode" = connected ]; then bg_start central $BLEAK hold "$A0"; else bg_start central $BLEAK hold "$A0" --notify; fi
    if wait_grep 40 '^HOLDING' /tmp/central.log; then measure "$_mode" bleak /tmp/central.log "$(pid_of central)" "$_bz" "$_db"
    else miss footprint bleak "hold $_mode: $(tail -1 /tmp/central.log)"; fi
    bg_stop central
    stack_remove_device 1 "$A0"
    drop_link
  done
  periph_stop
  bluez_down
}

# ---------------------------------------------------------------- measuring processes
# rss_kb PID / cpu_ticks PID (utime + stime, USER_HZ)
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
anon_kb() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# USS: the pages only this process maps (what its exit would free: heap,
# stacks and the relocated or written pages of its files); PSS: RSS with
# every shared page divided among the processes mapping it.
uss_kb() { awk '/^Private_(Clean|Dirty):/ { n += $2 } END { print n + 0 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
# Context switches of every thread of a process (voluntary + not): each
# wake-up of an idle process is one, so over an idle window they count its
# wake-ups, which the 10 ms CPU ticks cannot resolve.
ctx_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }'; }
# window PREFIX SIDE SECS PIDS...: over SECS, the CPU time (ms) of PIDS,
# and at the end their RSS, RssAnon (kB: the private heap and stacks,
# RSS less the mapped files), USS and PSS, summed: samples PREFIX_cpu_ms,
# PREFIX_rss_kb, PREFIX_anon_kb, PREFIX_uss_kb, PREFIX_pss_kb; and their
# context switches over the window, PREFIX_wakeups.
window() {
  _pf=$1 _sd=$2 _secs=$3
  shift 3
  _c0=0 _w0=0; for _p in "$@"; do _c0=$((_c0 + $(cpu_ticks "$_p"))); _w0=$((_w0 + $(ctx_switches "$_p"))); done
  sleep "$_secs"
  _c1=0 _w1=0 _r=0 _a=0 _u=0 _s=0
  for _p in "$@"; do
    _c1=$((_c1 + $(cpu_ticks "$_p"))); _w1=$((_w1 + $(ctx_switches "$_p")))
    _r=$((_r + $(rss_kb "$_p"))); _a=$((_a + $(anon_kb "$_p")))
    _u=$((_u + $(uss_kb "$_p"))); _s=$((_s + $(pss_kb "$_p")))
  done
  _hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  sample "${_pf}_cpu_ms" "$_sd" $(((_c1 - _c0) * 1000 / _hz))
  sample "${_pf}_rss_kb" "$_sd" "$_r"
  sample "${_pf}_anon_kb" "$_sd" "$_a"
  sample "${_pf}_uss_kb" "$_sd" "$_u"
  sample "${_pf}_pss_kb" "$_sd" "$_s"
  sample "${_pf}_wakeups" "$_sd" $((_w1 - _w0))
}
# measure STATE SIDE LOG PIDS...: window foot_STATE over FOOT_SECS, and
# lines starting "Notification"/"NOTIFY" in LOG per second.
measure() {
  _st=$1 _sd=$2 _lg=$3
  shift 3
  _n0=$(grep -c -E '^(Notification|NOTIFY)' "$_lg" 2>/dev/null)
  window "foot_$_st" "$_sd" "$FOOT_SECS" "$@"
  _n1=$(grep -c -E '^(Notification|NOTIFY)' "$_lg" 2>/dev/null)
  [ "$_st" = notifying ] && sample foot_notifications_per_s "$_sd" "$(awk -v n=$((_n1 - _n0)) -v s="$FOOT_SECS" 'BEGIN { printf "%.1f", n / s }')"
}
pid_of() { cat "/run/bg-$1.pid"; }

# ---------------------------------------------------------------- peripheral
# One client (gatttool -I on hci1, tests/bench/vm/gatttool_client.py)
# against our example vs bluetoothd serving the same characteristics from
# a python3-dbus GATT application (tests/bench/vm/bluez_hr_app.py); both
# servers update the measurement every 10 ms.  The server's footprint is
# measured while it notifies.
PAPP="python3 /opt/extra/bluez_hr_app.py --adapter hci0 --interval-ms 10"
periph_client() {   # SIDE SERVER_PIDS...
  _sd=$1
  shift
  bg_start client python3 /opt/extra/gatttool_client.py "$A0" --count "$PCOUNT" --secs "$FOOT_SECS"
  if wait_grep 120 '^PWRITE|^PY error' /tmp/client.log && grep -q '^PWRITE' /tmp/client.log; then
    measure periph_notifying "$_sd" /dev/null "$@"
  fi
  wait_grep $((FOOT_SECS + 20)) '^PNOTIFY|^PY error' /tmp/client.log
  if grep -q '^PNOTIFY' /tmp/client.log; then
    for _k in PREAD:periph_read PWRITE:periph_write; do
      set -- $(grep "^${_k%%:*} " /tmp/client.log)
      sample "${_k#*:}_median_us" "$_sd" "$5"; sample "${_k#*:}_p95_us" "$_sd" "$7"
    done
    set -- $(grep '^PNOTIFY ' /tmp/client.log)
    sample periph_notifications_per_s "$_sd" "$7"
  else
    miss peripheral "$_sd" "$(grep '^PY error' /tmp/client.log | head -1)"
    cat /tmp/client.log
  fi
  bg_stop client
  drop_link
}
if phase peripheral; then
  PCOUNT=${BCMS_BENCH_PERIPH_COUNT:-100}
  step "peripheral: gatttool -I against our example vs bluetoothd + python3-dbus app, $PCOUNT reads, $PCOUNT writes, ${FOOT_SECS}s of notifications; ${BCMS_BENCH_PERIPH_BLOCKS:-3} alternating blocks"
  b=0
  while [ "$b" -lt "${BCMS_BENCH_PERIPH_BLOCKS:-3}" ]; do
    b=$((b + 1))
    power_on 1
    if periph_start bcms-example-heart-rate --index 0 --name bcms-HR --interval-ms 10; then
      periph_client bcms "$(pid_of periph)"
    else
      miss peripheral bcms example
    fi
    periph_stop
    if bluez_up; then
      bg_start papp $PAPP
      if wait_grep 30 '^READY|failed' /tmp/papp.log && grep -q '^READY' /tmp/papp.log; then
        periph_client bluez "$(pid_of papp)" "$(cat /run/bluetoothd.pid)" "$(cat /run/dbus.pid)"
      else
        miss peripheral bluez "python3-dbus app: $(tail -1 /tmp/papp.log)"
      fi
      bg_stop papp
    else
      miss peripheral bluez bluetoothd
    fi
    bluez_down
  done
fi

# ---------------------------------------------------------------- scanning
# Advertisers: every controller but hci1 (run with --controllers 4 or
# more).  btvirt emits a report only on an advertising-enable edge, so each
# advertiser loops add-adv (manufacturer 0xfff1 data with a counter;
# non-connectable, so the kernel gives each a fresh random address: a new
# device every time, as rotating beacons are, and no duplicate to filter)
# / rm-adv with btmgmt, as fast as the VM spawns it; the reports generated
# are counted (add-adv that succeeded), the ones received are those
# carrying manufacturer 0xfff1.
# The scanner on hci1 runs SCAN_SECS: bcms-mgmt find -l (our mgmt
# discovery; one dev_found line per Device Found) vs BleakScanner (one
# detection callback per advertisement bluetoothd passes on).
SCAN_SECS=${BCMS_BENCH_SCAN_SECS:-8}
adv_loop() {   # INDEX: until /run/scan-stop exists
  _n=0
  : > "/tmp/gen-$1"
  while [ ! -e /run/scan-stop ]; do
    _n=$((_n + 1))
    if btmgmt --index "$1" add-adv -d "$(printf '07fff1ff%08x' "$_n")" 1 > /dev/null 2>&1; then echo >> "/tmp/gen-$1"; fi
    btmgmt --index "$1" rm-adv 1 > /dev/null 2>&1
  done
}
gen_count() { cat /tmp/gen-* 2>/dev/null | wc -l; }
gens_start() { rm -f /run/scan-stop /tmp/gen-*; _gens=""; for _x in $ADVS; do adv_loop "$_x" & _gens="$_gens $!"; done; }
gens_stop() { touch /run/scan-stop; wait $_gens; }
# scan_window SIDE PIDS...: the generators run while the scanner (already
# started) runs SCAN_SECS; its footprint, and the count generated meanwhile.
scan_window() {
  _sd=$1
  shift
  _g0=$(gen_count)
  window foot_scanning "$_sd" "$SCAN_SECS" "$@"
  echo "$(($(gen_count) - _g0))" > /tmp/scan-gen
}
scan_round() {   # SIDE
  gens_start
  sleep 1
  # the denominator: every LE Advertising Report hci1 delivered to the
  # host while this side's scanner ran (btmon, the same for both sides)
  bg_start monscan btmon -i hci1
  wait_grep 5 'Bluetooth monitor' /tmp/monscan.log
  if [ "$1" = bcms ]; then
    bg_start scanner bcms-mgmt --index 1 --timeout $((SCAN_SECS + 2)) find -l
    wait_grep 10 'Discovery started|iscovering' /tmp/scanner.log
    scan_window bcms "$(pid_of scanner)"
    _i=0   # its --timeout: SCAN_SECS + 2 s in all, as BleakScanner's
    while kill -0 "$(pid_of scanner)" 2>/dev/null && [ "$_i" -lt 80 ]; do sleep 0.1; _i=$((_i + 1)); done
    _got=$(grep -c 'Manufacturer 0xfff1:' /tmp/scanner.log)
  else
    bg_start scanner $BLEAK scan --secs $((SCAN_SECS + 2))
    wait_grep 30 '^SCANNING' /tmp/scanner.log
    scan_window bleak "$(pid_of scanner)" "$(cat /run/bluetoothd.pid)" "$(cat /run/dbus.pid)"
    wait_grep 20 '^SCAN ' /tmp/scanner.log
    _got=$(sed -n 's/^SCAN fff1 //p' /tmp/scanner.log)
  fi
  bg_stop scanner
  bg_stop monscan
  gens_stop
  _rep=$(grep -c 'LE Advertising Report (0x02)' /tmp/monscan.log)
  # generated in the counted SCAN_SECS window; received by the application
  # over the scanner's life (SCAN_SECS + 2 s), against the reports hci1
  # gave the host over the same life (btmon started before the scanner,
  # stopped after it)
  sample scan_generated_per_s "$1" "$(awk -v g="$(cat /tmp/scan-gen)" -v s="$SCAN_SECS" 'BEGIN { printf "%.1f", g / s }')"
  sample scan_received_per_s "$1" "$(awk -v n="$_got" -v s="$((SCAN_SECS + 2))" 'BEGIN { printf "%.1f", n / s }')"
  sample scan_reported "$1" "$_rep"
  sample scan_received "$1" "$_got"
  if [ "$_rep" -gt 0 ]; then
    sample scan_received_share "$1" "$(awk -v n="$_got" -v r="$_rep" 'BEGIN { printf "%.3f", n / r }')"
  else
    miss scan "$1" "btmon saw no LE Advertising Report on hci1"
  fi
}
if phase scan; then
  ADVS=""
  _x=0
  while [ "$_x" -lt "$BCMS_VM_CONTROLLERS" ]; do
    [ "$_x" = 1 ] || ADVS="$ADVS $_x"
    _x=$((_x + 1))
  done
  step "scanning: advertisers on hci$ADVS, ${SCAN_SECS}s windows on hci1, ${BCMS_BENCH_SCAN_BLOCKS:-3} alternating blocks"
  b=0
  while [ "$b" -lt "${BCMS_BENCH_SCAN_BLOCKS:-3}" ]; do
    b=$((b + 1))
    for _x in 1 $ADVS; do power_on "$_x"; done
    scan_round bcms
    if bluez_up; then scan_round bleak; else miss scan bleak bluetoothd; fi
    stack_bluetoothd_stop
    for _x in 0 1 $ADVS; do stack_reset "$_x"; done
  done
fi

# ---------------------------------------------------------------- gateway footprint
# The whole gateway, idle and busy: bcms-daemon on hci1 (registry, RPC
# server, scan cycles; a backend configured, and idle once without one)
# against bluetoothd + dbus-daemon + a
# BleakScanner process (the original service's scanning, without its
# Python business logic: a floor for that side).  Per block and side:
#   idle       DAEMON_SECS with nothing advertising (the gateway's scan
#              cycles still run: that is its idle)
#   scanning   SCAN_SECS while the advertisers run (adv_loop)
# RSS counts the pages of the binary and the shared libraries mapped in
# too (in this VM every file lives in the initramfs, so they show as
# shared memory); RssAnon is the private part (heap, stacks), sampled too.
#   floor      after each idle window: a process that only loads the
#              daemon's shared libraries (floor_window), the same measures
#   devices    the advertisers run on until bcms-daemon tracks
#              DAEMON_DEVICES devices (`bcms --json status`), then the RSS;
#              the BlueZ side gets as many advertisements as bcms needed
#              (same generated count), then its RSS
# ADVS, adv_loop, gen_count: the scanning phase's, above.
DAEMON_SECS=${BCMS_BENCH_DAEMON_SECS:-30}
DAEMON_DEVICES=${BCMS_BENCH_DAEMON_DEVICES:-1000}
tracked() { bcms --json status 2>/dev/null | sed -n 's/.*"devices_tracked": *\([0-9]*\).*/\1/p'; }
# floor_window METRIC [--curl]: the floor under the daemon's RSS, sampled
# as METRIC's side "floor": bcms-bench-floor (tests/bench/vm/floor.cpp)
# loads the daemon's shared libraries (BCMS_BENCH_FLOOR_LIBS, its
# DT_NEEDED list, read by scripts/bench-vm from the binary under test) and
# with --curl libcurl too, initialised as the daemon does; then idles.
floor_window() {
  [ -n "${BCMS_BENCH_FLOOR_LIBS:-}" ] || { miss daemon floor "BCMS_BENCH_FLOOR_LIBS is not set"; return; }
  bg_start floor bcms-bench-floor ${2:-} $BCMS_BENCH_FLOOR_LIBS
  if ! wait_grep 10 'floor ready|bcms-bench-floor:' /tmp/floor.log || ! grep -q 'floor ready' /tmp/floor.log; then
    miss daemon floor "$(tail -1 /tmp/floor.log)"; bg_stop floor; return
  fi
  sleep 1
  window "$1" floor 3 "$(pid_of floor)"
  bg_stop floor
}
gateway_bcms() {
  power_on 1
  # Without a backend first (RPC or MQTT consumers only: libcurl and its
  # libraries are not loaded), idle only.
  rm -rf /tmp/gw-state
  bg_start daemon bcms-daemon --index 1 --state-dir /tmp/gw-state
  if ! wait_grep 30 'running; mode' /tmp/daemon.log; then
    miss daemon bcms "did not start: $(tail -1 /tmp/daemon.log)"; bg_stop daemon; return
  fi
  sleep 3
  window gw_idle_nobackend bcms "$DAEMON_SECS" "$(pid_of daemon)"
  bg_stop daemon
  floor_window gw_idle_nobackend
  # Then the gateway as it is meant to run, with a backend configured.
  # Nothing listens on port 9: idle and in mode approved with nothing
  # approved the daemon sends nothing; its footprint is what counts.
  rm -rf /tmp/gw-state
  bg_start daemon bcms-daemon --index 1 --state-dir /tmp/gw-state --api-url http://127.0.0.1:9
  if ! wait_grep 30 'running; mode' /tmp/daemon.log; then
    miss daemon bcms "did not start: $(tail -1 /tmp/daemon.log)"; bg_stop daemon; return
  fi
  _pd=$(pid_of daemon)
  sleep 3
  window gw_idle bcms "$DAEMON_SECS" "$_pd"
  floor_window gw_idle --curl
  gens_start
  window gw_scanning bcms "$SCAN_SECS" "$_pd"
  _t0=$(uptime_s) _n=0
  while :; do
    _n=$(tracked); _n=${_n:-0}
    [ "$_n" -ge "$DAEMON_DEVICES" ] && break
    [ "$(awk -v a="$(uptime_s)" -v b="$_t0" 'BEGIN { print (a - b > 600) }')" = 1 ] && break
    sleep 2
  done
  gens_stop
  GW_GEN=$(gen_count)
  if [ "$_n" -ge "$DAEMON_DEVICES" ]; then
    sleep 2
    sample gw_devices_tracked bcms "$(tracked)"
    sample gw_devices_generated bcms "$GW_GEN"
    window gw_devices bcms "$DAEMON_SECS" "$_pd"
  else
    miss daemon bcms "tracked only $_n devices after 600 s ($GW_GEN advertisements)"
  fi
  kill -TERM "$_pd"
  _i=0; while kill -0 "$_pd" 2>/dev/null && [ "$_i" -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
  kill -0 "$_pd" 2>/dev/null && miss daemon bcms "SIGTERM: still running after 10 s"
  bg_stop daemon
}
gateway_bleak() {
  bluez_up || { miss daemon bleak bluetoothd; return; }
  bg_start gw $BLEAK scan --secs 100000
  if ! wait_grep 30 '^SCANNING' /tmp/gw.log; then
    miss daemon bleak "BleakScanner: $(tail -1 /tmp/gw.log)"; bg_stop gw; bluez_down; return
  fi
  _pids="$(pid_of gw) $(cat /run/bluetoothd.pid) $(cat /run/dbus.pid)"
  sleep 3
  window gw_idle bleak "$DAEMON_SECS" $_pids
  gens_start
  window gw_scanning bleak "$SCAN_SECS" $_pids
  _t0=$(uptime_s)
  while [ "$(gen_count)" -lt "${GW_GEN:-$DAEMON_DEVICES}" ]; do
    [ "$(awk -v a="$(uptime_s)" -v b="$_t0" 'BEGIN { print (a - b > 600) }')" = 1 ] && break
    sleep 2
  done
  gens_stop
  sample gw_devices_generated bleak "$(gen_count)"
  sleep 2
  window gw_devices bleak "$DAEMON_SECS" $_pids
  bg_stop gw
  bluez_down
}
if phase daemon; then
  if [ -z "${ADVS:-}" ]; then
    _x=0
    while [ "$_x" -lt "$BCMS_VM_CONTROLLERS" ]; do [ "$_x" = 1 ] || ADVS="$ADVS $_x"; _x=$((_x + 1)); done
  fi
  step "gateway footprint: bcms-daemon vs bluetoothd + dbus-daemon + BleakScanner on hci1, advertisers on hci$ADVS; idle ${DAEMON_SECS}s, scanning ${SCAN_SECS}s, then until $DAEMON_DEVICES devices; ${BCMS_BENCH_DAEMON_BLOCKS:-3} alternating blocks"
  b=0
  while [ "$b" -lt "${BCMS_BENCH_DAEMON_BLOCKS:-3}" ]; do
    b=$((b + 1))
    for _x in 1 $ADVS; do power_on "$_x"; done
    GW_GEN=""
    gateway_bcms
    gateway_bleak
    for _x in 0 1 $ADVS; do stack_reset "$_x"; done
  done
fi

# ---------------------------------------------------------------- the daemon's collector
# bcms-daemon on hci1 in mode any (fresh state each run: no discovery
# cache) collects from our heart-rate example on hci0, started after the
# daemon: from the daemon's first report of the example (its device_new
# event) to its first heart-rate reading (reading event), both stamped by
# the daemon (ms) and seen through `bcms watch --json`.  Against bleak's
# "peer found by BleakScanner -> first decoded notification" (the same
# script as the central phase), in alternating blocks.
collector_bcms() {
  rm -rf /tmp/col-state
  bg_start daemon bcms-daemon --index 1 --state-dir /tmp/col-state
  if ! wait_grep 30 'running; mode' /tmp/daemon.log; then
    miss collector bcms "daemon did not start: $(tail -1 /tmp/daemon.log)"; bg_stop daemon; return
  fi
  # subscribed first: the mode change's event, seen by the watcher, says
  # the subscription is live before the example advertises
  bg_start watch bcms --json watch
  _i=0
  while [ "$_i" -lt 20 ] && ! grep -q mode_changed /tmp/watch.log; do
    bcms set_mode --mode approved > /dev/null 2>&1; bcms set_mode --mode any > /dev/null 2>&1
    sleep 0.5; _i=$((_i + 1))
  done
  grep -q mode_changed /tmp/watch.log || { miss collector bcms "bcms watch saw no event"; bg_stop watch; bg_stop daemon; return; }
  if periph_start $HR; then
    if wait_grep 30 '"kind":"reading".*heart_rate' /tmp/watch.log; then
      _v=$(A="$A0" awk -F'"timestamp":' '
        index($0, "\"address\":\"" ENVIRON["A"] "\"") == 0 { next }
        /"kind":"device_new"/ && !f { split($2, x, /[,}]/); f = x[1] }
        /"kind":"reading"/ && /heart_rate/ && !r { split($2, x, /[,}]/); r = x[1] }
        END { if (f && r) print r - f }' /tmp/watch.log)
      if [ -n "$_v" ]; then sample collector_found_to_first_value bcms "$_v"
      else miss collector bcms "no device_new/reading pair for $A0 in the events"; cat /tmp/watch.log; fi
    else
      miss collector bcms "no heart-rate reading within 30 s"; tail -5 /tmp/daemon.log
    fi
    periph_stop
  else
    miss collector bcms example
  fi
  bg_stop watch
  bg_stop daemon
  drop_link
}
if phase collector; then
  CRUNS=${BCMS_BENCH_COLLECTOR_RUNS:-5}
  step "collector: bcms-daemon (mode any) vs bleak, peer found -> first heart-rate value; ${BCMS_BENCH_COLLECTOR_BLOCKS:-2} alternating blocks of $CRUNS runs"
  b=0
  while [ "$b" -lt "${BCMS_BENCH_COLLECTOR_BLOCKS:-2}" ]; do
    b=$((b + 1))
    _j=0
    while [ "$_j" -lt "$CRUNS" ]; do _j=$((_j + 1)); collector_bcms; done
    if bluez_up; then
      if periph_start $HR; then bleak_runs collector "$CRUNS"; periph_stop; else miss collector bleak example; fi
      bluez_down
    else
      miss collector bleak bluetoothd
    fi
  done
fi

if phase footprint; then
  step "footprint: ${FOOT_SECS}s windows, connected and subscribed (20 ms notifications), 2 alternating blocks"
  if [ -z "${CCCD:-}" ]; then
    power_on 1
    periph_start $HR
    bcms-bench-central steps "$A0" > /tmp/shape.log 2>&1
    CCCD=$(sed -n 's/^STEPS .* cccd \(0x[0-9a-f]*\).*/\1/p' /tmp/shape.log)
    periph_stop
    drop_link
  fi
  note "Heart Rate Measurement CCCD: $CCCD"
  for b in 1 2; do
    footprint_bcms
    footprint_bleak
  done
fi

finish
