#include "adapters/sqlite/page_cache.h"

#include <sqlite3.h>

#include <mutex>

namespace mtrace::adapters::sqlite {
namespace {

constexpr unsigned int kLockByteOffset = 0x40000000;  // SQLite's PENDING_BYTE
constexpr unsigned int kFiledUnder = 0;               // a page number SQLite never uses

sqlite3_pcache_methods2 base{};  // pcache1; set once, before SQLite initializes

struct Cache {
  sqlite3_pcache* inner;
  unsigned int temporary;  // the rebalancing page number of this cache's page size
};

Cache* self(sqlite3_pcache* cache) { return reinterpret_cast<Cache*>(cache); }

unsigned int filed(const Cache* cache, unsigned int key) {
  return key == cache->temporary ? kFiledUnder : key;
}

sqlite3_pcache_methods2 make_methods() {
  sqlite3_pcache_methods2 methods = base;
  methods.xCreate = [](int page_size, int extra_size, int purgeable) -> sqlite3_pcache* {
    auto* cache = static_cast<Cache*>(sqlite3_malloc(sizeof(Cache)));
    if (cache == nullptr) return nullptr;
    cache->inner = base.xCreate(page_size, extra_size, purgeable);
    if (cache->inner == nullptr) {
      sqlite3_free(cache);
      return nullptr;
    }
    cache->temporary = kLockByteOffset / static_cast<unsigned int>(page_size) + 1;
    return reinterpret_cast<sqlite3_pcache*>(cache);
  };
  methods.xCachesize = [](sqlite3_pcache* cache, int pages) { base.xCachesize(self(cache)->inner, pages); };
  methods.xPagecount = [](sqlite3_pcache* cache) { return base.xPagecount(self(cache)->inner); };
  methods.xFetch = [](sqlite3_pcache* cache, unsigned int key, int create) {
    return base.xFetch(self(cache)->inner, filed(self(cache), key), create);
  };
  methods.xUnpin = [](sqlite3_pcache* cache, sqlite3_pcache_page* page, int discard) {
    base.xUnpin(self(cache)->inner, page, discard);
  };
  methods.xRekey = [](sqlite3_pcache* cache, sqlite3_pcache_page* page, unsigned int from, unsigned int to) {
    base.xRekey(self(cache)->inner, page, filed(self(cache), from), filed(self(cache), to));
  };
  methods.xTruncate = [](sqlite3_pcache* cache, unsigned int limit) {
    Cache& c = *self(cache);
    base.xTruncate(c.inner, limit);
    // Truncation drops unreferenced pages only, so a page under the temporary number goes too.
    if (limit <= c.temporary) {
      if (sqlite3_pcache_page* page = base.xFetch(c.inner, kFiledUnder, 0)) base.xUnpin(c.inner, page, 1);
    }
  };
  methods.xDestroy = [](sqlite3_pcache* cache) {
    base.xDestroy(self(cache)->inner);
    sqlite3_free(cache);
  };
  methods.xShrink = [](sqlite3_pcache* cache) { base.xShrink(self(cache)->inner); };
  return methods;
}

}  // namespace

bool install_page_cache() {
  static std::once_flag once;
  static sqlite3_pcache_methods2 methods{};
  static bool installed = false;
  std::call_once(once, [] {
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base) != SQLITE_OK || base.xCreate == nullptr) return;
    methods = make_methods();
    installed = sqlite3_config(SQLITE_CONFIG_PCACHE2, &methods) == SQLITE_OK;
  });
  return installed;
}

}  // namespace mtrace::adapters::sqlite
