//! `nasc`: the command-line program. Every subcommand is a module of [`cli`].

mod cli;

use std::process::ExitCode;

/// The compiler runs on a thread with a stack sized for its deepest walks: every walk over
/// user structure is bounded (docs/limits.md), and 64 MiB leaves a wide margin even for
/// unoptimised builds.
fn main() -> ExitCode {
    keep_freed_memory();
    match std::thread::Builder::new().name("nasc".into()).stack_size(64 << 20).spawn(cli::run) {
        Ok(h) => h.join().unwrap_or_else(|_| {
            eprintln!(
                "internal error: nasc panicked; this is a bug, please report it with the spec and command"
            );
            ExitCode::from(101)
        }),
        Err(_) => cli::run(),
    }
}

/// glibc's malloc serves every block over 128 KiB-32 MiB (its adaptive threshold) with its own
/// `mmap` and gives it back to the kernel when freed, and trims the heap's top: a training step
/// frees and allocates whole tensors op by op, so each step faulted fresh pages in and the
/// kernel zeroed them again (page faults and `clear_page` were ~8% of a CPU training step).
/// Keeping freed memory in the heap costs no peak memory (the peak step holds the same tensors)
/// and buys 10-20% (BENCHMARKS.md, "Allocator"). `MALLOC_MMAP_THRESHOLD_` or
/// `MALLOC_TRIM_THRESHOLD_` in the environment leave glibc's settings to the user.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let set = |var: &str| std::env::var_os(var).is_some();
        if set("MALLOC_MMAP_THRESHOLD_") || set("MALLOC_TRIM_THRESHOLD_") {
            return;
        }
        // SAFETY: mallopt only changes the allocator's parameters; no other thread runs yet.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        }
    }
}
