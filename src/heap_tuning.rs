//! The heap: mimalloc, and how the server sets it up.
//!
//! Why mimalloc rather than glibc's malloc: sled allocates and frees a node copy or two
//! for each insert, and glibc's allocator (its bins, `malloc_consolidate`, arena locks)
//! costs a quarter of an import's CPU and a sixth of a write's. With mimalloc, at 1M: a CSV import streams 30 % faster, 32 concurrent writers commit
//! 5.0–5.9 k links/s against 4.1–4.5 k, and a 2-hop answer costs 123–147 µs of server
//! CPU against 151–169 (BENCHMARKS.md).
//!
//! mimalloc asks the kernel for transparent huge pages on its large regions by itself
//! (the graph and its views: a 2-hop answer touches a few hundred scattered places in
//! them). What the server sets is how soon freed memory goes back to the system:
//! `MIMALLOC_PURGE_DELAY=100` (ms). With mimalloc's default (1 s, and only when the heap
//! is used again) the memory of building the 1M graph's views stayed resident: 972 MB
//! after opening, against 851–917 MB with 100 ms, 835 MB with 0 and 831 MB with glibc
//! (the same store, back to back), and the server is held to 1 GiB. At 0 every large
//! answer's buffer came back as fresh pages to fault in: 2-hop at 1M fell from
//! 11.7–12.8 k to 8.6–9.8 k req/s.
//!
//! mimalloc reads its options from the environment when the process starts, so the
//! server restarts itself once with them set (`exec`: same process id). Options
//! already set by the environment are kept. Elsewhere (not Unix) this does nothing.

/// The environment variables asked for, and their values.
const SETTINGS: [(&str, &str); 1] = [("MIMALLOC_PURGE_DELAY", "100")];

/// Replaces this process with itself run with [`SETTINGS`] in its environment, unless
/// each is set already. Returns only when nothing is to be done or the restart failed:
/// the caller goes on either way.
pub fn restart_with_heap_settings() {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;

        let missing = missing(|name| std::env::var_os(name).is_some());
        if missing.is_empty() {
            return;
        }
        // On Linux `/proc/self/exe` is this very binary even if its file was replaced.
        let binary = if cfg!(target_os = "linux") {
            Ok("/proc/self/exe".into())
        } else {
            std::env::current_exe()
        };
        let mut args = std::env::args_os();
        let arg0 = args.next().unwrap_or_else(|| "pobratim".into());
        let error = match binary {
            Ok(binary) => std::process::Command::new(binary)
                .arg0(arg0)
                .args(args)
                .envs(missing)
                .exec(),
            Err(error) => error,
        };
        tracing::warn!(%error, "cannot restart with the heap settings; going on without them");
    }
    #[cfg(not(unix))]
    let _ = missing;
}

/// The [`SETTINGS`] whose variable `is_set` says is not set.
fn missing(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    SETTINGS
        .into_iter()
        .filter(|(name, _)| !is_set(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::missing;

    #[test]
    fn settings_made_by_the_environment_are_kept_and_the_others_added() {
        assert_eq!(missing(|_| false), vec![("MIMALLOC_PURGE_DELAY", "100")]);
        assert!(missing(|name| name == "MIMALLOC_PURGE_DELAY").is_empty());
        assert_eq!(
            missing(|name| name == "MIMALLOC_PURGE"),
            vec![("MIMALLOC_PURGE_DELAY", "100")]
        );
    }
}
