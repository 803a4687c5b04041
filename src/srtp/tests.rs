use super::cipher::{Transform, derive};
use super::*;
use crate::dtls::crypto::AesCtrKey;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

const ALL: [SrtpProfile; 4] = SrtpProfile::PREFERENCE;

/// RFC 3711 Appendix B.2: the AES-CM keystream for session key 2B7E…, salt F0F1…FD, SSRC 0,
/// index 0 (the first three and the last three 16-byte blocks of the RFC's table).
#[test]
fn rfc3711_b2_aes_cm_keystream() {
    let key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
    let mut iv = [0u8; 16];
    iv[..14].copy_from_slice(&hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"));
    let mut stream = vec![0u8; 0xff02 * 16];
    AesCtrKey::new(&key).apply_keystream(&iv, &mut stream);
    let block = |n: usize| &stream[n * 16..n * 16 + 16];
    assert_eq!(block(0), hex("E03EAD0935C95E80E166B16DD92B4EB4"));
    assert_eq!(block(1), hex("D23513162B02D0F72A43A2FE4A5F97AB"));
    assert_eq!(block(2), hex("41E95B3BB0A2E8DD477901E4FCA894C0"));
    assert_eq!(block(0xfeff), hex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
    assert_eq!(block(0xff00), hex("362B7C3C6773516318A077D7FC5073AE"));
    assert_eq!(block(0xff01), hex("6A2CC3787889374FBEB4C81B17BA6C44"));
}

/// RFC 3711 Appendix B.3: session keys from master key E1F9…, salt 0EC6…, KDR 0.
#[test]
fn rfc3711_b3_key_derivation() {
    let key = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
    let salt = hex("0EC675AD498AFEEBB6960B3AABE6");
    let mut cipher = [0u8; 16];
    derive(&key, &salt, 0, &mut cipher);
    assert_eq!(cipher.to_vec(), hex("C61E7A93744F39EE10734AFE3FF7A087"));
    let mut s = [0u8; 14];
    derive(&key, &salt, 2, &mut s);
    assert_eq!(s.to_vec(), hex("30CBBC08863D8C85D49DB34A9AE1"));
    // The RFC lists 94 bytes of authentication keystream; SRTP uses the first 20.
    let mut auth = [0u8; 94];
    derive(&key, &salt, 1, &mut auth);
    assert_eq!(
        auth.to_vec(),
        hex(
            "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE\
             E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25\
             6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2"
        )
    );
}

/// RFC 7714 §16.1 (AES-128-GCM) and §17.1 (AES-256-GCM): one RTP packet, session key
/// 000102…, salt "Quid pro quo", ROC 0.
#[test]
fn rfc7714_rtp_vectors() {
    let plain = hex(
        "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976
         69736120 696e2070 61727465 73207472 6573",
    );
    let cases = [
        (
            SrtpProfile::AeadAes128Gcm,
            hex("000102030405060708090a0b0c0d0e0f"),
            hex(
                "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5
                 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce",
            ),
        ),
        (
            SrtpProfile::AeadAes256Gcm,
            hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
            hex(
                "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238
                 9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13",
            ),
        ),
    ];
    for (profile, key, cipher) in cases {
        let salt: [u8; 12] = hex("517569642070726f2071756f").try_into().unwrap();
        let mut s = SrtpSession::with_session_transforms(profile, |_| Transform::aead(&key, salt));
        let mut buf = BytesMut::from(&plain[..]);
        s.protect_rtp(&mut buf).unwrap();
        assert_eq!(&buf[..], &cipher[..], "{profile:?} protect");
        s.unprotect_rtp(&mut buf).unwrap();
        assert_eq!(&buf[..], &plain[..], "{profile:?} unprotect");
    }
}

/// RFC 7714 §16.2 and §17.2: one SRTCP packet with SRTCP index 0x5d4, E = 1.
#[test]
fn rfc7714_rtcp_vectors() {
    let plain = hex(
        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
         deadbeef deadbeef deadbeef deadbeef deadbeef",
    );
    let cases = [
        (
            SrtpProfile::AeadAes128Gcm,
            hex("000102030405060708090a0b0c0d0e0f"),
            hex(
                "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
                 c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872
                 45d9eade 800005d4",
            ),
        ),
        (
            SrtpProfile::AeadAes256Gcm,
            hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
            hex(
                "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50
                 a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c
                 b26ac3be 800005d4",
            ),
        ),
    ];
    for (profile, key, cipher) in cases {
        let salt: [u8; 12] = hex("517569642070726f2071756f").try_into().unwrap();
        let mut s = SrtpSession::with_session_transforms(profile, |_| Transform::aead(&key, salt));
        s.set_next_srtcp_index(0x4d617273, 0x5d4);
        let mut buf = BytesMut::from(&plain[..]);
        s.protect_rtcp(&mut buf).unwrap();
        assert_eq!(&buf[..], &cipher[..], "{profile:?} protect");
        s.unprotect_rtcp(&mut buf).unwrap();
        assert_eq!(&buf[..], &plain[..], "{profile:?} unprotect");
    }
}

/// RFC 7714 §16.2.1 / §17.2.1: the same SRTCP packet authenticated only (E = 0); the receiver
/// accepts it and leaves the payload as it came.
#[test]
fn rfc7714_rtcp_unencrypted_vectors() {
    let plain = hex(
        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
         deadbeef deadbeef deadbeef deadbeef deadbeef",
    );
    let cases = [
        (
            hex("000102030405060708090a0b0c0d0e0f"),
            hex("841dd968 3dd78ec9 2ae58790 125f62b3 000005d4"),
        ),
        (
            hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
            hex("91db4afb feee5a97 8fab4393 ed2615fe 000005d4"),
        ),
    ];
    for (key, trailer) in cases {
        let salt: [u8; 12] = hex("517569642070726f2071756f").try_into().unwrap();
        let profile = if key.len() == 16 {
            SrtpProfile::AeadAes128Gcm
        } else {
            SrtpProfile::AeadAes256Gcm
        };
        let mut s = SrtpSession::with_session_transforms(profile, |_| Transform::aead(&key, salt));
        let mut buf = BytesMut::from(&plain[..]);
        buf.extend_from_slice(&trailer);
        s.unprotect_rtcp(&mut buf).unwrap();
        assert_eq!(&buf[..], &plain[..]);
        // One bit of the authenticated-only payload changed: refused (by a fresh receiver: this
        // one has seen the index and refuses it as a replay before authenticating).
        let mut s = SrtpSession::with_session_transforms(profile, |_| Transform::aead(&key, salt));
        let mut bad = BytesMut::from(&plain[..]);
        bad[20] ^= 1;
        bad.extend_from_slice(&trailer);
        assert_eq!(s.unprotect_rtcp(&mut bad), Err(SrtpDrop::AuthFailed));
    }
}

fn keys(profile: SrtpProfile, seed: u8) -> Vec<u8> {
    (0..2 * (profile.key_len() + profile.salt_len()))
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn pair(profile: SrtpProfile) -> (SrtpSession, SrtpSession) {
    let material = keys(profile, 7);
    let client = SrtpSession::from_keying_material(
        profile,
        &material,
        DtlsRole::Client,
        SrtpConfig::default(),
    )
    .unwrap();
    let server = SrtpSession::from_keying_material(
        profile,
        &material,
        DtlsRole::Server,
        SrtpConfig::default(),
    )
    .unwrap();
    (client, server)
}

fn rtp(seq: u16, ssrc: u32, payload: &[u8]) -> BytesMut {
    let mut p = BytesMut::new();
    p.extend_from_slice(&[0x90, 96]);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&1234u32.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    // A one-byte header extension block (RFC 8285): it is authenticated, not encrypted.
    p.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]);
    p.extend_from_slice(payload);
    p
}

#[test]
fn every_profile_round_trips_both_ways_and_keys_by_role() {
    for profile in ALL {
        let (mut client, mut server) = pair(profile);
        let plain = rtp(1, 0x1111, b"hello media");
        let mut p = plain.clone();
        client.protect_rtp(&mut p).unwrap();
        assert_eq!(p.len(), plain.len() + client.rtp_overhead());
        // The header (and its extension) stays in the clear; the payload does not.
        assert_eq!(&p[..20], &plain[..20]);
        assert_ne!(&p[20..plain.len()], &plain[20..]);
        // The client cannot read its own packet (the server's keys read it), RFC 5764 §4.2.
        let mut own = p.clone();
        assert_eq!(client.unprotect_rtp(&mut own), Err(SrtpDrop::AuthFailed));
        server.unprotect_rtp(&mut p).unwrap();
        assert_eq!(p, plain);

        let rr = hex("81c90007 00002222 00001111 00000000 00000001 00000000 00000000 00000000");
        let mut c = BytesMut::from(&rr[..]);
        server.protect_rtcp(&mut c).unwrap();
        assert_eq!(c.len(), rr.len() + server.rtcp_overhead());
        // E = 1 and index 0 (RFC 3711 §3.4): before the tag for AES-CM, last for AEAD
        // (RFC 7714 §9.1).
        let word_at = match profile {
            SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm => c.len() - 4,
            _ => c.len() - server.rtcp_overhead(),
        };
        assert_eq!(c[word_at..word_at + 4], [0x80, 0, 0, 0][..]);
        client.unprotect_rtcp(&mut c).unwrap();
        assert_eq!(&c[..], &rr[..]);
        assert_eq!(client.drops().auth_failed, 1);
        assert_eq!(server.drops().total(), 0);
    }
}

#[test]
fn srtcp_tag_is_80_bits_in_both_hmac_profiles() {
    // RFC 5764 §4.1.2: SRTP_AES128_CM_HMAC_SHA1_32 truncates only SRTP's tag.
    let (c, _) = pair(SrtpProfile::Aes128CmSha1_32);
    assert_eq!(c.rtp_overhead(), 4);
    assert_eq!(c.rtcp_overhead(), 4 + 10);
    let (c, _) = pair(SrtpProfile::Aes128CmSha1_80);
    assert_eq!((c.rtp_overhead(), c.rtcp_overhead()), (10, 14));
    let (c, _) = pair(SrtpProfile::AeadAes128Gcm);
    assert_eq!((c.rtp_overhead(), c.rtcp_overhead()), (16, 20));
}

#[test]
fn replays_and_old_packets_are_dropped_and_counted() {
    for profile in ALL {
        let (mut tx, mut rx) = pair(profile);
        let mut sent = Vec::new();
        for seq in 0..1100u16 {
            let mut p = rtp(seq, 5, b"x");
            tx.protect_rtp(&mut p).unwrap();
            sent.push(p);
        }
        // Deliver 1..1100, then the replay and the one too old for the 1024 window.
        for p in &sent[1..] {
            rx.unprotect_rtp(&mut p.clone()).unwrap();
        }
        assert_eq!(
            rx.unprotect_rtp(&mut sent[500].clone()),
            Err(SrtpDrop::Replayed)
        );
        assert_eq!(
            rx.unprotect_rtp(&mut sent[0].clone()),
            Err(SrtpDrop::TooOld)
        );
        // Late but inside the window: accepted once.
        let mut late = rtp(200, 5, b"x");
        let (mut tx2, _) = pair(profile);
        tx2.protect_rtp(&mut late).unwrap();
        assert_eq!(rx.unprotect_rtp(&mut late.clone()), Err(SrtpDrop::Replayed));
        let d = rx.drops();
        assert_eq!((d.replayed, d.too_old, d.auth_failed), (2, 1, 0));
    }
}

#[test]
fn a_forgery_moves_nothing() {
    // RFC 3711 §3.3.1: a forged packet that would advance the ROC is refused and the next
    // genuine packet still decrypts.
    let (mut tx, mut rx) = pair(SrtpProfile::Aes128CmSha1_80);
    let mut p = rtp(40_000, 9, b"a");
    tx.protect_rtp(&mut p).unwrap();
    rx.unprotect_rtp(&mut p).unwrap();
    let mut forged = rtp(5, 9, b"forged!!!!!!!!!");
    assert_eq!(rx.unprotect_rtp(&mut forged), Err(SrtpDrop::AuthFailed));
    let mut next = rtp(40_001, 9, b"b");
    tx.protect_rtp(&mut next).unwrap();
    rx.unprotect_rtp(&mut next).unwrap();
    assert_eq!(&next[20..], b"b");
}

#[test]
fn streams_are_bounded_and_only_authenticated_ones_count() {
    let material = keys(SrtpProfile::AeadAes128Gcm, 1);
    let config = SrtpConfig::default().with_max_streams(3);
    let mut tx = SrtpSession::from_keying_material(
        SrtpProfile::AeadAes128Gcm,
        &material,
        DtlsRole::Client,
        config,
    )
    .unwrap();
    let mut rx = SrtpSession::from_keying_material(
        SrtpProfile::AeadAes128Gcm,
        &material,
        DtlsRole::Server,
        config,
    )
    .unwrap();
    // A flood of forged packets from many SSRCs creates no state.
    for ssrc in 0..1000 {
        let mut junk = rtp(1, ssrc, &[0; 40]);
        assert_eq!(rx.unprotect_rtp(&mut junk), Err(SrtpDrop::AuthFailed));
    }
    assert_eq!(rx.inbound.streams.len(), 0);
    for ssrc in 1..=3 {
        let mut p = rtp(1, ssrc, b"ok");
        tx.protect_rtp(&mut p).unwrap();
        rx.unprotect_rtp(&mut p).unwrap();
    }
    let mut fourth = rtp(1, 4, b"no");
    assert_eq!(tx.protect_rtp(&mut fourth), Err(SrtpError::TooManyStreams));
    let (mut other, _) = (
        SrtpSession::from_keying_material(
            SrtpProfile::AeadAes128Gcm,
            &material,
            DtlsRole::Client,
            SrtpConfig::default(),
        )
        .unwrap(),
        (),
    );
    let mut fourth = rtp(1, 4, b"no");
    other.protect_rtp(&mut fourth).unwrap();
    assert_eq!(rx.unprotect_rtp(&mut fourth), Err(SrtpDrop::StreamLimit));
    assert_eq!(rx.drops().stream_limit, 1);
    assert_eq!(rx.drops().auth_failed, 1000);
}

#[test]
fn roll_over_is_followed_across_a_wrap_with_reordering() {
    for profile in ALL {
        let (mut tx, mut rx) = pair(profile);
        let mut packets = Vec::new();
        for k in 0..200u32 {
            let seq = (65_450 + k) as u16;
            let mut p = rtp(seq, 3, &k.to_be_bytes());
            tx.protect_rtp(&mut p).unwrap();
            packets.push(p);
        }
        // Swap neighbours across the wrap: 65535 arrives after 0, and so on.
        for pair in packets.chunks_mut(2) {
            pair.reverse();
        }
        for p in packets {
            let mut p = p.clone();
            rx.unprotect_rtp(&mut p).unwrap();
        }
        assert_eq!(rx.drops().total(), 0, "{profile:?}");
    }
}

#[test]
fn malformed_packets_are_dropped_never_panic() {
    for profile in ALL {
        let (_, mut rx) = pair(profile);
        for len in 0..64 {
            let mut b = BytesMut::from(&vec![0x80u8; len][..]);
            assert!(rx.unprotect_rtp(&mut b).is_err());
            let mut b = BytesMut::from(&vec![0x80u8; len][..]);
            assert!(rx.unprotect_rtcp(&mut b).is_err());
        }
        assert!(rx.drops().malformed > 0);
    }
}

#[test]
fn protect_refuses_what_is_not_rtp_or_has_no_room() {
    let (mut tx, _) = pair(SrtpProfile::AeadAes128Gcm);
    let mut short = BytesMut::from(&[0x80u8, 0, 0][..]);
    assert_eq!(tx.protect_rtp(&mut short), Err(SrtpError::Malformed));
    assert_eq!(short.len(), 3, "the buffer is left as it was");
    let mut buf = [0u8; 40];
    buf[0] = 0x80;
    assert_eq!(tx.protect_rtp_in(&mut buf, 30), Err(SrtpError::NoRoom));
    assert_eq!(
        SrtpSession::from_keying_material(
            SrtpProfile::AeadAes128Gcm,
            &[0; 10],
            DtlsRole::Client,
            SrtpConfig::default()
        )
        .unwrap_err(),
        SrtpError::KeyLength
    );
}

proptest! {
    /// Any RTP packet (CSRCs, extension, padding bit, payload) and any RTCP packet round-trip
    /// under every profile, and a flipped bit anywhere is refused.
    #[test]
    fn protect_unprotect_round_trip(
        profile in prop::sample::select(ALL.to_vec()),
        csrcs in 0usize..4,
        ext_words in proptest::option::of(0usize..4),
        seq in any::<u16>(),
        ssrc in any::<u32>(),
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        flip in any::<prop::sample::Index>(),
    ) {
        let (mut tx, mut rx) = pair(profile);
        let mut p = BytesMut::new();
        p.extend_from_slice(&[0x80 | csrcs as u8 | if ext_words.is_some() { 0x10 } else { 0 }, 111]);
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[1, 2, 3, 4]);
        p.extend_from_slice(&ssrc.to_be_bytes());
        for c in 0..csrcs {
            p.extend_from_slice(&(c as u32).to_be_bytes());
        }
        if let Some(w) = ext_words {
            p.extend_from_slice(&[0xbe, 0xde, 0, w as u8]);
            p.extend_from_slice(&vec![0x11; 4 * w]);
        }
        p.extend_from_slice(&payload);
        let plain = p.clone();
        tx.protect_rtp(&mut p).unwrap();
        let mut bad = p.clone();
        let i = flip.index(bad.len());
        bad[i] ^= 0x01;
        // Flipping a bit of the header may make it unparseable (Malformed) or change the SSRC
        // or sequence number (AuthFailed): dropped either way.
        prop_assert!(rx.unprotect_rtp(&mut bad).is_err());
        rx.unprotect_rtp(&mut p).unwrap();
        prop_assert_eq!(&p, &plain);

        let mut c = BytesMut::new();
        c.extend_from_slice(&[0x81, 201, 0, 1 + (payload.len() / 4) as u8]);
        c.extend_from_slice(&ssrc.to_be_bytes());
        c.extend_from_slice(&payload[..payload.len() / 4 * 4]);
        let rtcp_plain = c.clone();
        tx.protect_rtcp(&mut c).unwrap();
        rx.unprotect_rtcp(&mut c).unwrap();
        prop_assert_eq!(&c, &rtcp_plain);
    }

    /// Arbitrary bytes into a live context: never a panic, always a counted drop (a random
    /// 4-byte tag could verify by chance once in 2^32; the 80- and 128-bit ones never will).
    #[test]
    fn arbitrary_input_is_dropped_and_counted(
        profile in prop::sample::select(ALL.to_vec()),
        packets in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..20),
    ) {
        let (_, mut rx) = pair(profile);
        let mut dropped = 0;
        for p in &packets {
            let mut a = BytesMut::from(&p[..]);
            if rx.unprotect_rtp(&mut a).is_err() {
                dropped += 1;
            }
            let mut b = BytesMut::from(&p[..]);
            if rx.unprotect_rtcp(&mut b).is_err() {
                dropped += 1;
            }
        }
        prop_assert_eq!(rx.drops().total(), dropped);
    }
}
