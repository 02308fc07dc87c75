// SQLite's default page cache (pcache1) behind a thin wrapper that keeps one page number out of it.
//
// When a B-tree insert rebalances sibling pages, SQLite 3.40 renumbers them through a temporary
// page number, the lock-byte page's (1 GiB / page size + 1: 262,145 with 4 KiB pages). pcache1
// remembers the highest number it has held, and the commit that follows trims the cache above
// the database size: with the temporary number far above a database smaller than 1 GiB, that trim
// walks the whole hash table, every bucket and every page, at every commit that split a page.
// On the ingest workload that walk took 6–7 % of the writer thread at the peak (a perf profile);
// without it the writer's CPU per request fell by 5–10 % at the peak and at half of it. The
// wrapper files the temporary number under page number 0, which SQLite never uses, so the highest
// number stays the real one; trimming at or below the temporary number drops a page filed under 0
// too, as pcache1 would have dropped it under its own number. Everything else is pcache1's.
#pragma once

namespace mtrace::adapters::sqlite {

// Installs the wrapper, once per process (thread-safe), if SQLite is not initialized yet; call it
// before any other SQLite call. Returns false when SQLite was initialized first (by code outside
// this adapter): pcache1 is then used as it is, which is correct, only slower.
bool install_page_cache();

}  // namespace mtrace::adapters::sqlite
