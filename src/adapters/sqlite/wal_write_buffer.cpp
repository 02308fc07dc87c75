#include "adapters/sqlite/wal_write_buffer.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "adapters/sqlite/connection.h"
#include "adapters/sqlite/page_cache.h"

namespace mtrace::adapters::sqlite {
namespace {

constexpr char kVfsName[] = "mtrace-wal-write-buffer";
constexpr sqlite3_int64 kWalHeaderBytes = 32;
constexpr sqlite3_int64 kFrameHeaderBytes = 24;
// Gathered bytes of a transaction too large for one write (cache spills) go out at this size.
constexpr std::size_t kPendingLimit = std::size_t{4} << 20;
// The unix VFS writes at most 128 KiB per call (it masks larger sizes), so gathered bytes go out
// in pieces of this size.
constexpr std::size_t kMaxWriteBytes = std::size_t{64} << 10;

sqlite3_vfs* base_vfs = nullptr;  // the default VFS; set once, before registration

std::uint32_t big_endian32(const unsigned char* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

// The page size a WAL header (its first 32 bytes) records, or 0 when it is not a valid one.
int page_size_in_header(const unsigned char* header) {
  const std::uint32_t size = big_endian32(header + 8);
  if (size == 1) return 65536;
  if (size < 512 || size > 32768 || (size & (size - 1)) != 0) return 0;
  return static_cast<int>(size);
}

// Writes that continue one another, not yet given to the base file.
struct Pending {
  std::vector<unsigned char> bytes;
  sqlite3_int64 offset = 0;
  sqlite3_int64 commit_end = -1;  // end of the commit frame being gathered, -1 when none
  int page_size = 0;              // of the WAL's frames; 0 until known
  sqlite3_int64 end() const { return offset + static_cast<sqlite3_int64>(bytes.size()); }
};

// A WAL file as SQLite sees it; the base VFS's file lives right after it in the same allocation.
struct WalFile {
  sqlite3_file file;  // first member: SQLite's sqlite3_file* points here
  Pending* pending;
};

constexpr std::size_t kBaseFileOffset =
    (sizeof(WalFile) + alignof(std::max_align_t) - 1) / alignof(std::max_align_t) *
    alignof(std::max_align_t);

WalFile& wal_of(sqlite3_file* file) { return *reinterpret_cast<WalFile*>(file); }

sqlite3_file* base_of(sqlite3_file* file) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kBaseFileOffset);
}

int flush(sqlite3_file* file) {
  Pending& pending = *wal_of(file).pending;
  sqlite3_file* base = base_of(file);
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < pending.bytes.size() && rc == SQLITE_OK; done += kMaxWriteBytes) {
    const std::size_t size = std::min(kMaxWriteBytes, pending.bytes.size() - done);
    rc = base->pMethods->xWrite(base, pending.bytes.data() + done, static_cast<int>(size),
                                pending.offset + static_cast<sqlite3_int64>(done));
  }
  pending.bytes.clear();
  pending.commit_end = -1;
  return rc;
}

// Learns the frame size from the header being written, or else from the one on file.
int learn_page_size(sqlite3_file* file, const unsigned char* data, int amount, sqlite3_int64 offset) {
  Pending& pending = *wal_of(file).pending;
  if (offset == 0 && amount >= kWalHeaderBytes) {
    pending.page_size = page_size_in_header(data);
    return SQLITE_OK;
  }
  if (pending.page_size != 0) return SQLITE_OK;
  if (const int rc = flush(file); rc != SQLITE_OK) return rc;
  unsigned char header[kWalHeaderBytes];
  sqlite3_file* base = base_of(file);
  if (base->pMethods->xRead(base, header, sizeof header, 0) == SQLITE_OK) {
    pending.page_size = page_size_in_header(header);
  }
  return SQLITE_OK;
}

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  Pending& pending = *wal_of(file).pending;
  const auto* bytes = static_cast<const unsigned char*>(data);
  if (const int rc = learn_page_size(file, bytes, amount, offset); rc != SQLITE_OK) return rc;
  if (pending.page_size == 0) {  // not a WAL we understand: write through, in order
    if (const int rc = flush(file); rc != SQLITE_OK) return rc;
    sqlite3_file* base = base_of(file);
    return base->pMethods->xWrite(base, data, amount, offset);
  }
  if (!pending.bytes.empty() && offset != pending.end()) {
    if (const int rc = flush(file); rc != SQLITE_OK) return rc;
  }
  if (pending.bytes.empty()) pending.offset = offset;
  pending.bytes.insert(pending.bytes.end(), bytes, bytes + amount);

  // A frame header's second field is nonzero only in the frame that commits a transaction.
  const sqlite3_int64 frame_bytes = kFrameHeaderBytes + pending.page_size;
  if (offset >= kWalHeaderBytes && (offset - kWalHeaderBytes) % frame_bytes == 0 && amount >= 8 &&
      big_endian32(bytes + 4) != 0) {
    pending.commit_end = offset + frame_bytes;
  }
  if ((pending.commit_end >= 0 && pending.end() >= pending.commit_end) ||
      pending.bytes.size() >= kPendingLimit) {
    return flush(file);
  }
  return SQLITE_OK;
}

int wal_close(sqlite3_file* file) {
  const int flushed = flush(file);
  sqlite3_file* base = base_of(file);
  const int closed = base->pMethods->xClose(base);
  delete wal_of(file).pending;
  wal_of(file).pending = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

// Methods that read or settle the file see the gathered bytes written first.
const sqlite3_io_methods kWalMethods = {
    3,
    wal_close,
    [](sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
      if (const int rc = flush(file); rc != SQLITE_OK) return rc;
      return base_of(file)->pMethods->xRead(base_of(file), data, amount, offset);
    },
    wal_write,
    [](sqlite3_file* file, sqlite3_int64 size) {
      if (const int rc = flush(file); rc != SQLITE_OK) return rc;
      return base_of(file)->pMethods->xTruncate(base_of(file), size);
    },
    [](sqlite3_file* file, int flags) {
      if (const int rc = flush(file); rc != SQLITE_OK) return rc;
      return base_of(file)->pMethods->xSync(base_of(file), flags);
    },
    [](sqlite3_file* file, sqlite3_int64* size) {
      if (const int rc = flush(file); rc != SQLITE_OK) return rc;
      return base_of(file)->pMethods->xFileSize(base_of(file), size);
    },
    [](sqlite3_file* file, int level) { return base_of(file)->pMethods->xLock(base_of(file), level); },
    [](sqlite3_file* file, int level) { return base_of(file)->pMethods->xUnlock(base_of(file), level); },
    [](sqlite3_file* file, int* reserved) {
      return base_of(file)->pMethods->xCheckReservedLock(base_of(file), reserved);
    },
    [](sqlite3_file* file, int op, void* arg) {
      return base_of(file)->pMethods->xFileControl(base_of(file), op, arg);
    },
    [](sqlite3_file* file) { return base_of(file)->pMethods->xSectorSize(base_of(file)); },
    [](sqlite3_file* file) { return base_of(file)->pMethods->xDeviceCharacteristics(base_of(file)); },
    // SQLite maps no shared memory and no pages of a WAL file; these only keep the table whole.
    [](sqlite3_file* file, int page, int size, int extend, void volatile** mapped) {
      return base_of(file)->pMethods->xShmMap(base_of(file), page, size, extend, mapped);
    },
    [](sqlite3_file* file, int offset, int n, int flags) {
      return base_of(file)->pMethods->xShmLock(base_of(file), offset, n, flags);
    },
    [](sqlite3_file* file) { base_of(file)->pMethods->xShmBarrier(base_of(file)); },
    [](sqlite3_file* file, int remove) { return base_of(file)->pMethods->xShmUnmap(base_of(file), remove); },
    [](sqlite3_file* file, sqlite3_int64 offset, int amount, void** mapped) {
      if (const int rc = flush(file); rc != SQLITE_OK) return rc;
      return base_of(file)->pMethods->xFetch(base_of(file), offset, amount, mapped);
    },
    [](sqlite3_file* file, sqlite3_int64 offset, void* mapped) {
      return base_of(file)->pMethods->xUnfetch(base_of(file), offset, mapped);
    },
};

// Files other than WALs are opened by the base VFS in the space SQLite gave us, so they carry the
// base VFS's own methods.
int open_file(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) return base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
  file->pMethods = nullptr;
  sqlite3_file* base = base_of(file);
  base->pMethods = nullptr;
  const int rc = base_vfs->xOpen(base_vfs, name, base, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (base->pMethods != nullptr) base->pMethods->xClose(base);
    return rc;
  }
  if (base->pMethods->iVersion < 3) {  // a base without the methods our table forwards
    base->pMethods->xClose(base);
    return SQLITE_CANTOPEN;
  }
  wal_of(file).pending = new Pending;
  file->pMethods = &kWalMethods;
  return SQLITE_OK;
}

sqlite3_vfs make_vfs() {
  sqlite3_vfs vfs{};
  vfs.iVersion = 3;
  vfs.szOsFile = static_cast<int>(kBaseFileOffset) + base_vfs->szOsFile;
  vfs.mxPathname = base_vfs->mxPathname;
  vfs.zName = kVfsName;
  vfs.xOpen = open_file;
  vfs.xDelete = [](sqlite3_vfs*, const char* name, int sync_dir) {
    return base_vfs->xDelete(base_vfs, name, sync_dir);
  };
  vfs.xAccess = [](sqlite3_vfs*, const char* name, int flags, int* result) {
    return base_vfs->xAccess(base_vfs, name, flags, result);
  };
  vfs.xFullPathname = [](sqlite3_vfs*, const char* name, int size, char* out) {
    return base_vfs->xFullPathname(base_vfs, name, size, out);
  };
  vfs.xDlOpen = [](sqlite3_vfs*, const char* name) { return base_vfs->xDlOpen(base_vfs, name); };
  vfs.xDlError = [](sqlite3_vfs*, int size, char* out) { base_vfs->xDlError(base_vfs, size, out); };
  vfs.xDlSym = [](sqlite3_vfs*, void* handle, const char* symbol) {
    return base_vfs->xDlSym(base_vfs, handle, symbol);
  };
  vfs.xDlClose = [](sqlite3_vfs*, void* handle) { base_vfs->xDlClose(base_vfs, handle); };
  vfs.xRandomness = [](sqlite3_vfs*, int size, char* out) {
    return base_vfs->xRandomness(base_vfs, size, out);
  };
  vfs.xSleep = [](sqlite3_vfs*, int micros) { return base_vfs->xSleep(base_vfs, micros); };
  vfs.xCurrentTime = [](sqlite3_vfs*, double* now) { return base_vfs->xCurrentTime(base_vfs, now); };
  vfs.xGetLastError = [](sqlite3_vfs*, int size, char* out) {
    return base_vfs->xGetLastError(base_vfs, size, out);
  };
  vfs.xCurrentTimeInt64 = [](sqlite3_vfs*, sqlite3_int64* now) {
    return base_vfs->xCurrentTimeInt64(base_vfs, now);
  };
  vfs.xSetSystemCall = [](sqlite3_vfs*, const char* name, sqlite3_syscall_ptr call) {
    return base_vfs->xSetSystemCall(base_vfs, name, call);
  };
  vfs.xGetSystemCall = [](sqlite3_vfs*, const char* name) {
    return base_vfs->xGetSystemCall(base_vfs, name);
  };
  vfs.xNextSystemCall = [](sqlite3_vfs*, const char* name) {
    return base_vfs->xNextSystemCall(base_vfs, name);
  };
  return vfs;
}

}  // namespace

const char* wal_write_buffer_vfs() {
  static std::once_flag registered;
  static sqlite3_vfs vfs;
  std::call_once(registered, [] {
    install_page_cache();  // before sqlite3_vfs_find initializes SQLite
    base_vfs = sqlite3_vfs_find(nullptr);
    if (base_vfs == nullptr || base_vfs->iVersion < 3) {
      throw SqliteError(SQLITE_ERROR, "no default SQLite VFS of version 3 to wrap");
    }
    vfs = make_vfs();
    if (const int rc = sqlite3_vfs_register(&vfs, 0); rc != SQLITE_OK) {
      throw SqliteError(rc, "cannot register the WAL write buffer VFS");
    }
  });
  return kVfsName;
}

}  // namespace mtrace::adapters::sqlite
