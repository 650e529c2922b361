# The BCMS RPC interface (Cap'n Proto, two-party, bootstrap capability BCMS).
#
# Wire compatibility with the original Python BCMS (../shared/spec/README.md
# "The BCMS RPC interface"): the file id, the names, ordinals and types of
# BCMSDeviceInfo, BCMSWorkingMode and BCMS @0..@7 are the original's, so a
# client compiled from the original schema works unchanged.  Everything new
# has new ordinals: BCMS.gateway @8 returns the BCMSGateway capability, which
# carries events, readings, controller status and diagnostics.
#
# Errors, as the original reports them: a method that fails answers
# `status = false` with the error's text in `errors` ("Device not found",
# "Device already approved", "Cannot remove paired device. Unpair first.");
# an RPC exception means the call itself did not get through.
@0x955ea5acce24dc79;

struct BCMSDeviceInfo {
    address  @0 :Text;
    name     @1 :Text;
    approved @2 :Bool;
    paired   @3 :Bool;
}

enum BCMSWorkingMode {
    any        @0;
    approved @1;
}

interface BCMS {
    list     @0 (onlyApproved :Bool) -> (devices :List(BCMSDeviceInfo), errors :List(Text));
    approve  @1 (address :Text) -> (status :Bool, errors :List(Text));
    remove   @2 (address :Text) -> (status :Bool, errors :List(Text));
    mode     @3 () -> (mode :BCMSWorkingMode);
    setMode  @4 (mode :BCMSWorkingMode) -> (status: Bool, errors :List(Text));
    pair     @5 (address :Text) -> (status :Bool, errors :List(Text));
    unpair   @6 (address :Text) -> (status :Bool, errors :List(Text));
    isPaired @7 (address :Text) -> (status :Bool, errors :List(Text));

    # --- new in bcms (not in the original) ---
    gateway  @8 () -> (gateway :BCMSGateway);
}

# What the original had no way to ask.
interface BCMSGateway {
    # Events (device seen for the first time, approved, paired, unpaired,
    # removed, pairing failed, identity resolved, mode changed, reading,
    # controller, notification) are sent to `callback` until the returned
    # subscription is dropped (or the connection ends).
    subscribe   @0 (callback :BCMSEventCallback) -> (subscription :BCMSSubscription);
    # The latest readings the daemon holds for one device, newest last
    # (limit 0: the daemon's default number).
    readings    @1 (address :Text, limit :UInt32) -> (readings :List(BCMSReading), errors :List(Text));
    # The controller the daemon drives.
    status      @2 () -> (status :BCMSControllerStatus);
    # Named counters, for diagnostics without reading logs.
    diagnostics @3 () -> (counters :List(BCMSCounter));
    # list() with what the original did not show (RSSI, last seen, ...).
    devices     @4 (onlyApproved :Bool) -> (devices :List(BCMSDevice), errors :List(Text));
}

interface BCMSEventCallback {
    event @0 (event :BCMSEvent) -> ();
}

# Held by the subscriber; dropping it ends the subscription.
interface BCMSSubscription {}

struct BCMSEvent {
    kind      @0 :Text;   # "device_new", "device_approved", "device_paired", "mode_changed", ...
    address   @1 :Text;   # empty when the event concerns no device
    text      @2 :Text;
    timestamp @3 :Int64;  # milliseconds since the epoch
}

struct BCMSReading {
    dataType  @0 :Text;    # as submitted to the backend: "heart_rate", "battery_level", ...
    field     @1 :Text;    # the key inside the backend's `data`: "rate", "level", "sys", ...
    value     @2 :Float64; # in `unit`; 0 for text readings
    unit      @3 :Text;
    text      @4 :Text;    # text-valued readings only
    timestamp @5 :Int64;   # milliseconds since the epoch
}

struct BCMSControllerStatus {
    present         @0 :Bool;
    index           @1 :UInt16;  # mgmt controller index
    address         @2 :Text;
    name            @3 :Text;
    powered         @4 :Bool;
    discovering     @5 :Bool;
    mode            @6 :BCMSWorkingMode;
    devicesTracked  @7 :UInt32;
    devicesApproved @8 :UInt32;
    devicesPaired   @9 :UInt32;
    submission      @10 :Text;   # "off (no api_url)", the backend's URL, or "unavailable: <why>"
}

struct BCMSCounter {
    name  @0 :Text;
    value @1 :UInt64;
}

struct BCMSDevice {
    info           @0 :BCMSDeviceInfo;
    addressType    @1 :Text;     # "le_public", "le_random", "bredr"
    hasRssi        @2 :Bool;
    rssi           @3 :Int8;     # dBm, when hasRssi
    lastSeen       @4 :Int64;    # milliseconds since the epoch; 0: never
    advIntervalMs  @5 :UInt32;   # learned advertising interval; 0: not known
    currentAddress @6 :Text;     # the RPA in use when it differs from the identity address
    registrationId @7 :Text;     # the backend's id once registered
    reports        @8 :UInt64;   # advertising reports since start
}
