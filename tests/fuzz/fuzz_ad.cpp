// libFuzzer target: advertising data parser, text formatter, JSON writer
// and builder (protocol/ad).
//
// Properties checked on every input (a violation traps):
//  - parse_ad() never reads past the input (ASan) and its significant
//    length is within it; parse_ad_strict() fails exactly when an issue
//    was recorded;
//  - every text line and the JSON document are well-formed UTF-8, and
//    the JSON parses (simdjson);
//  - AdBuilder fed from the input either fails with too_long or produces
//    data within the limit that parse_ad_strict() accepts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/ad/ad.hpp"
#include "protocol/ad/builder.hpp"
#include "protocol/ad/format.hpp"
#include "protocol/ad/text.hpp"
#include "protocol/codec_error.hpp"

#include <simdjson.h>

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void fuzz_builder(bcms::byte_span in) {
  using namespace bcms::ad;
  if (in.size() < 4) return;
  AdBuilder b;
  const std::uint8_t sel = in[0];
  const std::size_t max_len = 3 + in[1] % 60;
  const std::size_t split_at = in[2] % (in.size() - 3 + 1);
  auto rest = in.subspan(3);
  auto first = rest.first(split_at);
  auto second = rest.subspan(split_at);
  if (sel & 0x01) b.flags(in[1]);
  if (sel & 0x02) b.name(std::string(reinterpret_cast<const char*>(first.data()), first.size()));
  if (sel & 0x04) b.uuid16(static_cast<std::uint16_t>(in[1] | (in[2] << 8)));
  if (sel & 0x08) b.manufacturer(static_cast<std::uint16_t>(in[2]), bcms::bytes(second.begin(), second.end()));
  if (sel & 0x10) b.service_data(static_cast<std::uint16_t>(in[1]), bcms::bytes(first.begin(), first.end()));
  if (sel & 0x20) b.tx_power(static_cast<std::int8_t>(in[2]));
  if (sel & 0x40) b.appearance(static_cast<std::uint16_t>(in[1] << 6));
  if (sel & 0x80) b.uuid128(Uuid128{in[0], in[1], in[2]});

  if (auto out = b.build(max_len)) {
    check(out->size() <= max_len);
    check(parse_ad_strict(*out).has_value());
  } else {
    check(out.error().code == bcms::codec_errc::too_long);
  }
  if (auto s = b.split(max_len, 31)) {
    check(s->adv.size() <= max_len && s->scan_rsp.size() <= 31);
    check(parse_ad_strict(s->adv).has_value());
    check(parse_ad_strict(s->scan_rsp).has_value());
  } else {
    check(s.error().code == bcms::codec_errc::too_long);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bcms::ad;
  const bcms::byte_span in(data, size);

  const AdData ad = parse_ad(in);
  check(ad.significant <= size);
  check(parse_ad_strict(in).has_value() == !ad.issue.has_value());

  for (const auto& line : format_ad(ad)) check(valid_utf8(line));
  const std::string json = to_json(ad);
  check(valid_utf8(json));
  static simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  check(parser.parse(padded).error() == simdjson::SUCCESS);

  fuzz_builder(in);
  return 0;
}
