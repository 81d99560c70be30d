//! Giving freed memory back to the system between the phases of a run.
//!
//! Loading a large policy and decoding thousands of service responses allocate and free
//! hundreds of megabytes of short-lived values. glibc's allocator keeps the freed pages
//! (they are scattered among live ones, so the heap cannot shrink from its top), and the
//! process's resident size stays at its high-water mark for the rest of the run. Asking it
//! to release them at a phase boundary keeps a plan of 100,000 objects within its memory
//! budget (bench/scale).

/// Fixes glibc's mmap threshold at its initial 128 KiB. By default the threshold rises each
/// time a large block is freed, after which large buffers (response bodies, plan JSON, the
/// access delta's vectors) are carved from the heap and fragment it for the rest of the run;
/// fixed, they are mapped on their own and unmapped when freed. bench/scale: 376 → 359 MB.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        /// glibc's `M_MMAP_THRESHOLD` parameter of `mallopt`.
        const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
        unsafe extern "C" {
            /// glibc: sets an allocator parameter; returns 1 on success.
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        // SAFETY: mallopt takes two integers and no pointer; called before the runtime
        // starts any thread.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        }
    }
}

/// Returns the allocator's free pages to the system, where the platform allows it.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            /// glibc: releases free memory from the heap's top and, with madvise, from
            /// free chunks inside it. Returns 1 if any memory was released.
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes no pointer, only a padding size, and is thread-safe
        // (it locks each arena it trims).
        unsafe {
            malloc_trim(0);
        }
    }
}
