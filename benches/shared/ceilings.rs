//! Machine ceilings: what the hardware does for the per-packet work every stack must do, to read
//! the stacks' figures against. Each returns a median of several timed runs.

#![allow(dead_code)]

use std::hint::black_box;
use std::time::Instant;

/// Bytes per packet the ceilings are measured on (a full data-channel datagram).
pub const PACKET: usize = 1200;

#[allow(clippy::disallowed_methods, reason = "benchmark timing")]
fn seconds(f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// Median of `runs` timings of `f`.
pub fn median_seconds(runs: usize, f: &mut dyn FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..runs).map(|_| seconds(f)).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// AES-128-GCM seal + open of one packet in place (RustCrypto's `aes-gcm`: the AEAD of our default
/// DTLS backend and of dimpl's rust-crypto provider), MB/s of packets through both.
pub fn aes_gcm_seal_open_mbs() -> f64 {
    use aes_gcm::aead::{AeadInOut, KeyInit};
    let key = aes_gcm::Aes128Gcm::new_from_slice(&[7u8; 16]).unwrap();
    let nonce = aes_gcm::Nonce::<aes_gcm::aead::consts::U12>::from([1u8; 12]);
    let mut buf = vec![0x5Au8; PACKET];
    let n = 50_000;
    let s = median_seconds(5, &mut || {
        for _ in 0..n {
            let tag = key
                .encrypt_inout_detached(&nonce, b"aad-13-bytes!", buf.as_mut_slice().into())
                .unwrap();
            key.decrypt_inout_detached(&nonce, b"aad-13-bytes!", buf.as_mut_slice().into(), &tag)
                .unwrap();
        }
    });
    (n * PACKET) as f64 / s / 1e6
}

/// The same with aws-lc's AES-128-GCM (the `aws-lc-rs` backend's AEAD), MB/s.
#[cfg(feature = "aws-lc-rs")]
pub fn aws_lc_aes_gcm_seal_open_mbs() -> f64 {
    use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &[7u8; 16]).unwrap());
    let nonce = || Nonce::assume_unique_for_key([1u8; 12]);
    // The packet, then room for the tag.
    let mut buf = vec![0x5Au8; PACKET + 16];
    let n = 50_000;
    let s = median_seconds(5, &mut || {
        for _ in 0..n {
            let tag = key
                .seal_in_place_separate_tag(
                    nonce(),
                    Aad::from(b"aad-13-bytes!"),
                    &mut buf[..PACKET],
                )
                .unwrap();
            buf[PACKET..].copy_from_slice(tag.as_ref());
            key.open_in_place(nonce(), Aad::from(b"aad-13-bytes!"), &mut buf)
                .unwrap();
        }
    });
    (n * PACKET) as f64 / s / 1e6
}

/// CRC32c (SCTP's checksum, the crate's hardware path) over one packet, GB/s.
pub fn crc32c_gbs() -> f64 {
    let buf = vec![0x5Au8; PACKET];
    let n = 500_000;
    let s = median_seconds(5, &mut || {
        for _ in 0..n {
            black_box(crc32c::crc32c(black_box(&buf)));
        }
    });
    (n * PACKET) as f64 / s / 1e9
}

/// memcpy of one packet, GB/s.
pub fn memcpy_gbs() -> f64 {
    let src = vec![1u8; PACKET];
    let mut dst = vec![0u8; PACKET];
    let n = 2_000_000;
    let s = median_seconds(5, &mut || {
        for _ in 0..n {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
        }
    });
    (n * PACKET) as f64 / s / 1e9
}
