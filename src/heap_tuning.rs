//! The heap: mimalloc, and how the server sets it up.
//!
//! Why mimalloc rather than glibc's malloc: sled allocates and frees a node copy or two
//! for each insert, and glibc's allocator (its bins, `malloc_consolidate`, arena locks)
//! costs a quarter of an import's CPU and a sixth of a write's. With mimalloc, at 1M, a
//! CSV import streams 30 % faster, 32 concurrent writers commit 5.0–5.9 k links/s
//! against 4.1–4.5 k, and a 2-hop answer costs 123–147 µs of server CPU against 151–169
//! (BENCHMARKS.md).
//!
//! mimalloc asks the kernel for transparent huge pages on its large regions by itself
//! (the graph and its views: a 2-hop answer touches a few hundred scattered places in
//! them). What the server sets is how soon freed memory goes back to the system: a
//! purge delay of 100 ms. With mimalloc's default (1 s) the memory of building the 1M graph's
//! views stayed resident: 972 MB after opening, against 851–917 MB with 100 ms, 835 MB
//! with 0 and 831 MB with glibc (the same store, back to back), and the server is held
//! to 1 GiB. At 0 every large answer's buffer came back as fresh pages to fault in:
//! 2-hop at 1M fell from 11.7–12.8 k to 8.6–9.8 k req/s.
//!
//! The delay is set through mimalloc's option API when the server starts; a
//! `MIMALLOC_PURGE_DELAY` in the environment (which mimalloc reads itself) is kept.

use libmimalloc_sys::mi_option_t;

/// `mi_option_purge_delay`: mimalloc's header declares it just before
/// `mi_option_use_numa_nodes`, which the Rust bindings name (they do not name it).
const PURGE_DELAY: mi_option_t = libmimalloc_sys::mi_option_use_numa_nodes - 1;

/// Milliseconds before freed memory goes back to the system.
const SERVING_PURGE_DELAY_MS: std::os::raw::c_long = 100;

/// Sets the heap up for a long-running server, unless the environment set it already.
pub fn tune_for_serving() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    set_option(PURGE_DELAY, SERVING_PURGE_DELAY_MS);
}

#[allow(unsafe_code)]
fn set_option(option: mi_option_t, value: std::os::raw::c_long) {
    // SAFETY: `mi_option_set` takes an option number and a value, touches only
    // mimalloc's option table, and may be called at any time from any thread.
    unsafe { libmimalloc_sys::mi_option_set(option, value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(unsafe_code)]
    fn get_option(option: mi_option_t) -> std::os::raw::c_long {
        // SAFETY: as for `mi_option_set`: a read of mimalloc's option table.
        unsafe { libmimalloc_sys::mi_option_get(option) }
    }

    #[test]
    fn the_purge_delay_is_the_option_set() {
        // mimalloc's own default for the purge delay is 1 s; the option beside it
        // (NUMA nodes) defaults to 0: the number names the right option.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(get_option(PURGE_DELAY), 1000);
        }
        set_option(PURGE_DELAY, SERVING_PURGE_DELAY_MS);
        assert_eq!(get_option(PURGE_DELAY), 100);
        assert_eq!(get_option(libmimalloc_sys::mi_option_use_numa_nodes), 0);
    }
}
