// CurlLib: the libcurl entry points bcms uses, loaded on first use.
//
// libcurl is loaded with dlopen() when a backend is configured (the daemon's
// --api-url), not by the dynamic loader at every start: Debian's libcurl4
// (OpenSSL flavour) brings 27 libraries that nothing else in the daemon
// needs (GnuTLS and p11-kit through librtmp and libldap, Kerberos through
// GSS-API, libssh2, nghttp2, ...), 4.2 MB of the idle daemon's resident
// memory in the VM that a gateway without a backend (RPC or MQTT consumers
// only) never uses (README "bcms-daemon").  The declarations, and so the
// types checked at compile time, are <curl/curl.h>'s; the soname is the one
// the build linked against (libcurl.so.4, ABI 4 since 2006).
#pragma once

#include <curl/curl.h>

#include <string>

namespace bcms::iot {

struct CurlLib {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_easy_escape) easy_escape;
  decltype(&::curl_free) free;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_multi_init) multi_init;
  decltype(&::curl_multi_setopt) multi_setopt;
  decltype(&::curl_multi_add_handle) multi_add_handle;
  decltype(&::curl_multi_remove_handle) multi_remove_handle;
  decltype(&::curl_multi_socket_action) multi_socket_action;
  decltype(&::curl_multi_info_read) multi_info_read;
  decltype(&::curl_multi_cleanup) multi_cleanup;
};

/// libcurl, loaded and curl_global_init()ed once (thread-safe); nullptr when
/// it cannot be loaded, with the reason (dlopen's or dlsym's message) in
/// *why.  Never unloaded.
const CurlLib* curl_lib(std::string* why = nullptr);

}  // namespace bcms::iot
