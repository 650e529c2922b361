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
    # removed, mode changed, notifications) are sent to `callback` until the
    # returned subscription is dropped (or the connection ends).
    subscribe   @0 (callback :BCMSEventCallback) -> (subscription :BCMSSubscription);
    # The readings the daemon holds for one device (newest last).
    readings    @1 (address :Text) -> (readings :List(BCMSReading), errors :List(Text));
    # The controller the daemon drives.
    status      @2 () -> (status :BCMSControllerStatus);
    # Counters for diagnostics without reading logs.
    diagnostics @3 () -> (counters :List(BCMSCounter));
}

interface BCMSEventCallback {
    event @0 (event :BCMSEvent) -> ();
}

# Held by the subscriber; dropping it ends the subscription.
interface BCMSSubscription {}

struct BCMSEvent {
    kind      @0 :Text;   # "seen", "approved", "paired", "unpaired", "removed", "mode", "notify", ...
    address   @1 :Text;   # empty when the event is about no device
    message   @2 :Text;
    timestamp @3 :Int64;  # seconds since the epoch
}

struct BCMSReading {
    dataType  @0 :Text;   # as submitted to the backend: "heart_rate", "battery_level", ...
    timestamp @1 :Int64;  # seconds since the epoch
    values    @2 :List(BCMSValue);
}

struct BCMSValue {
    key   @0 :Text;       # "rate", "level", ...
    value @1 :Text;       # as submitted: text
}

struct BCMSControllerStatus {
    index    @0 :UInt16;  # mgmt controller index; 0xffff: none
    address  @1 :Text;
    name     @2 :Text;
    powered  @3 :Bool;
    scanning @4 :Bool;
    settings @5 :UInt32;  # mgmt Current_Settings bits
    mode     @6 :BCMSWorkingMode;
    devices  @7 :UInt32;  # devices tracked
}

struct BCMSCounter {
    name  @0 :Text;
    value @1 :UInt64;
}
