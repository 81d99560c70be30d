//! Giving freed memory back to the system between the phases of a run.
//!
//! Loading a large policy and decoding thousands of service responses allocate and free
//! hundreds of megabytes of short-lived values. glibc's allocator keeps the freed pages
//! (they are scattered among live ones, so the heap cannot shrink from its top), and the
//! process's resident size stays at its high-water mark for the rest of the run. Asking it
//! to release them at a phase boundary keeps a plan of 100,000 objects within its memory
//! budget (bench/scale).

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
