//! How the server asks glibc to manage its heap.
//!
//! - Transparent huge pages (`glibc.malloc.hugetlb=1`): at 1M nodes the graph, its views
//!   and the id tables take ~750 MB, and a 2-hop answer touches a few hundred scattered
//!   places in them; with 4 KiB pages nearly each one is a TLB miss as well as a cache
//!   miss.
//! - A fixed mmap threshold of 1 MiB (`glibc.malloc.mmap_threshold`): glibc otherwise
//!   raises it after the first large block is freed, and the 4–16 MB scratch arrays of
//!   concurrent path searches then stay in per-thread arenas after use (+350 MB resident
//!   at 1M under 16 concurrent searches; +100 MB with the fixed threshold).
//!
//! glibc reads its tunables only at start, so the server restarts itself once with them
//! set (`exec`: same process id). Tunables already set by the environment are kept.
//! Elsewhere (another libc, another system) this does nothing.

/// The tunables asked for, `name=value`.
const TUNABLES: [&str; 2] = [
    "glibc.malloc.hugetlb=1",
    "glibc.malloc.mmap_threshold=1048576",
];

/// Replaces this process with itself run with [`TUNABLES`] set, unless each is set
/// already. Returns only when nothing is to be done or the restart failed: the caller
/// goes on either way.
pub fn restart_with_heap_tunables() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;

        let current = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        let Some(tunables) = merged(&current) else {
            return;
        };
        let mut args = std::env::args_os();
        let arg0 = args.next().unwrap_or_else(|| "pobratim".into());
        // `/proc/self/exe` is this very binary even if its file was replaced since.
        let error = std::process::Command::new("/proc/self/exe")
            .arg0(arg0)
            .args(args)
            .env("GLIBC_TUNABLES", tunables)
            .exec();
        tracing::warn!(%error, "cannot restart with the heap tunables; going on without them");
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = merged;
}

/// `current` (a `GLIBC_TUNABLES` value) with the [`TUNABLES`] it does not set yet
/// appended; `None` when it sets them all.
fn merged(current: &str) -> Option<String> {
    let missing: Vec<&str> = TUNABLES
        .into_iter()
        .filter(|tunable| {
            let name = tunable.split('=').next().unwrap_or(tunable);
            !current
                .split(':')
                .any(|set| set.split('=').next() == Some(name))
        })
        .collect();
    if missing.is_empty() {
        return None;
    }
    let kept = current.split(':').filter(|set| !set.is_empty());
    Some(kept.chain(missing).collect::<Vec<_>>().join(":"))
}

#[cfg(test)]
mod tests {
    use super::merged;

    #[test]
    fn tunables_set_by_the_environment_are_kept_and_the_others_added() {
        assert_eq!(
            merged("").as_deref(),
            Some("glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576")
        );
        assert_eq!(
            merged("glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2").as_deref(),
            Some("glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=1048576")
        );
        // A longer name that starts with a wanted one is another tunable.
        assert_eq!(
            merged("glibc.malloc.hugetlbx=3").as_deref(),
            Some("glibc.malloc.hugetlbx=3:glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576")
        );
        assert_eq!(
            merged("glibc.malloc.mmap_threshold=4096:glibc.malloc.hugetlb=1"),
            None
        );
    }
}
