//! Helpers shared by the scenario tests.
#![allow(dead_code, clippy::disallowed_methods)]

use std::net::SocketAddr;
use std::time::Instant;

/// The one wall-clock read of a test: every other instant is `base() + Duration`.
pub fn base() -> Instant {
    Instant::now()
}

/// The seed for this run: `SIM_SEED` or the test's default. Failures print it.
pub fn seed(default: u64) -> u64 {
    sansrtc::sim::seed_from_env(default)
}

pub fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

pub mod ice;
pub mod pair;
pub mod peer;
