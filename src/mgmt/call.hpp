// Awaitable typed mgmt commands (asio C++20 coroutines on the channel's
// loop, DESIGN.md "procedures that span several exchanges"): the
// asynchronous twin of MgmtSync::command().  Never throws: the mgmt status
// (category "mgmt"), a channel error or a codec error comes back as the
// error_code.  Both decode the Return Parameters with decode_reply<Cmd>()
// (protocol/mgmt/dispatch.hpp: the table's size check, then the decoder).
//
//   auto info = co_await mgmt::call(ch, mgmt::ReadControllerInformation{}, index);
//   if (!info) ...; info->address
//
// Only for commands whose Reply owns its data (no DataView fields): the
// reply buffer does not outlive the call.
//
// GCC 12 caveat (observed: a double free in ~SetLocalName): a temporary
// with a non-trivial destructor in the full-expression of a co_await
// (e.g. `co_await call(ch, SetLocalName{name, short_name}, i)`) may be
// destroyed at the wrong place.  Pass named objects: these functions take
// references, and callers build commands with strings or vectors in a
// local variable first.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "protocol/mgmt/dispatch.hpp"
#include "src/mgmt/channel.hpp"

namespace bcms::mgmt {

/// Raw command: the Return Parameters or the error.
inline asio::awaitable<expected<bytes>> call_raw(MgmtChannel& ch, std::uint16_t opcode, std::uint16_t index,
                                                 const bytes& params) {
  auto [ec, reply] = co_await ch.async_send(opcode, index, bytes(params),
                                            asio::experimental::as_tuple(asio::use_awaitable));
  if (ec) co_return unexpected(ec);
  co_return std::move(reply);
}

template <class Cmd>
asio::awaitable<expected<typename Cmd::Reply>> call(MgmtChannel& ch, const Cmd& cmd, std::uint16_t index) {
  bytes params;
  if (std::error_code ec = encode(cmd, params)) co_return unexpected(ec);
  auto reply = co_await call_raw(ch, static_cast<std::uint16_t>(Cmd::opcode), index, params);
  if (!reply) co_return unexpected(reply.error());
  co_return decode_reply<Cmd>(*reply);
}

}  // namespace bcms::mgmt
