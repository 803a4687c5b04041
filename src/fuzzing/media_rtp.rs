//! stub
/// stub
pub fn rtp(_: &[u8]) {}
/// stub
pub fn rtp_extensions(_: &[u8]) {}
