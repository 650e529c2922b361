#include "src/att/gatt_db.hpp"

#include <algorithm>

namespace bcms::att {
namespace {

bytes u16le(std::uint16_t v) { return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)}; }

}  // namespace

std::uint16_t GattDb::append(Attribute a) {
  if (next_handle_ > 0xFFFF) return 0;
  a.handle = static_cast<std::uint16_t>(next_handle_++);
  a.service = a.kind == AttrKind::service ? a.handle : open_service_;
  attrs_.push_back(std::move(a));
  if (Attribute* s = open_service()) s->end_group = attrs_.back().handle;
  return attrs_.back().handle;
}

Attribute* GattDb::open_service() { return open_service_ ? find(open_service_) : nullptr; }

std::uint16_t GattDb::begin_service(const Uuid& type, bool primary) {
  if (open_service_) end_service();
  Attribute a;
  a.type = primary ? primary_service_uuid : secondary_service_uuid;
  a.kind = AttrKind::service;
  a.perms = perm::read;
  a.value = type.att_bytes();  // Vol 3 Part G 3.1: the service UUID, 2 or 16 octets
  open_service_ = append(std::move(a));
  if (Attribute* s = open_service()) s->end_group = s->handle;
  return open_service_;
}

std::uint16_t GattDb::add_include(std::uint16_t service_handle) {
  const Attribute* inc = find(service_handle);
  if (!open_service_ || !inc || inc->kind != AttrKind::service) return 0;
  // Vol 3 Part G 3.2: Included Service Attribute Handle, End Group Handle,
  // Service UUID only when it is a 16-bit UUID.
  bytes v;
  ByteWriter w(v);
  w.u16(inc->handle);
  w.u16(inc->end_group);
  if (inc->value.size() == 2) w.raw(inc->value);
  Attribute a;
  a.type = include_uuid;
  a.kind = AttrKind::include;
  a.perms = perm::read;
  a.value = std::move(v);
  return append(std::move(a));
}

CharacteristicHandles GattDb::add_characteristic(const Uuid& type, std::uint8_t props, AttributeSpec spec,
                                                 std::uint16_t ext_props, std::uint16_t cccd_perms) {
  CharacteristicHandles h;
  if (!open_service_ || next_handle_ + 3 > 0x10000) return h;
  if (ext_props) props |= prop::extended_properties;
  // Vol 3 Part G 3.3.1: Properties (1), Value Handle (2), UUID (2|16).
  Attribute decl;
  decl.type = characteristic_uuid;
  decl.kind = AttrKind::characteristic;
  decl.perms = perm::read;
  decl.char_props = props;
  h.declaration = append(std::move(decl));
  Attribute value;
  value.type = type;
  value.kind = AttrKind::value;
  value.perms = spec.perms;
  value.min_key_size = spec.min_key_size;
  value.value = std::move(spec.value);
  value.read = std::move(spec.read);
  value.write = std::move(spec.write);
  value.check_write = std::move(spec.check_write);
  value.char_props = props;
  h.value = append(std::move(value));
  bytes dv;
  ByteWriter w(dv);
  w.u8(props);
  w.u16(h.value);
  type.encode(w);
  find(h.declaration)->value = std::move(dv);
  if (ext_props) {
    // Vol 3 Part G 3.3.3.1: must come after the value, read-only.
    Attribute e;
    e.type = ext_properties_uuid;
    e.perms = perm::read;
    e.value = u16le(ext_props);
    h.ext_props = append(std::move(e));
  }
  if (props & (prop::notify | prop::indicate)) {
    Attribute c;
    c.type = cccd_uuid;
    c.kind = AttrKind::cccd;
    c.perms = cccd_perms;
    c.char_props = props;
    c.value_handle = h.value;
    h.cccd = append(std::move(c));
  }
  return h;
}

std::uint16_t GattDb::add_descriptor(const Uuid& type, AttributeSpec spec) {
  if (!open_service_) return 0;
  Attribute a;
  a.type = type;
  a.perms = spec.perms;
  a.min_key_size = spec.min_key_size;
  a.value = std::move(spec.value);
  a.read = std::move(spec.read);
  a.write = std::move(spec.write);
  a.check_write = std::move(spec.check_write);
  // The descriptor belongs to the last characteristic: remember its value.
  for (auto it = attrs_.rbegin(); it != attrs_.rend() && it->service == open_service_; ++it) {
    if (it->kind == AttrKind::value) {
      a.value_handle = it->handle;
      a.char_props = it->char_props;
      break;
    }
  }
  return append(std::move(a));
}

void GattDb::end_service() {
  const Attribute* s = open_service();
  open_service_ = 0;
  if (s && on_change) {
    const std::uint16_t start = s->handle, end = s->end_group;
    on_change(start, end);
  }
}

bool GattDb::remove_service(std::uint16_t service_handle) {
  const Attribute* s = find(service_handle);
  if (!s || s->kind != AttrKind::service) return false;
  if (open_service_ == service_handle) open_service_ = 0;
  const std::uint16_t start = s->handle, end = s->end_group;
  auto first = std::lower_bound(attrs_.begin(), attrs_.end(), start,
                                [](const Attribute& a, std::uint16_t h) { return a.handle < h; });
  auto last = std::upper_bound(first, attrs_.end(), end,
                               [](std::uint16_t h, const Attribute& a) { return h < a.handle; });
  attrs_.erase(first, last);
  if (on_change) on_change(start, end);
  return true;
}

const Attribute* GattDb::find(std::uint16_t handle) const noexcept {
  auto it = std::lower_bound(attrs_.begin(), attrs_.end(), handle,
                             [](const Attribute& a, std::uint16_t h) { return a.handle < h; });
  return it != attrs_.end() && it->handle == handle ? &*it : nullptr;
}

Attribute* GattDb::find(std::uint16_t handle) noexcept {
  return const_cast<Attribute*>(static_cast<const GattDb*>(this)->find(handle));
}

std::span<const Attribute> GattDb::range(std::uint16_t start, std::uint16_t end) const noexcept {
  if (start > end) return {};
  auto first = std::lower_bound(attrs_.begin(), attrs_.end(), start,
                                [](const Attribute& a, std::uint16_t h) { return a.handle < h; });
  auto last = std::upper_bound(first, attrs_.end(), end,
                               [](std::uint16_t h, const Attribute& a) { return h < a.handle; });
  return {first, last};
}

std::uint16_t GattDb::find_type(const Uuid& type) const noexcept {
  for (const auto& a : attrs_)
    if (a.type == type) return a.handle;
  return 0;
}

}  // namespace bcms::att
