//! A sans-IO STUN server answering Binding requests (RFC 8489 §6.3), for the simulator and for
//! real sockets alike.
//!
//! - A Binding request gets a success response carrying XOR-MAPPED-ADDRESS: the source address
//!   the request arrived from, which is the client's server-reflexive address (RFC 8489 §6.3.1.1).
//! - A request with unknown comprehension-required attributes gets a 420 listing them in
//!   UNKNOWN-ATTRIBUTES (RFC 8489 §6.3.1); a request for another method gets a 400.
//! - Indications (keepalives) are absorbed; responses are dropped. Nothing that is not a
//!   well-formed request is ever answered, and every drop is counted.
//! - FINGERPRINT is included in the response when the request carried one (RFC 8489 §7 leaves it to
//!   the usage; mirroring it lets a client that multiplexes protocols recognise the answer).
//! - No amplification beyond the protocol's own (RFC 8489 §16.1.3): an error response larger than
//!   its request is not sent (counted), SOFTWARE only where it fits within the request's size.
//!   A Binding success always goes out: 32–44 bytes against a bare 20-byte request.

use super::{Class, MessageView, Method, StunAttribute, StunMessage};
use crate::net::{Datagram, Transmit};
use bytes::Bytes;
use std::collections::VecDeque;
use std::time::Instant;

/// How many responses may wait for `poll_transmit` before new requests are dropped: a driver
/// that never polls cannot make the server grow without bound.
pub const MAX_QUEUED_RESPONSES: usize = 1024;

/// Counters of what the server did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StunServerStats {
    /// Binding success responses sent.
    pub binding_responses: u64,
    /// Error responses sent (400, 420).
    pub error_responses: u64,
    /// Indications absorbed.
    pub indications: u64,
    /// Datagrams that were not STUN or failed validation.
    pub dropped_malformed: u64,
    /// STUN responses received (a server never expects one).
    pub dropped_responses: u64,
    /// Requests dropped because the response queue was full.
    pub dropped_queue_full: u64,
    /// Error responses not sent because they would have been larger than the request.
    pub dropped_amplification: u64,
}

/// `n` rounded up to a multiple of 4 (STUN attribute padding).
fn pad4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// A STUN Binding server.
#[derive(Debug, Default)]
pub struct StunServer {
    software: Option<String>,
    queue: VecDeque<Transmit>,
    stats: StunServerStats,
}

impl StunServer {
    /// A server that sends no SOFTWARE attribute.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a SOFTWARE attribute to responses, where it does not make a response larger than
    /// its request (no amplification for an optional attribute).
    pub fn with_software(mut self, software: impl Into<String>) -> Self {
        self.software = Some(software.into());
        self
    }

    /// What the server has done so far.
    pub fn stats(&self) -> StunServerStats {
        self.stats
    }

    /// Handles one received datagram.
    pub fn handle_receive(&mut self, _now: Instant, datagram: Datagram<'_>) {
        let Ok(view) = MessageView::parse(datagram.contents) else {
            self.stats.dropped_malformed += 1;
            return;
        };
        match view.class() {
            Class::Request => {}
            Class::Indication => {
                self.stats.indications += 1;
                return;
            }
            Class::SuccessResponse | Class::ErrorResponse => {
                self.stats.dropped_responses += 1;
                return;
            }
        }
        if self.queue.len() >= MAX_QUEUED_RESPONSES {
            self.stats.dropped_queue_full += 1;
            return;
        }
        let with_fingerprint = view.get(super::AttributeType::FINGERPRINT).is_some();
        let unknown = view.unknown_comprehension_required();
        let mut response;
        if !unknown.is_empty() {
            // RFC 8489 §6.3.1: 420 (Unknown Attribute) listing the offending types.
            response = StunMessage::new(Class::ErrorResponse, view.method(), view.transaction_id());
            response.attributes.push(StunAttribute::ErrorCode {
                code: 420,
                reason: "Unknown Attribute".into(),
            });
            response
                .attributes
                .push(StunAttribute::UnknownAttributes(unknown));
            self.stats.error_responses += 1;
        } else if view.method() != Method::BINDING {
            response = StunMessage::new(Class::ErrorResponse, view.method(), view.transaction_id());
            response.attributes.push(StunAttribute::ErrorCode {
                code: 400,
                reason: "Bad Request".into(),
            });
            self.stats.error_responses += 1;
        } else {
            // RFC 8489 §6.3.1.1: the reflexive transport address is the request's source.
            response = StunMessage::new(
                Class::SuccessResponse,
                Method::BINDING,
                view.transaction_id(),
            );
            response
                .attributes
                .push(StunAttribute::XorMappedAddress(datagram.source));
            self.stats.binding_responses += 1;
        }
        if with_fingerprint {
            response.attributes.push(StunAttribute::Fingerprint);
        }
        // No amplification from us beyond what the protocol needs (RFC 8489 §16.1.3): an error
        // response larger than its request is not sent, and SOFTWARE (optional) goes only
        // where it keeps the response within the request's size. A Binding success is sent
        // whatever its size: XOR-MAPPED-ADDRESS is what a STUN server is for (32–44 bytes
        // against a bare 20-byte request, 1.6–2.2×, and no state kept).
        let request_len = datagram.contents.len();
        if response.class == Class::ErrorResponse && response.encoded_len() > request_len {
            self.stats.error_responses -= 1;
            self.stats.dropped_amplification += 1;
            return;
        }
        if let Some(s) = &self.software
            && response.encoded_len() + 4 + pad4(s.len()) <= request_len
        {
            let at = response.attributes.len() - usize::from(with_fingerprint);
            response
                .attributes
                .insert(at, StunAttribute::Software(s.clone()));
        }
        self.queue.push_back(Transmit {
            source: datagram.destination,
            destination: datagram.source,
            protocol: datagram.protocol,
            contents: Bytes::from(
                response
                    .to_bytes()
                    .expect("invariant: a Binding response is a few dozen bytes"),
            ),
        });
    }

    /// The server has no timers.
    pub fn handle_timeout(&mut self, _now: Instant) {}

    /// The next response to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.queue.pop_front()
    }

    /// The server has no timers.
    pub fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Protocol;
    use crate::stun::{AttributeType, TransactionId};

    fn request(attrs: Vec<StunAttribute>, method: Method) -> Vec<u8> {
        let mut m = StunMessage::new(Class::Request, method, TransactionId([5; 12]));
        m.attributes = attrs;
        m.to_bytes().unwrap()
    }

    fn ask(server: &mut StunServer, bytes: &[u8]) -> Option<StunMessage> {
        server.handle_receive(
            crate::test_util::base(),
            Datagram {
                source: "198.51.100.7:4242".parse().unwrap(),
                destination: "192.0.2.1:3478".parse().unwrap(),
                protocol: Protocol::Udp,
                contents: bytes,
            },
        );
        server.poll_transmit().map(|t| {
            assert_eq!(t.destination, "198.51.100.7:4242".parse().unwrap());
            assert_eq!(t.source, "192.0.2.1:3478".parse().unwrap());
            StunMessage::parse(&t.contents).unwrap()
        })
    }

    #[test]
    fn binding_gets_xor_mapped_address() {
        let mut s = StunServer::new().with_software("sansrtc");
        let r = ask(
            &mut s,
            &request(vec![StunAttribute::Fingerprint], Method::BINDING),
        )
        .unwrap();
        assert_eq!(r.class, Class::SuccessResponse);
        assert_eq!(r.transaction_id, TransactionId([5; 12]));
        assert_eq!(
            r.get(AttributeType::XOR_MAPPED_ADDRESS),
            Some(&StunAttribute::XorMappedAddress(
                "198.51.100.7:4242".parse().unwrap()
            ))
        );
        assert!(matches!(
            r.attributes.last(),
            Some(StunAttribute::Fingerprint)
        ));
        assert_eq!(s.stats().binding_responses, 1);
        // SOFTWARE would make this small request's answer larger still: left out. A larger
        // request gets it.
        assert!(r.get(AttributeType::SOFTWARE).is_none());
        let padding = StunAttribute::Other {
            typ: AttributeType(0xC002),
            value: vec![0; 40],
        };
        let r = ask(&mut s, &request(vec![padding], Method::BINDING)).unwrap();
        assert_eq!(
            r.get(AttributeType::SOFTWARE),
            Some(&StunAttribute::Software("sansrtc".into()))
        );
    }

    #[test]
    fn unknown_required_attribute_gets_420() {
        let mut s = StunServer::new();
        let unknown = StunAttribute::Other {
            typ: AttributeType(0x7001),
            value: vec![],
        };
        // Answered when the request is at least as large as the answer (a real client's is)...
        let padding = StunAttribute::Other {
            typ: AttributeType(0xC002),
            value: vec![0; 40],
        };
        let r = ask(
            &mut s,
            &request(vec![unknown.clone(), padding], Method::BINDING),
        )
        .unwrap();
        assert_eq!(r.class, Class::ErrorResponse);
        assert_eq!(
            r.get(AttributeType::ERROR_CODE),
            Some(&StunAttribute::ErrorCode {
                code: 420,
                reason: "Unknown Attribute".into()
            })
        );
        assert_eq!(
            r.get(AttributeType::UNKNOWN_ATTRIBUTES),
            Some(&StunAttribute::UnknownAttributes(vec![AttributeType(
                0x7001
            )]))
        );
        // An unknown comprehension-optional attribute is ignored.
        let optional = StunAttribute::Other {
            typ: AttributeType(0xC001),
            value: vec![],
        };
        let r = ask(&mut s, &request(vec![optional], Method::BINDING)).unwrap();
        assert_eq!(r.class, Class::SuccessResponse);
        // ...never when it would be larger than the request (no amplification): counted.
        assert!(ask(&mut s, &request(vec![unknown], Method::BINDING)).is_none());
        assert_eq!(s.stats().dropped_amplification, 1);
    }

    #[test]
    fn other_methods_get_400_and_junk_is_dropped() {
        let mut s = StunServer::new();
        let padding = StunAttribute::Other {
            typ: AttributeType(0xC002),
            value: vec![0; 40],
        };
        let r = ask(&mut s, &request(vec![padding], Method::ALLOCATE)).unwrap();
        assert_eq!(r.class, Class::ErrorResponse);
        // A bare 20-byte request would draw a 40-byte 400: not answered.
        assert!(ask(&mut s, &request(vec![], Method::ALLOCATE)).is_none());
        assert_eq!(s.stats().dropped_amplification, 1);
        assert!(ask(&mut s, b"hello").is_none());
        let mut ind = StunMessage::new(Class::Indication, Method::BINDING, TransactionId([1; 12]));
        assert!(ask(&mut s, &ind.to_bytes().unwrap()).is_none());
        ind.class = Class::SuccessResponse;
        assert!(ask(&mut s, &ind.to_bytes().unwrap()).is_none());
        let st = s.stats();
        assert_eq!(
            (
                st.dropped_malformed,
                st.indications,
                st.dropped_responses,
                st.error_responses
            ),
            (1, 1, 1, 1)
        );
    }

    #[test]
    fn queue_is_bounded() {
        let mut s = StunServer::new();
        let req = request(vec![], Method::BINDING);
        for _ in 0..MAX_QUEUED_RESPONSES + 10 {
            s.handle_receive(
                crate::test_util::base(),
                Datagram {
                    source: "198.51.100.7:1".parse().unwrap(),
                    destination: "192.0.2.1:3478".parse().unwrap(),
                    protocol: Protocol::Udp,
                    contents: &req,
                },
            );
        }
        assert_eq!(s.stats().dropped_queue_full, 10);
        assert_eq!(
            std::iter::from_fn(|| s.poll_transmit()).count(),
            MAX_QUEUED_RESPONSES
        );
    }
}
