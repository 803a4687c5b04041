//! ICE candidates and candidate pairs: priorities (RFC 8445 §5.1.2, §6.1.2.3), foundations
//! (§5.1.1.3), local preference for dual-stack hosts (RFC 8421 §4).

use crate::net::Protocol;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// The kind of a candidate (RFC 8445 §5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CandidateKind {
    /// An address of a local interface.
    Host,
    /// The address a STUN server saw (our NAT's mapping).
    ServerReflexive,
    /// Learned from a connectivity check.
    PeerReflexive,
    /// Allocated on a TURN server.
    Relayed,
}

impl CandidateKind {
    /// RFC 8445 §5.1.2.2: recommended type preferences.
    pub fn type_preference(self) -> u32 {
        match self {
            CandidateKind::Host => 126,
            CandidateKind::PeerReflexive => 110,
            CandidateKind::ServerReflexive => 100,
            CandidateKind::Relayed => 0,
        }
    }

    /// The SDP `typ` token (RFC 8839 §5.1).
    pub fn sdp_name(self) -> &'static str {
        match self {
            CandidateKind::Host => "host",
            CandidateKind::ServerReflexive => "srflx",
            CandidateKind::PeerReflexive => "prflx",
            CandidateKind::Relayed => "relay",
        }
    }
}

/// RFC 8445 §5.1.2.1: `priority = 2^24·type_pref + 2^8·local_pref + (256 − component)`.
pub fn candidate_priority(kind: CandidateKind, local_preference: u16, component: u16) -> u32 {
    (kind.type_preference() << 24)
        + (u32::from(local_preference) << 8)
        + (256 - u32::from(component.clamp(1, 256)))
}

/// RFC 8445 §6.1.2.3: `2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0)`, with G the controlling
/// agent's candidate priority and D the controlled agent's.
///
/// Exact for every priority §5.1.2.1 allows (1..=2^31−1). A peer may still send larger values;
/// the one input that overflows u64 (both u32::MAX) saturates instead of panicking.
pub fn pair_priority(controlling: u32, controlled: u32) -> u64 {
    let (g, d) = (u128::from(controlling), u128::from(controlled));
    let p = (g.min(d) << 32) + 2 * g.max(d) + u128::from(g > d);
    u64::try_from(p).unwrap_or(u64::MAX)
}

/// RFC 8421 §4: local preference for a host with several addresses. IPv6 is preferred, but the
/// families are interleaved (v6, v4, v6, v4, ...) so IPv4 is not tried only after every IPv6
/// address; within a family, earlier-declared addresses rank higher. `family_index` is the
/// address's position among the declared addresses of its own family, so adding an address
/// never changes the preference of those declared before it.
pub fn local_preference(ip: IpAddr, family_index: usize) -> u16 {
    let rank = 2 * family_index + usize::from(ip.is_ipv4());
    65535u16.saturating_sub(rank.min(65535) as u16)
}

/// RFC 8445 §5.1.1.3: the same for candidates with the same type, base IP, transport protocol
/// and STUN/TURN server, different otherwise. Derived from those fields, so both sides and every
/// run agree on it without shared state.
pub fn foundation(
    kind: CandidateKind,
    base: IpAddr,
    protocol: Protocol,
    server: Option<IpAddr>,
) -> String {
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind as u8, protocol as u8]);
    let mut ip = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => h.update(&v4.octets()),
        IpAddr::V6(v6) => h.update(&v6.octets()),
    };
    ip(base);
    if let Some(s) = server {
        ip(s);
    }
    h.finalize().to_string()
}

/// An ICE candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its kind.
    pub kind: CandidateKind,
    /// The transport address.
    pub address: SocketAddr,
    /// The base: the local address sent from (RFC 8445 §5.1.1.1); for remote candidates, the
    /// address itself.
    pub base: SocketAddr,
    /// `raddr`/`rport` for reflexive and relayed candidates.
    pub related: Option<SocketAddr>,
    /// Its priority.
    pub priority: u32,
    /// Its foundation.
    pub foundation: String,
    /// Component id (1: WebRTC bundles everything on RTP's component).
    pub component: u16,
    /// Transport.
    pub protocol: Protocol,
}

impl Candidate {
    /// A host candidate for a local socket address.
    pub fn host(address: SocketAddr, local_preference: u16) -> Self {
        Self {
            kind: CandidateKind::Host,
            address,
            base: address,
            related: None,
            priority: candidate_priority(CandidateKind::Host, local_preference, 1),
            foundation: foundation(CandidateKind::Host, address.ip(), Protocol::Udp, None),
            component: 1,
            protocol: Protocol::Udp,
        }
    }

    /// A remote candidate as signalled (SDP or trickle).
    pub fn remote(
        kind: CandidateKind,
        address: SocketAddr,
        priority: u32,
        foundation: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            address,
            base: address,
            related: None,
            priority,
            foundation: foundation.into(),
            component: 1,
            protocol: Protocol::Udp,
        }
    }

    /// The local preference bits of the priority.
    pub fn local_preference(&self) -> u16 {
        ((self.priority >> 8) & 0xFFFF) as u16
    }
}

impl fmt::Display for Candidate {
    /// The SDP `candidate` attribute value (RFC 8839 §5.1), without the `candidate:` prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.protocol.to_string().to_uppercase(),
            self.priority,
            self.address.ip(),
            self.address.port(),
            self.kind.sdp_name()
        )?;
        if let Some(r) = self.related {
            write!(f, " raddr {} rport {}", r.ip(), r.port())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_priorities() {
        // RFC 8445 §5.1.2.1 by hand: host, local pref 65535, component 1:
        // 126·2^24 + 65535·2^8 + 255.
        assert_eq!(
            candidate_priority(CandidateKind::Host, 65535, 1),
            2_130_706_431
        );
        assert_eq!(
            candidate_priority(CandidateKind::PeerReflexive, 65535, 1),
            1_862_270_975
        );
        assert_eq!(
            candidate_priority(CandidateKind::ServerReflexive, 65535, 1),
            1_694_498_815
        );
        assert_eq!(candidate_priority(CandidateKind::Relayed, 0, 1), 255);
        assert_eq!(
            candidate_priority(CandidateKind::Host, 65535, 2),
            2_130_706_430
        );
    }

    #[test]
    fn pair_priority_by_hand() {
        // G > D: 2^32·D + 2·G + 1.
        assert_eq!(pair_priority(10, 5), (5u64 << 32) + 20 + 1);
        // G < D: 2^32·G + 2·D + 0.
        assert_eq!(pair_priority(5, 10), (5u64 << 32) + 20);
        // G = D: 2^32·G + 2·G + 0 (webrtc-rs and Pion got this off by one).
        assert_eq!(pair_priority(7, 7), (7u64 << 32) + 14);
        // Extremes: the largest valid priority (2^31 − 1) is exact; beyond it, no panic.
        let max = (1u32 << 31) - 1;
        assert_eq!(
            pair_priority(max, max),
            (u64::from(max) << 32) + 2 * u64::from(max)
        );
        assert_eq!(
            pair_priority(max, max - 1),
            (u64::from(max - 1) << 32) + 2 * u64::from(max) + 1
        );
        assert_eq!(
            pair_priority(u32::MAX - 1, u32::MAX),
            ((u64::from(u32::MAX) - 1) << 32) + 2 * u64::from(u32::MAX)
        );
        assert_eq!(pair_priority(u32::MAX, u32::MAX), u64::MAX);
        assert_eq!(pair_priority(u32::MAX, 0), 2 * u64::from(u32::MAX) + 1);
        assert_eq!(pair_priority(0, u32::MAX), 2 * u64::from(u32::MAX));
        assert_eq!(pair_priority(0, 0), 0);
        // The role swap changes only the tie bit's side.
        assert_eq!(pair_priority(10, 5) - pair_priority(5, 10), 1);
    }

    #[test]
    fn dual_stack_local_preference_interleaves() {
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let order = [
            local_preference(v6, 0),
            local_preference(v4, 0),
            local_preference(v6, 1),
            local_preference(v4, 1),
        ];
        assert!(order.windows(2).all(|w| w[0] > w[1]), "{order:?}");
        assert_eq!(order[0], 65535);
    }

    #[test]
    fn foundations_follow_the_rule() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let s: IpAddr = "192.0.2.1".parse().unwrap();
        let f = |k, base, server| foundation(k, base, Protocol::Udp, server);
        assert_eq!(
            f(CandidateKind::Host, a, None),
            f(CandidateKind::Host, a, None)
        );
        assert_ne!(
            f(CandidateKind::Host, a, None),
            f(CandidateKind::Host, b, None)
        );
        assert_ne!(
            f(CandidateKind::Host, a, None),
            f(CandidateKind::ServerReflexive, a, Some(s))
        );
        assert_ne!(
            f(CandidateKind::ServerReflexive, a, Some(s)),
            f(CandidateKind::ServerReflexive, a, Some(b))
        );
        assert_ne!(
            foundation(CandidateKind::Host, a, Protocol::Tcp, None),
            f(CandidateKind::Host, a, None)
        );
    }

    #[test]
    fn sdp_form() {
        let mut c = Candidate::host("192.0.2.1:5000".parse().unwrap(), 65535);
        c.foundation = "1".into();
        assert_eq!(c.to_string(), "1 1 UDP 2130706431 192.0.2.1 5000 typ host");
        c.related = Some("10.0.0.1:1".parse().unwrap());
        assert!(c.to_string().ends_with("raddr 10.0.0.1 rport 1"));
        assert_eq!(c.local_preference(), 65535);
    }
}
