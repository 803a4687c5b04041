//! ICE (RFC 8445 full and lite agent), with trickle (RFC 8838), consent freshness (RFC 7675)
//! and dual-stack preferences (RFC 8421).
//!
//! The [`IceAgent`] gathers host and server-reflexive candidates, forms and prunes pairs, runs the
//! checklist (Frozen / Waiting / In-Progress / Succeeded / Failed, paced every Ta, with a
//! triggered-check queue), resolves role conflicts, nominates (regular nomination when
//! controlling; aggressive nomination from older peers accepted when controlled), keeps consent
//! on the selected pair, and restarts. It has the crate's driver shape: `handle_receive`,
//! `handle_timeout`, `poll_transmit`, `poll_event`, `poll_timeout`.
//!
//! Timers and randomness come only from `now` and the `Ice`/`Stun` sub-streams of the peer's
//! [`RngRoot`](crate::rng::RngRoot).
//!
//! Used alone (ICE without the rest of WebRTC): create an [`IceAgent`], give it local
//! addresses, the remote's credentials and candidates, and drive it like any layer; data goes
//! out on [`IceAgent::selected_pair`]. [`IceAgent::pairs`] shows the checklist with per-pair
//! counters ([`PairStats`]).

mod agent;
pub mod candidate;

pub use agent::{
    Credentials, IceAgent, IceConfig, IceConnectionState, IceEvent, IceStats, PairState, PairStats,
    PairView,
};
pub use candidate::{Candidate, CandidateKind, candidate_priority, pair_priority};

#[cfg(test)]
mod tests;
