// Reading: one sensor value in the shape a collector submits it.
//
// The backend takes `{dataType, data: {field: value}}` (seed 000 "Spec";
// /work/shared/spec "The IoT backend API"): heart_rate {rate},
// battery_level {level}, temperature {level}, pressure {level}, humidity
// {level}, blood_pressure {sys, dias}, alert {id}.  A Reading carries one
// such field: `type` is the data type as the original names it (or a new
// name for what the original never collected: "weight", "spo2",
// "glucose", every BTHome object ...), `field` the key inside `data`,
// `value` the number in `unit`.  Text values (an alert id, a BTHome text
// or raw object) are in `text`, with `value` 0.
//
// `type`, `field` and `unit` point at string literals or static tables
// (the decoders' own), so a Reading is cheap to make and copy.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bcms::sensor {

struct Reading {
  std::string_view type{};   // "heart_rate", "temperature", ...
  std::string_view field{};  // "rate", "level", "sys", "dias", "id", ...
  double value = 0.0;
  std::string_view unit{};   // "bpm", "°C", "%", "Pa", "mmHg"; "" when unitless or unscaled
  std::string text{};      // text-valued readings only
  friend bool operator==(const Reading&, const Reading&) = default;
};

using Readings = std::vector<Reading>;

}  // namespace bcms::sensor
