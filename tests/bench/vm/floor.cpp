// bcms-bench-floor [--curl] SONAME...: the floor under bcms-daemon's
// resident memory (scripts/bench-vm, phase daemon).
//
// A process that loads the shared libraries the daemon needs (its
// DT_NEEDED list, read from the daemon's binary by scripts/bench-vm and
// passed here in that order) as the dynamic loader would, relocated at
// once and their initialisers run, and then does nothing.  With --curl it
// also loads libcurl and runs curl_global_init() as the daemon does when a
// backend is configured (src/daemon/iot/curl_lib.cpp).  Its RSS, measured
// in the same window as the daemon's, is what Debian's libraries cost
// before one line of bcms runs: the daemon's RSS minus it is bcms's own.
//
// Only the C library is used here, so that this program adds no library of
// its own to the set it measures.
#include <curl/curl.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  int loaded = 0;
  bool curl = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--curl") == 0) {
      curl = true;
      continue;
    }
    if (!dlopen(argv[i], RTLD_NOW | RTLD_GLOBAL)) {
      std::fprintf(stderr, "bcms-bench-floor: %s\n", dlerror());
      return 1;
    }
    ++loaded;
  }
  if (curl) {
    void* so = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    void* init = so ? dlsym(so, "curl_global_init") : nullptr;
    if (!init) {
      std::fprintf(stderr, "bcms-bench-floor: libcurl: %s\n", dlerror());
      return 1;
    }
    if (reinterpret_cast<decltype(&::curl_global_init)>(init)(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      std::fprintf(stderr, "bcms-bench-floor: curl_global_init failed\n");
      return 1;
    }
  }
  std::printf("floor ready: %d libraries%s\n", loaded, curl ? " and libcurl" : "");
  std::fflush(stdout);
  for (;;) pause();
}
