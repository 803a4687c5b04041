//! Fuzz target of SRTP (`srtp_unprotect`).

use crate::dtls::DtlsRole;
use crate::srtp::{SrtpConfig, SrtpDrop, SrtpProfile, SrtpSession};
use bytes::BytesMut;
use std::collections::BTreeMap;

/// Packets per run: with sequence steps of at most ±8 this keeps every sender within 2^15 of
/// its receiver's highest index, where RFC 3711 §3.3.1's estimate is exact.
const MAX_PACKETS: usize = 1000;

/// `srtp_unprotect`: a live receiving SRTP/SRTCP context (profile, replay window and stream
/// limit chosen by the first byte) fed a script of packets: arbitrary bytes as SRTP or SRTCP,
/// and packets genuinely protected by the matching sender, delivered intact or with one byte
/// damaged (so the fuzzer exercises the paths behind authentication: the ROC, the replay
/// windows, the stream table).
///
/// Invariants: nothing panics; every refusal is counted exactly once; an intact packet is
/// refused only as a replay, too old, or past the stream limit, never as forged or malformed,
/// and when accepted it unprotects to exactly what was protected; a damaged one is never
/// accepted unless its damage fell outside the authenticated bytes (impossible: SRTP
/// authenticates the whole packet) or a 32-bit tag collided (AES_CM_128_HMAC_SHA1_32 only).
pub fn srtp_unprotect(data: &[u8]) {
    let Some((&head, mut rest)) = data.split_first() else {
        return;
    };
    let profile = SrtpProfile::PREFERENCE[usize::from(head & 3)];
    let config = SrtpConfig::default()
        .with_replay_window(if head & 4 != 0 { 64 } else { 1024 })
        .with_max_streams(usize::from(head >> 4) + 1);
    let material: Vec<u8> = (0..2 * (profile.key_len() + profile.salt_len()))
        .map(|i| i as u8)
        .collect();
    let (Ok(mut tx), Ok(mut rx)) = (
        SrtpSession::from_keying_material(profile, &material, DtlsRole::Client, config),
        SrtpSession::from_keying_material(profile, &material, DtlsRole::Server, config),
    ) else {
        unreachable!("the material has the profile's length");
    };
    let mut refused = 0u64;
    // Per SSRC: the last sequence number sent, and whether the receiver accepted the first
    // packet (it takes that packet's ROC to be 0, RFC 3711 §3.3.1; if it missed it and the
    // sender wrapped meanwhile, the two disagree on the ROC for good).
    let mut senders: BTreeMap<u32, (u16, Option<bool>)> = BTreeMap::new();
    let mut packets = 0;
    while let [op, len, tail @ ..] = rest {
        packets += 1;
        if packets > MAX_PACKETS {
            break;
        }
        let n = usize::from(*len).min(tail.len());
        let (chunk, next) = tail.split_at(n);
        rest = next;
        let rtcp = op & 1 != 0;
        let mut packet = BytesMut::from(chunk);
        if op & 2 == 0 {
            // Arbitrary bytes.
            let r = if rtcp {
                rx.unprotect_rtcp(&mut packet)
            } else {
                rx.unprotect_rtp(&mut packet)
            };
            if r.is_err() {
                refused += 1;
            }
            continue;
        }
        // A genuine packet: make the first byte RTP/RTCP version 2 and protect it.
        if let Some(b) = packet.first_mut() {
            *b = 0x80 | (*b & 0x3f);
        }
        // RTP: the sequence number moves by a small step from the SSRC's last one.
        let mut ssrc_of = None;
        if !rtcp && packet.len() >= 12 {
            let ssrc = u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
            let step = i16::from(packet[2] as i8 % 9);
            let seq = match senders.get(&ssrc) {
                Some(&(last, _)) => last.wrapping_add_signed(step),
                None => u16::from_be_bytes([packet[2], packet[3]]),
            };
            packet[2..4].copy_from_slice(&seq.to_be_bytes());
            ssrc_of = Some((ssrc, seq));
        }
        let plain = packet.clone();
        let protected = if rtcp {
            tx.protect_rtcp(&mut packet)
        } else {
            tx.protect_rtp(&mut packet)
        };
        if protected.is_err() {
            assert_eq!(
                packet, plain,
                "a refused protect leaves the packet as it was"
            );
            continue;
        }
        let first_missed = match ssrc_of {
            Some((ssrc, seq)) => {
                let entry = senders.entry(ssrc).or_insert((seq, None));
                entry.0 = seq;
                entry.1 == Some(false)
            }
            None => false,
        };
        let damage = op >> 2;
        let damaged = damage != 0 && !packet.is_empty();
        if damaged {
            let at = usize::from(damage) * 7 % packet.len();
            packet[at] ^= damage;
        }
        let r = if rtcp {
            rx.unprotect_rtcp(&mut packet)
        } else {
            rx.unprotect_rtp(&mut packet)
        };
        if let Some((ssrc, _)) = ssrc_of
            && let Some(entry) = senders.get_mut(&ssrc)
            && entry.1.is_none()
        {
            entry.1 = Some(r.is_ok());
        }
        match r {
            Ok(()) if !damaged => assert_eq!(packet, plain, "unprotect inverts protect"),
            Ok(()) => assert!(
                profile == SrtpProfile::Aes128CmSha1_32,
                "a damaged packet authenticated under an 80- or 128-bit tag"
            ),
            Err(reason) => {
                refused += 1;
                if !damaged && !first_missed {
                    assert!(
                        matches!(
                            reason,
                            SrtpDrop::Replayed | SrtpDrop::TooOld | SrtpDrop::StreamLimit
                        ),
                        "an intact packet refused as {reason:?}"
                    );
                }
            }
        }
    }
    assert_eq!(rx.drops().total(), refused, "every refusal counted once");
}
