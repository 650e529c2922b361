#include "tests/engine/sqlite_fault.hpp"

namespace bcms::testing {
namespace {

sqlite3_vfs* base = nullptr;
sqlite3_vfs fault_vfs;
int left = -1;  // operations before the failure; -1: disarmed
bool tripped_flag = false;

struct File {
  sqlite3_file f;
  sqlite3_file* real;
};
sqlite3_file* real(sqlite3_file* p) { return reinterpret_cast<File*>(p)->real; }

bool fail_now() {
  if (left < 0) return false;
  if (left == 0) {
    tripped_flag = true;
    return true;
  }
  --left;
  return false;
}

int x_close(sqlite3_file* p) { return real(p)->pMethods->xClose(real(p)); }
int x_read(sqlite3_file* p, void* b, int n, sqlite3_int64 o) { return real(p)->pMethods->xRead(real(p), b, n, o); }
int x_write(sqlite3_file* p, const void* b, int n, sqlite3_int64 o) {
  if (fail_now()) return SQLITE_IOERR_WRITE;
  return real(p)->pMethods->xWrite(real(p), b, n, o);
}
int x_truncate(sqlite3_file* p, sqlite3_int64 s) { return real(p)->pMethods->xTruncate(real(p), s); }
int x_sync(sqlite3_file* p, int flags) {
  if (fail_now()) return SQLITE_IOERR_FSYNC;
  return real(p)->pMethods->xSync(real(p), flags);
}
int x_size(sqlite3_file* p, sqlite3_int64* s) { return real(p)->pMethods->xFileSize(real(p), s); }
int x_lock(sqlite3_file* p, int l) { return real(p)->pMethods->xLock(real(p), l); }
int x_unlock(sqlite3_file* p, int l) { return real(p)->pMethods->xUnlock(real(p), l); }
int x_reserved(sqlite3_file* p, int* r) { return real(p)->pMethods->xCheckReservedLock(real(p), r); }
int x_control(sqlite3_file* p, int op, void* a) { return real(p)->pMethods->xFileControl(real(p), op, a); }
int x_sector(sqlite3_file* p) { return real(p)->pMethods->xSectorSize(real(p)); }
int x_chars(sqlite3_file* p) { return real(p)->pMethods->xDeviceCharacteristics(real(p)); }
int x_shm_map(sqlite3_file* p, int pg, int sz, int ext, void volatile** out) {
  return real(p)->pMethods->xShmMap(real(p), pg, sz, ext, out);
}
int x_shm_lock(sqlite3_file* p, int off, int n, int flags) { return real(p)->pMethods->xShmLock(real(p), off, n, flags); }
void x_shm_barrier(sqlite3_file* p) { real(p)->pMethods->xShmBarrier(real(p)); }
int x_shm_unmap(sqlite3_file* p, int del) { return real(p)->pMethods->xShmUnmap(real(p), del); }

// Version 2: WAL's shared memory, no memory-mapped I/O.
const sqlite3_io_methods methods = {2,        x_close,   x_read,     x_write,   x_truncate,   x_sync,
                                    x_size,   x_lock,    x_unlock,   x_reserved, x_control,   x_sector,
                                    x_chars,  x_shm_map, x_shm_lock, x_shm_barrier, x_shm_unmap, nullptr,
                                    nullptr};

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out) {
  auto* ff = reinterpret_cast<File*>(f);
  ff->real = reinterpret_cast<sqlite3_file*>(ff + 1);
  const int rc = base->xOpen(base, name, ff->real, flags, out);
  ff->f.pMethods = (rc == SQLITE_OK && ff->real->pMethods) ? &methods : nullptr;
  return rc;
}

}  // namespace

FaultVfs::FaultVfs() {
  base = sqlite3_vfs_find(nullptr);
  fault_vfs = *base;
  fault_vfs.zName = "bcms-fault";
  fault_vfs.szOsFile = static_cast<int>(sizeof(File)) + base->szOsFile;
  fault_vfs.xOpen = x_open;
  fault_vfs.pNext = nullptr;
  sqlite3_vfs_register(&fault_vfs, 1);
  disarm();
}

FaultVfs::~FaultVfs() {
  sqlite3_vfs_unregister(&fault_vfs);
  sqlite3_vfs_register(base, 1);
}

void FaultVfs::fail_after(int n) {
  left = n;
  tripped_flag = false;
}
void FaultVfs::disarm() { left = -1; }
bool FaultVfs::tripped() const { return tripped_flag; }

}  // namespace bcms::testing
