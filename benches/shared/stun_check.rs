//! The connectivity check the ICE and headline benchmarks validate: a Binding request as a
//! browser sends it (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY,
//! FINGERPRINT).

use sansrtc::stun::{Class, Method, StunAttribute, StunMessage, TransactionId};

pub fn check_bytes(ufrag: &str, pwd: &[u8]) -> Vec<u8> {
    let mut m = StunMessage::new(Class::Request, Method::BINDING, TransactionId([7; 12]));
    m.attributes
        .push(StunAttribute::Username(format!("{ufrag}:remote")));
    m.attributes.push(StunAttribute::Priority(1_862_270_975));
    m.attributes
        .push(StunAttribute::IceControlling(0x0123_4567_89ab_cdef));
    m.attributes.push(StunAttribute::UseCandidate);
    m.attributes.push(StunAttribute::MessageIntegrity([0; 20]));
    m.attributes.push(StunAttribute::Fingerprint);
    m.to_bytes_with_key(pwd).unwrap()
}
