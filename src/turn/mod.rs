//! TURN (RFC 8656): the client allocation machine ([`TurnClient`], driven by the `Peer` for
//! relayed candidates), a sans-IO server ([`TurnServer`], for the simulator and real sockets),
//! the ChannelData codec (§12) and time-limited REST credentials.
//!
//! The STUN methods and attributes TURN uses (Allocate, Refresh, CreatePermission, ChannelBind,
//! Send / Data indications; XOR-RELAYED-ADDRESS, LIFETIME, XOR-PEER-ADDRESS, DATA,
//! CHANNEL-NUMBER, REQUESTED-TRANSPORT) live in [`crate::stun`].
//!
//! Used alone: a [`TurnClient`] per (local socket, server) gives a relayed address and relays
//! datagrams (`send_to`, `handle_receive`); a [`TurnServer`] answers clients on real sockets or
//! in the simulator ([`crate::sim::Node`]).

mod client;
mod server;
#[cfg(test)]
mod tests;

pub use client::{TurnClient, TurnClientStats, TurnConfig, TurnError, TurnEvent, TurnReceive};
pub use server::{TurnCredentials, TurnServer, TurnServerConfig, TurnServerStats};

use hmac::{Hmac, KeyInit, Mac};
use std::time::Duration;

/// The channel numbers a client may bind (RFC 8656 §12: 0x4000 through 0x4FFF).
pub const CHANNEL_NUMBERS: std::ops::RangeInclusive<u16> = 0x4000..=0x4FFF;

/// Why a ChannelData message did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelDataError {
    /// Shorter than its 4-byte header or its declared length.
    #[error("ChannelData truncated")]
    Truncated,
    /// The first two bits are not 0b01 (RFC 8656 §12: 0x4000..=0x7FFF; 0x5000.. reserved).
    #[error("not a ChannelData channel number: {0:#06x}")]
    BadChannel(u16),
}

/// A ChannelData message (RFC 8656 §12.4): channel number, length, application data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    /// The channel number.
    pub channel: u16,
    /// The application data (without padding).
    pub data: &'a [u8],
}

impl<'a> ChannelData<'a> {
    /// Parses one ChannelData message. Over UDP the datagram may carry padding after the data
    /// (§12.5); anything after the declared length is ignored.
    pub fn parse(b: &'a [u8]) -> Result<Self, ChannelDataError> {
        if b.len() < 4 {
            return Err(ChannelDataError::Truncated);
        }
        let channel = u16::from_be_bytes([b[0], b[1]]);
        if !CHANNEL_NUMBERS.contains(&channel) {
            return Err(ChannelDataError::BadChannel(channel));
        }
        let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
        let data = b.get(4..4 + len).ok_or(ChannelDataError::Truncated)?;
        Ok(Self { channel, data })
    }

    /// Bytes [`encode`](Self::encode) writes: with `pad` (required over TCP, §12.5) the data is
    /// padded to a multiple of 4.
    pub fn encoded_len(&self, pad: bool) -> usize {
        let n = 4 + self.data.len().min(usize::from(u16::MAX));
        if pad { n.next_multiple_of(4) } else { n }
    }

    /// Appends the wire form. Data longer than 65535 bytes is the caller's error and is cut.
    pub fn encode(&self, pad: bool, out: &mut Vec<u8>) {
        let data = &self.data[..self.data.len().min(usize::from(u16::MAX))];
        out.extend_from_slice(&self.channel.to_be_bytes());
        let len = u16::try_from(data.len()).expect("invariant: cut to 16 bits above");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(data);
        if pad {
            out.resize(out.len() + (4 - data.len() % 4) % 4, 0);
        }
    }
}

/// Time-limited credentials in the TURN REST convention (draft-uberti-behave-turn-rest, as
/// coturn's `use-auth-secret` implements it): username `expiry:user` with `expiry` in Unix
/// seconds, password base64(HMAC-SHA1(shared secret, username)).
#[derive(Clone, PartialEq, Eq)]
pub struct RestCredentials {
    /// `expiry:user`.
    pub username: String,
    /// base64(HMAC-SHA1(secret, username)).
    pub password: String,
}

impl std::fmt::Debug for RestCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl RestCredentials {
    /// Credentials for `user` valid for `ttl` from `now_unix` (the caller's wall clock in Unix
    /// seconds: a sans-IO crate reads no clock).
    pub fn new(secret: &[u8], user: &str, now_unix: u64, ttl: Duration) -> Self {
        let username = format!("{}:{user}", now_unix.saturating_add(ttl.as_secs()));
        let password = rest_password(secret, &username);
        Self { username, password }
    }

    /// The expiry (Unix seconds) a REST username carries, if it has one.
    pub fn expiry_of(username: &str) -> Option<u64> {
        username.split_once(':')?.0.parse().ok()
    }
}

/// base64(HMAC-SHA1(secret, username)).
pub(crate) fn rest_password(secret: &[u8], username: &str) -> String {
    use base64ct::Encoding;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret)
        .expect("invariant: HMAC takes keys of any length");
    mac.update(username.as_bytes());
    base64ct::Base64::encode_string(&mac.finalize().into_bytes())
}
