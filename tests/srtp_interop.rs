//! SRTP/SRTCP against an independent implementation: webrtc-rs's sans-IO `rtc-srtp` (unmodified
//! from the registry, with its aws-lc provider), every profile, both directions.
//!
//! Why this one: it is a separate code base (key derivation, IV formation, ROC handling, SRTCP
//! trailer layout, the RFC 5764 key split are all its own), it is pure Rust with a provider
//! already in this crate's dev tree, so `cargo test` needs nothing installed. libsrtp would
//! need its C library and bindgen's libclang on every machine that runs the tests.
//!
//! What is checked, per profile:
//! - the RFC 5764 §4.2 split of one keying material by role: our client talks to its server
//!   (built with `set_session_keys_from_keying_material(.., is_client = false)`) and our server
//!   to its client;
//! - RTP both ways, across a sequence number wrap, with CSRCs, a header extension, padding:
//!   what we protect it unprotects to the same bytes, and the reverse; and, SRTP being
//!   deterministic, our ciphertext equals its ciphertext byte for byte;
//! - SRTCP both ways (its indices start at 1, ours at 0 as RFC 3711 §3.4 says, so the bytes
//!   differ by the index; each side decrypts the other's);
//! - a damaged packet from either side is refused by the other.

use bytes::BytesMut;
use rtc_srtp::config::Config;
use rtc_srtp::context::Context;
use rtc_srtp::crypto::providers::AwsLcRsCrypto;
use rtc_srtp::option::{srtcp_replay_protection, srtp_replay_protection};
use rtc_srtp::protection_profile::ProtectionProfile;
use sansrtc::dtls::DtlsRole;
use sansrtc::srtp::{SrtpConfig, SrtpDrop, SrtpProfile, SrtpSession};

const PROFILES: [(SrtpProfile, ProtectionProfile); 4] = [
    (SrtpProfile::AeadAes256Gcm, ProtectionProfile::AeadAes256Gcm),
    (SrtpProfile::AeadAes128Gcm, ProtectionProfile::AeadAes128Gcm),
    (
        SrtpProfile::Aes128CmSha1_80,
        ProtectionProfile::Aes128CmHmacSha1_80,
    ),
    (
        SrtpProfile::Aes128CmSha1_32,
        ProtectionProfile::Aes128CmHmacSha1_32,
    ),
];

fn material(profile: SrtpProfile) -> Vec<u8> {
    (0..2 * (profile.key_len() + profile.salt_len()))
        .map(|i| (i as u8).wrapping_mul(73).wrapping_add(11))
        .collect()
}

/// Their two contexts (outbound, inbound) for the role opposite to ours.
fn theirs(profile: ProtectionProfile, material: &[u8], is_client: bool) -> (Context, Context) {
    let mut config = Config {
        profile,
        ..Default::default()
    };
    config
        .set_session_keys_from_keying_material(material, is_client)
        .unwrap();
    let k = &config.keys;
    let local = Context::new(
        &k.local_master_key,
        &k.local_master_salt,
        profile,
        None,
        None,
        &AwsLcRsCrypto,
    )
    .unwrap();
    let remote = Context::new(
        &k.remote_master_key,
        &k.remote_master_salt,
        profile,
        Some(srtp_replay_protection(1024)),
        Some(srtcp_replay_protection(1024)),
        &AwsLcRsCrypto,
    )
    .unwrap();
    (local, remote)
}

/// An RTP packet: CSRCs, a one-byte header extension, and RTP padding on some.
fn rtp_packet(seq: u16, ssrc: u32, k: usize) -> Vec<u8> {
    let csrcs = k % 3;
    let padded = k % 4 == 1;
    let mut p = vec![
        0x90 | csrcs as u8 | if padded { 0x20 } else { 0 },
        if k.is_multiple_of(5) { 0x80 | 96 } else { 96 },
    ];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(k as u32 * 3000).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    for c in 0..csrcs {
        p.extend_from_slice(&(0xc0 + c as u32).to_be_bytes());
    }
    // RFC 8285 one-byte form: mid "0" (id 1) and abs-send-time (id 2), padded to 4 bytes.
    p.extend_from_slice(&[0xbe, 0xde, 0, 2, 0x10, b'0', 0x22, 1, 2, 3, 0, 0]);
    p.extend((0..(20 + k * 7 % 1100)).map(|i| (i * 13 + k) as u8));
    if padded {
        p.extend_from_slice(&[0, 0, 3]);
    }
    p
}

/// A sender report with one report block and an SDES CNAME (a typical compound).
fn rtcp_packet(ssrc: u32, k: u32) -> Vec<u8> {
    let mut p = vec![0x81, 200, 0, 12];
    p.extend_from_slice(&ssrc.to_be_bytes());
    for w in [0xe000_0000u32 + k, 0x1234_5678, k * 90, k, k * 1000] {
        p.extend_from_slice(&w.to_be_bytes());
    }
    for w in [
        0xabcd_u32,
        0x0100_0002,
        0x0001_0000 + k,
        17,
        0x1111_2222,
        0x0000_0100,
    ] {
        p.extend_from_slice(&w.to_be_bytes());
    }
    // SDES: one chunk, CNAME "sansrtc", terminated and padded to 4 bytes.
    p.extend_from_slice(&[0x81, 202, 0, 4]);
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[1, 7]);
    p.extend_from_slice(b"sansrtc");
    p.extend_from_slice(&[0, 0, 0]);
    p
}

#[test]
fn every_profile_both_directions_both_roles() {
    for (ours_p, theirs_p) in PROFILES {
        for we_are in [DtlsRole::Client, DtlsRole::Server] {
            let ctx = format!("{ours_p:?} we are {we_are:?}");
            let m = material(ours_p);
            let mut us =
                SrtpSession::from_keying_material(ours_p, &m, we_are, SrtpConfig::default())
                    .unwrap();
            let (mut their_out, mut their_in) = theirs(theirs_p, &m, we_are == DtlsRole::Server);

            // RTP, across a wrap: 65500 .. 65535, 0 .. 163.
            for k in 0..200usize {
                let seq = 65_500u16.wrapping_add(k as u16);
                let plain = rtp_packet(seq, 0x1234_5678, k);

                let mut mine = BytesMut::from(&plain[..]);
                us.protect_rtp(&mut mine).unwrap();
                let their_cipher = their_out.encrypt_rtp(&plain).unwrap();
                let dec = their_in.decrypt_rtp(&mine).unwrap();
                assert_eq!(&dec[..], &plain[..], "{ctx}: they read ours, seq {seq}");

                // Their sender (the other direction, their SSRC) to us.
                let back = rtp_packet(seq, 0x8765_4321, k);
                let their_packet = their_out.encrypt_rtp(&back).unwrap();
                let mut got = BytesMut::from(&their_packet[..]);
                us.unprotect_rtp(&mut got).unwrap();
                assert_eq!(&got[..], &back[..], "{ctx}: we read theirs, seq {seq}");

                // Their encryption of our packet with their outbound keys is ours only when
                // both use the same keys: check byte equality in the direction where they do,
                // by reading their ciphertext of `plain` (same SSRC, same index) ourselves.
                let mut same = BytesMut::from(&their_cipher[..]);
                us.unprotect_rtp(&mut same).unwrap();
                assert_eq!(&same[..], &plain[..], "{ctx}");
            }

            // SRTCP both ways.
            for k in 0..50u32 {
                let plain = rtcp_packet(0x1234_5678, k);
                let mut mine = BytesMut::from(&plain[..]);
                us.protect_rtcp(&mut mine).unwrap();
                let dec = their_in.decrypt_rtcp(&mine).unwrap();
                assert_eq!(&dec[..], &plain[..], "{ctx}: they read our SRTCP {k}");

                let back = rtcp_packet(0x8765_4321, k);
                let theirs = their_out.encrypt_rtcp(&back).unwrap();
                let mut got = BytesMut::from(&theirs[..]);
                us.unprotect_rtcp(&mut got).unwrap();
                assert_eq!(&got[..], &back[..], "{ctx}: we read their SRTCP {k}");
            }

            // Damage refused both ways.
            let plain = rtp_packet(200, 0x1234_5678, 3);
            let mut mine = BytesMut::from(&plain[..]);
            us.protect_rtp(&mut mine).unwrap();
            let last = mine.len() - 1;
            mine[last] ^= 0x40;
            assert!(their_in.decrypt_rtp(&mine).is_err(), "{ctx}");
            let mut theirs = BytesMut::from(
                &their_out
                    .encrypt_rtp(&rtp_packet(200, 0x8765_4321, 3))
                    .unwrap()[..],
            );
            theirs[30] ^= 0x01;
            assert_eq!(
                us.unprotect_rtp(&mut theirs),
                Err(SrtpDrop::AuthFailed),
                "{ctx}"
            );
            assert_eq!(us.drops().total(), 1, "{ctx}");
        }
    }
}

/// Byte equality: with the same master key on both sides (our outbound = their outbound), the
/// same packet at the same index is the same SRTP packet (the transforms are deterministic).
#[test]
fn our_ciphertext_is_their_ciphertext() {
    for (ours_p, theirs_p) in PROFILES {
        let m = material(ours_p);
        let mut us =
            SrtpSession::from_keying_material(ours_p, &m, DtlsRole::Client, SrtpConfig::default())
                .unwrap();
        // Their client: the same outbound keys as ours.
        let (mut their_out, _) = theirs(theirs_p, &m, true);
        for k in 0..100usize {
            let seq = 65_490u16.wrapping_add(k as u16);
            let plain = rtp_packet(seq, 42, k);
            let mut mine = BytesMut::from(&plain[..]);
            us.protect_rtp(&mut mine).unwrap();
            let their = their_out.encrypt_rtp(&plain).unwrap();
            assert_eq!(&mine[..], &their[..], "{ours_p:?} seq {seq}");
        }
    }
}
