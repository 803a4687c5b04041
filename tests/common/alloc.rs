//! A counting global allocator for tests and benches that measure memory: allocation calls and
//! live bytes, per thread (tests run in parallel threads of one process) and for the whole process.
//! Include it with `#[path = "common/alloc.rs"] mod alloc;`: declaring it registers it as the
//! global allocator of that test or bench binary.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

thread_local! {
    static CALLS: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

static GLOBAL_LIVE: AtomicIsize = AtomicIsize::new(0);

fn add(calls: u64, bytes: isize) {
    let _ = CALLS.try_with(|c| c.set(c.get() + calls));
    let _ = LIVE.try_with(|c| c.set(c.get() + bytes));
    GLOBAL_LIVE.fetch_add(bytes, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(1, layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(1, layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(0, -(layout.size() as isize));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(1, new_size as isize - layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocation calls (alloc, alloc_zeroed, realloc) made by this thread so far.
pub fn calls() -> u64 {
    CALLS.with(|c| c.get())
}

/// Bytes allocated by this thread and not yet freed (frees on other threads skew it: measure
/// single-threaded work).
pub fn live() -> isize {
    LIVE.with(|c| c.get())
}

/// Bytes allocated and not yet freed, whole process.
pub fn global_live() -> isize {
    GLOBAL_LIVE.load(Ordering::Relaxed)
}
