//! NAT behaviour per RFC 4787 (NAT Behavioral Requirements for Unicast UDP).
//!
//! - Mapping (§4.1): endpoint-independent, address-dependent or address-and-port-dependent: which
//!   outbound flows from one internal endpoint `X:x` share an external endpoint.
//! - Filtering (§5): which inbound datagrams to a mapping are let in: from anyone, only from IP
//!   addresses `X:x` has sent to, or only from exact endpoints it has sent to.
//! - Port assignment (§4.2.1): port preservation when the port is free, or random ports.
//! - Mapping refresh (§4.3): a mapping lives `mapping_timeout` after the last outbound datagram
//!   (REQ-6); inbound refresh is optional (off by default, as in most NATs).
//! - Hairpinning (§6): an internal host may reach another internal host through its external
//!   address; the source is then translated to the sender's external endpoint (REQ-9).

use crate::rng::Rng;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// How outbound flows share external endpoints (RFC 4787 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// One external endpoint per internal endpoint, whatever the destination.
    EndpointIndependent,
    /// One external endpoint per internal endpoint and destination IP address.
    AddressDependent,
    /// One external endpoint per internal endpoint and destination IP address and port.
    AddressAndPortDependent,
}

/// Which inbound datagrams a mapping admits (RFC 4787 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filtering {
    /// Any source.
    EndpointIndependent,
    /// Sources whose IP address the internal endpoint has sent to.
    AddressDependent,
    /// Sources whose IP address and port the internal endpoint has sent to.
    AddressAndPortDependent,
}

/// How external ports are chosen (RFC 4787 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortAssignment {
    /// Keep the internal port when it is free on the external address, else pick at random.
    Preserve,
    /// Always pick a random free port in 1024..=65535.
    Random,
}

/// A NAT's behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatConfig {
    /// Mapping behaviour.
    pub mapping: Mapping,
    /// Filtering behaviour.
    pub filtering: Filtering,
    /// Port assignment.
    pub port_assignment: PortAssignment,
    /// How long a mapping lives after the last datagram that refreshed it. RFC 4787 REQ-5: at
    /// least 2 minutes, 5 minutes recommended (the default).
    pub mapping_timeout: Duration,
    /// Whether inbound datagrams also refresh a mapping (RFC 4787 REQ-6 leaves it open).
    pub inbound_refresh: bool,
    /// Whether internal hosts can reach each other through the external address (REQ-9).
    pub hairpinning: bool,
}

impl NatConfig {
    /// "Full cone": endpoint-independent mapping and filtering.
    pub fn full_cone() -> Self {
        Self::new(Mapping::EndpointIndependent, Filtering::EndpointIndependent)
    }

    /// "Restricted cone": endpoint-independent mapping, address-dependent filtering.
    pub fn restricted_cone() -> Self {
        Self::new(Mapping::EndpointIndependent, Filtering::AddressDependent)
    }

    /// "Port-restricted cone": endpoint-independent mapping, address-and-port-dependent
    /// filtering (the RFC 4787 recommended mapping with the strictest filtering).
    pub fn port_restricted_cone() -> Self {
        Self::new(
            Mapping::EndpointIndependent,
            Filtering::AddressAndPortDependent,
        )
    }

    /// "Symmetric": address-and-port-dependent mapping and filtering, random ports.
    pub fn symmetric() -> Self {
        let mut c = Self::new(
            Mapping::AddressAndPortDependent,
            Filtering::AddressAndPortDependent,
        );
        c.port_assignment = PortAssignment::Random;
        c
    }

    /// Any combination, with port preservation, a 5-minute timeout, hairpinning on.
    pub fn new(mapping: Mapping, filtering: Filtering) -> Self {
        Self {
            mapping,
            filtering,
            port_assignment: PortAssignment::Preserve,
            mapping_timeout: Duration::from_secs(300),
            inbound_refresh: false,
            hairpinning: true,
        }
    }

    /// Sets the port assignment.
    pub fn port_assignment(mut self, p: PortAssignment) -> Self {
        self.port_assignment = p;
        self
    }

    /// Sets the mapping timeout.
    pub fn mapping_timeout(mut self, d: Duration) -> Self {
        self.mapping_timeout = d;
        self
    }

    /// Sets whether inbound traffic refreshes mappings.
    pub fn inbound_refresh(mut self, on: bool) -> Self {
        self.inbound_refresh = on;
        self
    }

    /// Sets hairpinning.
    pub fn hairpinning(mut self, on: bool) -> Self {
        self.hairpinning = on;
        self
    }
}

/// Why a NAT refused a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NatDrop {
    /// Inbound to an external port with no live mapping.
    NoMapping,
    /// Inbound from a source the filtering behaviour does not admit.
    Filtered,
    /// Hairpinning is off.
    HairpinDisabled,
    /// No external port is free.
    PortsExhausted,
    /// The datagram's address family is not the NAT's.
    WrongFamily,
}

/// What the NAT remembers about the destination, per mapping behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RemoteKey {
    Any,
    Ip(IpAddr),
    Endpoint(SocketAddr),
}

#[derive(Debug)]
struct Entry {
    internal: SocketAddr,
    key: RemoteKey,
    expires: Instant,
    /// Endpoints the internal side has sent to through this mapping, with their expiry.
    permissions: BTreeMap<SocketAddr, Instant>,
}

/// Counters of one NAT.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NatStats {
    /// Mappings created.
    pub mappings_created: u64,
    /// Mappings that timed out.
    pub mappings_expired: u64,
    /// Outbound datagrams translated.
    pub outbound: u64,
    /// Inbound datagrams admitted.
    pub inbound: u64,
    /// Inbound datagrams refused (no mapping or filtered).
    pub refused: u64,
    /// Hairpinned datagrams.
    pub hairpinned: u64,
}

/// One NAT's translation state.
#[derive(Debug)]
pub(crate) struct Nat {
    pub(crate) config: NatConfig,
    pub(crate) external_ip: IpAddr,
    rng: Rng,
    by_key: BTreeMap<(SocketAddr, RemoteKey), u16>,
    by_port: BTreeMap<u16, Entry>,
    /// Sweep expired mappings when the table grows past this size.
    sweep_at: usize,
    pub(crate) stats: NatStats,
}

const FIRST_RANDOM_PORT: u16 = 1024;

impl Nat {
    pub(crate) fn new(config: NatConfig, external_ip: IpAddr, rng: Rng) -> Self {
        Self {
            config,
            external_ip,
            rng,
            by_key: BTreeMap::new(),
            by_port: BTreeMap::new(),
            sweep_at: 64,
            stats: NatStats::default(),
        }
    }

    /// Live mappings (expired ones not yet swept may be counted until the next sweep).
    pub(crate) fn mapping_count(&self, now: Instant) -> usize {
        self.by_port.values().filter(|e| e.expires > now).count()
    }

    fn key(&self, remote: SocketAddr) -> RemoteKey {
        match self.config.mapping {
            Mapping::EndpointIndependent => RemoteKey::Any,
            Mapping::AddressDependent => RemoteKey::Ip(remote.ip()),
            Mapping::AddressAndPortDependent => RemoteKey::Endpoint(remote),
        }
    }

    /// Outbound: translates `internal` sending to `remote` into the external source endpoint,
    /// creating or refreshing the mapping and the filtering permission.
    pub(crate) fn outbound(
        &mut self,
        now: Instant,
        internal: SocketAddr,
        remote: SocketAddr,
    ) -> Result<SocketAddr, NatDrop> {
        if internal.is_ipv4() != self.external_ip.is_ipv4() {
            return Err(NatDrop::WrongFamily);
        }
        let key = self.key(remote);
        let expires = now + self.config.mapping_timeout;
        let port = match self.by_key.get(&(internal, key)).copied() {
            Some(port) if self.by_port.get(&port).is_some_and(|e| e.expires > now) => port,
            stale => {
                if let Some(port) = stale {
                    self.remove(port);
                }
                self.create(now, internal, key)?
            }
        };
        let entry = self
            .by_port
            .get_mut(&port)
            .expect("invariant: by_key and by_port name the same mappings");
        // RFC 4787 REQ-6: outbound traffic refreshes the mapping.
        entry.expires = expires;
        entry.permissions.insert(remote, expires);
        if entry.permissions.len() > 64 {
            entry.permissions.retain(|_, e| *e > now);
        }
        self.stats.outbound += 1;
        Ok(SocketAddr::new(self.external_ip, port))
    }

    fn create(
        &mut self,
        now: Instant,
        internal: SocketAddr,
        key: RemoteKey,
    ) -> Result<u16, NatDrop> {
        if self.by_port.len() >= self.sweep_at {
            self.sweep(now);
            self.sweep_at = (self.by_port.len() * 2).max(64);
        }
        let port = self.free_port(now, internal.port())?;
        self.by_key.insert((internal, key), port);
        self.by_port.insert(
            port,
            Entry {
                internal,
                key,
                expires: now,
                permissions: BTreeMap::new(),
            },
        );
        self.stats.mappings_created += 1;
        Ok(port)
    }

    fn free_port(&mut self, now: Instant, wanted: u16) -> Result<u16, NatDrop> {
        let is_free =
            |nat: &Self, p: u16| p != 0 && nat.by_port.get(&p).is_none_or(|e| e.expires <= now);
        if self.config.port_assignment == PortAssignment::Preserve && is_free(self, wanted) {
            self.remove(wanted);
            return Ok(wanted);
        }
        let span = u64::from(u16::MAX - FIRST_RANDOM_PORT) + 1;
        for _ in 0..64 {
            let p = FIRST_RANDOM_PORT + self.rng.below(span) as u16;
            if is_free(self, p) {
                self.remove(p);
                return Ok(p);
            }
        }
        // The table is nearly full: sweep and scan from a random start, so the choice stays
        // deterministic and terminates.
        self.sweep(now);
        let start = self.rng.below(span);
        (0..span)
            .map(|i| FIRST_RANDOM_PORT + ((start + i) % span) as u16)
            .find(|p| !self.by_port.contains_key(p))
            .ok_or(NatDrop::PortsExhausted)
    }

    fn remove(&mut self, port: u16) {
        if let Some(e) = self.by_port.remove(&port) {
            self.by_key.remove(&(e.internal, e.key));
        }
    }

    fn sweep(&mut self, now: Instant) {
        let expired: Vec<u16> = self
            .by_port
            .iter()
            .filter(|(_, e)| e.expires <= now)
            .map(|(p, _)| *p)
            .collect();
        self.stats.mappings_expired += expired.len() as u64;
        expired.into_iter().for_each(|p| self.remove(p));
    }

    /// Inbound: a datagram from `remote` to the external `port`; returns the internal endpoint
    /// to deliver to, or why it is refused.
    pub(crate) fn inbound(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        port: u16,
    ) -> Result<SocketAddr, NatDrop> {
        let Some(entry) = self.by_port.get_mut(&port) else {
            self.stats.refused += 1;
            return Err(NatDrop::NoMapping);
        };
        if entry.expires <= now {
            self.stats.refused += 1;
            self.stats.mappings_expired += 1;
            self.remove(port);
            return Err(NatDrop::NoMapping);
        }
        let admitted = match self.config.filtering {
            Filtering::EndpointIndependent => true,
            // RFC 4787 §5: X:x must have sent to Y:any (address-dependent) or to Y:y
            // (address-and-port-dependent) before Y's datagrams are let in.
            Filtering::AddressDependent => entry
                .permissions
                .iter()
                .any(|(a, e)| a.ip() == remote.ip() && *e > now),
            Filtering::AddressAndPortDependent => {
                entry.permissions.get(&remote).is_some_and(|e| *e > now)
            }
        };
        if !admitted {
            self.stats.refused += 1;
            return Err(NatDrop::Filtered);
        }
        if self.config.inbound_refresh {
            entry.expires = now + self.config.mapping_timeout;
        }
        self.stats.inbound += 1;
        Ok(entry.internal)
    }
}
