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
