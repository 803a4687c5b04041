//! stub
/// stub
pub fn rtcp(_: &[u8]) {}
