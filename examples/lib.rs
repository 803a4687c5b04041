//! The runnable examples of [`sansrtc`] live in this package so that building one compiles the
//! library and what the example needs, and none of the library's test and benchmark
//! dependencies. Run them from the repository's top directory:
//!
//! ```sh
//! cargo run --release --example session
//! cargo run --release --example udp_peer -- --help
//! ```
