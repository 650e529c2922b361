#include "cli/bcms/session.hpp"

#include <asio/error.hpp>

#include <cerrno>

#include "rpc/connect.hpp"

namespace bcms::cli {

Session::Session(const rpc::Endpoint& endpoint, std::chrono::milliseconds timeout)
    : port_(io_), where_(endpoint.to_string()), timeout_(timeout), bcms_(nullptr) {
  auto stream = rpc::connect(port_, endpoint);
  if (!stream) {
    const auto ec = stream.error();
    std::string why = ec.message();
    // asio's own category (not mapped to std::errc by Debian 12's asio)
    if (ec == asio::error::connection_refused || ec == std::error_code(ENOENT, asio::error::get_system_category()))
      why += ": the bcms daemon is not running (or listens elsewhere: --connect)";
    throw SessionError{Exit::no_daemon, "cannot connect to the bcms daemon at " + where_ + ": " + why};
  }
  stream_ = kj::mv(*stream);
  client_ = kj::heap<capnp::TwoPartyClient>(*stream_);
  bcms_ = client_->bootstrap().castAs<BCMS>();
}

SessionError Session::lost_error(const kj::Exception& e) const {
  switch (e.getType()) {
    case kj::Exception::Type::OVERLOADED:
      return {Exit::lost, "no answer from the bcms daemon at " + where_ + " within " +
                              std::to_string(timeout_.count() / 1000.0).substr(0, 5) + " s"};
    case kj::Exception::Type::DISCONNECTED:
      return {Exit::lost, "the connection to the bcms daemon at " + where_ + " was lost: " +
                              std::string(e.getDescription().cStr())};
    default:
      return {Exit::lost, "the bcms daemon at " + where_ + " failed the call: " +
                              std::string(e.getDescription().cStr())};
  }
}

}  // namespace bcms::cli
