// CurlLib: dlopen() of libcurl on first use (design in curl_lib.hpp).
#include "src/daemon/iot/curl_lib.hpp"

#include <dlfcn.h>

#include <array>
#include <cstdint>

namespace bcms::iot {
namespace {

// The soname this file dlopen()s, declared in the binary as the ELF dlopen
// metadata note (https://systemd.io/ELF_DLOPEN_METADATA/: section
// .note.dlopen, owner "FDO", type 0x407c0c0a, a JSON array as descriptor)
// so that tools that collect a program's libraries (packaging, the VM
// harness's copy_elf_deps in scripts/vm-lib/rootfs.sh) see it as ldd sees
// a DT_NEEDED one.
constexpr char kSoname[] = "libcurl.so.4";
constexpr char kNoteOwner[] = "FDO";
constexpr char kNoteJson[] =
    R"([{"feature":"iot","description":"IoT backend submission","priority":"recommended","soname":["libcurl.so.4"]}])";
struct DlopenNote {
  std::uint32_t namesz, descsz, type;
  alignas(4) std::array<char, sizeof(kNoteOwner)> name;
  alignas(4) std::array<char, sizeof(kNoteJson)> json;
};
[[gnu::used, gnu::section(".note.dlopen")]] alignas(4) constinit const DlopenNote kDlopenNote{
    sizeof(kNoteOwner), sizeof(kNoteJson), 0x407c0c0a, std::to_array(kNoteOwner), std::to_array(kNoteJson)};

struct Loaded {
  CurlLib lib{};
  std::string error;  // empty: loaded
};

template <class Fn>
bool resolve(void* so, const char* name, Fn& fn, std::string& error) {
  void* p = dlsym(so, name);
  if (!p) {
    const char* e = dlerror();
    error = e ? e : std::string(kSoname) + ": no symbol " + name;
    return false;
  }
  fn = reinterpret_cast<Fn>(p);
  return true;
}

Loaded load() {
  Loaded l;
  void* so = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (!so) {
    const char* e = dlerror();
    l.error = e ? e : std::string(kSoname) + ": cannot be loaded";
    return l;
  }
  CurlLib& c = l.lib;
  const bool ok = resolve(so, "curl_global_init", c.global_init, l.error) &&
                  resolve(so, "curl_easy_init", c.easy_init, l.error) &&
                  resolve(so, "curl_easy_setopt", c.easy_setopt, l.error) &&
                  resolve(so, "curl_easy_getinfo", c.easy_getinfo, l.error) &&
                  resolve(so, "curl_easy_cleanup", c.easy_cleanup, l.error) &&
                  resolve(so, "curl_easy_strerror", c.easy_strerror, l.error) &&
                  resolve(so, "curl_easy_escape", c.easy_escape, l.error) &&
                  resolve(so, "curl_free", c.free, l.error) &&
                  resolve(so, "curl_slist_append", c.slist_append, l.error) &&
                  resolve(so, "curl_slist_free_all", c.slist_free_all, l.error) &&
                  resolve(so, "curl_multi_init", c.multi_init, l.error) &&
                  resolve(so, "curl_multi_setopt", c.multi_setopt, l.error) &&
                  resolve(so, "curl_multi_add_handle", c.multi_add_handle, l.error) &&
                  resolve(so, "curl_multi_remove_handle", c.multi_remove_handle, l.error) &&
                  resolve(so, "curl_multi_socket_action", c.multi_socket_action, l.error) &&
                  resolve(so, "curl_multi_info_read", c.multi_info_read, l.error) &&
                  resolve(so, "curl_multi_cleanup", c.multi_cleanup, l.error);
  if (!ok) return l;
  if (CURLcode rc = c.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK)
    l.error = std::string("curl_global_init: ") + c.easy_strerror(rc);
  return l;
}

}  // namespace

const CurlLib* curl_lib(std::string* why) {
  static const Loaded loaded = load();  // C++11: initialised once, thread-safe
  if (!loaded.error.empty()) {
    if (why) *why = loaded.error;
    return nullptr;
  }
  return &loaded.lib;
}

}  // namespace bcms::iot
