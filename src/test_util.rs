//! Helpers for the crate's unit tests.
#![allow(
    clippy::disallowed_methods,
    reason = "tests take one wall-clock base instant"
)]

use std::time::Instant;

/// The one wall-clock read of a test: every other instant is `base() + Duration`.
pub(crate) fn base() -> Instant {
    Instant::now()
}

/// Hex to bytes, ignoring whitespace (test vectors are pasted as published).
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    s.chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}
