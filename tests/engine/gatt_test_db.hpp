// A realistic GATT database (GAP, GATT, a secondary service, Heart Rate,
// Battery, and a vendor service exercising every permission), shared by
// the GATT engine tests, the fuzzer and the benchmark.
//
// Handle layout (declaration order, Core v5.4 Vol 3 Part G 3):
//   0x01 GAP service 0x1800          0x02 decl  0x03 Device Name  0x04 decl  0x05 Appearance
//   0x06 GATT service 0x1801         0x07 decl  0x08 Service Changed  0x09 CCCD
//   0x0A secondary 6e400001-...      0x0B decl  0x0C 6e400002-... (write, write w/o rsp)
//   0x0D Heart Rate 0x180D           0x0E include 0x000A-0x000C
//                                    0x0F decl  0x10 HR Measurement (notify only)  0x11 CCCD
//                                    0x12 decl  0x13 Body Sensor Location (read)
//                                    0x14 decl  0x15 HR Control Point (write)
//   0x16 Battery 0x180F              0x17 decl  0x18 Battery Level (read, notify) 0x19 CCCD
//                                    0x1A Presentation Format
//   0x1B vendor 0xFFF0               0x1C decl  0x1D 0xFFF1 60-octet value (read, write)
//                                    0x1E User Description "Long"
//                                    0x1F decl  0x20 0xFFF2 encrypted read, key size 16
//                                    0x21 decl  0x22 0xFFF3 authenticated read
//                                    0x23 decl  0x24 0xFFF4 read only
//                                    0x25 decl  0x26 0xFFF5 read, signed writes
//                                    0x27 decl  0x28 0xFFF6 asynchronous read
//                                    0x29 decl  0x2A 0xFFF7 read with authorization
#pragma once

#include <vector>

#include "src/att/gatt_server.hpp"

namespace bcms::att::test {

struct Hooks {
  std::vector<std::pair<ReadDone, ConnId>> pending_reads;  // async reads not answered yet
  std::vector<bytes> control_point_writes;
  std::vector<bytes> nus_writes;
};

inline Uuid nus(std::uint16_t short_id) {
  auto u = Uuid::parse("6e400000-b5a3-f393-e0a9-e50e24dcca9e").value();
  auto le = u.le();
  le[12] = static_cast<std::uint8_t>(short_id);
  le[13] = static_cast<std::uint8_t>(short_id >> 8);
  return Uuid::from128_le(le);
}

/// `robust_caching` adds Client Supported Features and Database Hash to
/// the GATT service, which moves every later handle by 4.
inline void build_test_db(GattDb& db, Hooks& hooks, bool robust_caching = false) {
  add_core_services(db, "bcms-test", 0x0340, robust_caching);
  // Secondary service (Vol 3 Part G 3.1), included by Heart Rate.
  const std::uint16_t sec = db.begin_service(nus(0x0001), false);
  AttributeSpec rx;
  rx.perms = perm::write;
  rx.write = [&hooks](const AccessRequest&, byte_span v, WriteDone done) {
    hooks.nus_writes.emplace_back(v.begin(), v.end());
    done({});
  };
  db.add_characteristic(nus(0x0002), prop::write | prop::write_without_response, std::move(rx));
  db.end_service();

  db.begin_service(Uuid(0x180D));
  db.add_include(sec);
  AttributeSpec hrm;
  hrm.perms = 0;  // notify only: not readable
  db.add_characteristic(Uuid(0x2A37), prop::notify, std::move(hrm));
  AttributeSpec bsl;
  bsl.value = {0x01};
  db.add_characteristic(Uuid(0x2A38), prop::read, std::move(bsl));
  AttributeSpec cp;
  cp.perms = perm::write;
  cp.write = [&hooks](const AccessRequest&, byte_span v, WriteDone done) {
    hooks.control_point_writes.emplace_back(v.begin(), v.end());
    done({});
  };
  db.add_characteristic(Uuid(0x2A39), prop::write, std::move(cp));
  db.end_service();

  db.begin_service(Uuid(0x180F));
  AttributeSpec level;
  level.value = {0x64};
  db.add_characteristic(Uuid(0x2A19), prop::read | prop::notify, std::move(level));
  AttributeSpec fmt;  // uint8, exponent 0, unit percentage 0x27AD, namespace SIG, description 0
  fmt.value = {0x04, 0x00, 0xAD, 0x27, 0x01, 0x00, 0x00};
  db.add_descriptor(Uuid(0x2904), std::move(fmt));
  db.end_service();

  db.begin_service(Uuid(0xFFF0));
  AttributeSpec lng;
  lng.perms = perm::rw;
  for (int i = 0; i < 60; ++i) lng.value.push_back(static_cast<std::uint8_t>(i));
  db.add_characteristic(Uuid(0xFFF1), prop::read | prop::write, std::move(lng));
  AttributeSpec desc;
  desc.value = {'L', 'o', 'n', 'g'};
  db.add_descriptor(Uuid(0x2901), std::move(desc));
  AttributeSpec enc;
  enc.perms = perm::read | perm::read_encrypted;
  enc.min_key_size = 16;
  enc.value = {'s', 'e', 'c', 'r', 'e', 't'};
  db.add_characteristic(Uuid(0xFFF2), prop::read, std::move(enc));
  AttributeSpec mitm;
  mitm.perms = perm::read | perm::read_authenticated;
  mitm.value = {'m', 'i', 't', 'm'};
  db.add_characteristic(Uuid(0xFFF3), prop::read, std::move(mitm));
  AttributeSpec ro;
  ro.value = {0x2A};
  db.add_characteristic(Uuid(0xFFF4), prop::read, std::move(ro));
  AttributeSpec sig;
  sig.perms = perm::rw;
  sig.value = {0x00};
  db.add_characteristic(Uuid(0xFFF5), prop::read | prop::authenticated_signed_writes, std::move(sig));
  AttributeSpec async;
  async.read = [&hooks](const AccessRequest& r, ReadDone done) { hooks.pending_reads.emplace_back(std::move(done), r.conn.id); };
  db.add_characteristic(Uuid(0xFFF6), prop::read, std::move(async));
  AttributeSpec authz;
  authz.perms = perm::read | perm::read_authorized;
  authz.value = {'o', 'k'};
  db.add_characteristic(Uuid(0xFFF7), prop::read, std::move(authz));
  db.end_service();
}

}  // namespace bcms::att::test
