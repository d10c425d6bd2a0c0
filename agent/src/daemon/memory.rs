//! The session daemon's allocator settings: an idle daemon should hold as little private memory
//! as it can (issue 16: under 1 MiB per daemon at 50 sessions; where it goes is measured in
//! `docs/daemon-memory.md`).
//!
//! glibc's malloc gives threads that allocate at the same time arenas of their own (up to eight
//! per core), and each keeps the pages it once used. The daemon's threads (PTY reader and writer,
//! child waiter, screen model, the runtime) allocate little, so [`configure`] makes them share
//! one. (Giving blocks of 64 KiB and more pages of their own, `M_MMAP_THRESHOLD`, was measured
//! and saved nothing: the PTY reader's buffer is not zero-filled from a fresh heap.) Freed
//! memory goes back to the kernel only from the top of the heap, so the buffers of a connection
//! that has ended could stay resident for the daemon's whole life: [`give_back`] returns them.

/// One malloc arena for every thread. Call it before any thread starts.
pub fn configure() {
    // SAFETY: mallopt only tunes the allocator; the caller runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Returns the heap's free pages to the kernel (`malloc_trim`): a few hundred microseconds at
/// most for a daemon's heap, done when a connection has ended.
pub fn give_back() {
    // SAFETY: malloc_trim takes the allocator's own locks; it frees nothing that is in use.
    unsafe {
        libc::malloc_trim(0);
    }
}
