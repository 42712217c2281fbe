//! How the `dpgan` process asks glibc's allocator to treat libtorch's large blocks.
//!
//! glibc serves blocks above its mmap threshold (at most 32 MB) with fresh `mmap`s and returns
//! them to the system on free, so a training step whose largest activations exceed 32 MB (the
//! first convolution's output for the private step's 64 real + 64 generated rows is 33.5 MB)
//! page-faults and zeroes them afresh every step. The `dpgan` binary asks glibc to serve every
//! block from its heap and to keep freed memory for reuse (`M_MMAP_MAX` = 0, a trim threshold
//! of 2 GiB): the caching behaviour PyTorch's CPU performance guide obtains by preloading
//! jemalloc or tcmalloc. Measured with `dpgan bench dp-step` on 2 cores: the non-private step
//! 375 → 330 ms, the private step 500–540 → 400–407 ms; peak memory grows (the heap keeps what
//! was freed). Set `DPGAN_MALLOC_DEFAULTS=1` to leave glibc's defaults.

/// Applies the policy above (Linux with glibc only; elsewhere nothing). Call once, first thing
/// in `main`, before any allocation of note.
pub fn keep_freed_memory() {
    if std::env::var_os("DPGAN_MALLOC_DEFAULTS").is_some_and(|v| v != "0") {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}
