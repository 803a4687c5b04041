//! The media wire in one table: SRTP protect+unprotect of a 1200-byte RTP packet per profile
//! beside the bare cipher work it rests on (the ceiling) and beside an independent SRTP
//! (webrtc-rs's `rtc-srtp`) and str0m's (protect only: all str0m exposes), allocations per
//! packet counted; RTP header + extensions parse and RTCP compound parse beside str0m and the
//! independent parsers. `cargo bench --bench media` (`--features aws-lc-rs`: our aws-lc
//! backend, and the ceiling is aws-lc's too).
//!
//! The ceiling is exactly the cryptography SRTP cannot avoid, with the same primitives as our
//! backend: AES-GCM seal of the payload with the header as AAD then open (AEAD profiles), or
//! AES-CTR over the payload and HMAC-SHA1 over the packet and ROC, both ways (AES-CM profiles).
//! "SRTP's own cost" is ours over the ceiling.
//!
//! Criterion measures each entry; the table at the end reads criterion's estimates of this run
//! (`target/criterion/.../new/estimates.json`).

use criterion::{Criterion, criterion_group};
use sansrtc::dtls::DtlsRole;
use sansrtc::srtp::{SrtpConfig, SrtpProfile, SrtpSession};
use std::hint::black_box;

#[path = "../tests/common/alloc.rs"]
mod alloc;
#[path = "shared/ceilings.rs"]
mod ceilings;

/// The RTP packet: 12-byte header, a one-byte-form extension block (mid, abs-send-time,
/// transport-cc: 16 bytes), 1172 bytes of payload.
const PACKET: usize = 1200;

#[cfg(not(feature = "aws-lc-rs"))]
const BACKEND: &str = "RustCrypto";
#[cfg(feature = "aws-lc-rs")]
const BACKEND: &str = "aws-lc";

fn rtp_packet() -> Vec<u8> {
    let mut p = vec![0x90, 96, 0, 1, 0, 0, 0x10, 0, 0x12, 0x34, 0x56, 0x78];
    // RFC 8285: mid "0" (id 1), abs-send-time (id 2, 3 bytes), transport-cc (id 3, 2 bytes).
    p.extend_from_slice(&[
        0xbe, 0xde, 0, 3, 0x10, b'0', 0x22, 1, 2, 3, 0x31, 0, 7, 0, 0, 0,
    ]);
    p.resize(PACKET, 0xab);
    p
}

fn profile_name(p: SrtpProfile) -> &'static str {
    match p {
        SrtpProfile::AeadAes256Gcm => "AEAD_AES_256_GCM",
        SrtpProfile::AeadAes128Gcm => "AEAD_AES_128_GCM",
        SrtpProfile::Aes128CmSha1_80 => "AES_CM_128_HMAC_SHA1_80",
        _ => "AES_CM_128_HMAC_SHA1_32",
    }
}

fn material(p: SrtpProfile) -> Vec<u8> {
    (0..2 * (p.key_len() + p.salt_len()))
        .map(|i| i as u8 * 3)
        .collect()
}

/// Our sender and receiver for `p`, and the working buffer (packet + room for the tag).
struct Ours {
    tx: SrtpSession,
    rx: SrtpSession,
    template: Vec<u8>,
    buf: Vec<u8>,
    seq: u16,
}

impl Ours {
    fn new(p: SrtpProfile) -> Self {
        let m = material(p);
        let tx = SrtpSession::from_keying_material(p, &m, DtlsRole::Client, SrtpConfig::default())
            .unwrap();
        let rx = SrtpSession::from_keying_material(p, &m, DtlsRole::Server, SrtpConfig::default())
            .unwrap();
        let template = rtp_packet();
        let buf = vec![0; PACKET + 16];
        Self {
            tx,
            rx,
            template,
            buf,
            seq: 1,
        }
    }

    /// One packet through protect and unprotect, in place (a fresh sequence number each time:
    /// the receiver's replay window refuses repeats).
    fn round(&mut self) {
        self.buf[..PACKET].copy_from_slice(&self.template);
        self.seq = self.seq.wrapping_add(1);
        self.buf[2..4].copy_from_slice(&self.seq.to_be_bytes());
        let n = self.tx.protect_rtp_in(&mut self.buf, PACKET).unwrap();
        let m = self
            .rx
            .unprotect_rtp_in(black_box(&mut self.buf[..n]))
            .unwrap();
        black_box(m);
    }

    fn protect(&mut self) {
        self.buf[..PACKET].copy_from_slice(&self.template);
        self.seq = self.seq.wrapping_add(1);
        self.buf[2..4].copy_from_slice(&self.seq.to_be_bytes());
        black_box(self.tx.protect_rtp_in(&mut self.buf, PACKET).unwrap());
    }
}

/// The bare cryptography of one protect+unprotect, same primitives as our backend.
mod ceiling {
    use super::PACKET;
    use std::hint::black_box;

    /// Header and extension block: what SRTP authenticates but does not encrypt.
    const HEADER: usize = 28;

    /// Seal (`true`) or open the packet in place with the tag beside it.
    #[cfg(not(feature = "aws-lc-rs"))]
    type SealOpen = Box<dyn Fn(&mut [u8], &mut [u8; 16], bool)>;

    pub struct Ceiling {
        #[cfg(not(feature = "aws-lc-rs"))]
        aead: Option<SealOpen>,
        #[cfg(feature = "aws-lc-rs")]
        aead: Option<aws_lc_rs::aead::LessSafeKey>,
        cm: bool,
        buf: Vec<u8>,
        template: Vec<u8>,
    }

    impl Ceiling {
        pub fn new(aead_key_len: Option<usize>, template: &[u8]) -> Self {
            #[cfg(not(feature = "aws-lc-rs"))]
            let aead = aead_key_len.map(|len| -> SealOpen {
                use aes_gcm::aead::{AeadInOut, KeyInit};
                fn run<
                    A: AeadInOut<
                            NonceSize = aes_gcm::aead::consts::U12,
                            TagSize = aes_gcm::aead::consts::U16,
                        >,
                >(
                    a: &A,
                    buf: &mut [u8],
                    tag: &mut [u8; 16],
                    seal: bool,
                ) {
                    let (header, payload) = buf.split_at_mut(HEADER);
                    let nonce = [9u8; 12];
                    if seal {
                        let t = a
                            .encrypt_inout_detached(&nonce.into(), header, payload.into())
                            .unwrap();
                        tag.copy_from_slice(&t);
                    } else {
                        a.decrypt_inout_detached(
                            &nonce.into(),
                            header,
                            payload.into(),
                            &(*tag).into(),
                        )
                        .unwrap();
                    }
                }
                if len == 16 {
                    let k = aes_gcm::Aes128Gcm::new_from_slice(&[1; 16]).unwrap();
                    Box::new(move |b, t, s| run(&k, b, t, s))
                } else {
                    let k = aes_gcm::Aes256Gcm::new_from_slice(&[1; 32]).unwrap();
                    Box::new(move |b, t, s| run(&k, b, t, s))
                }
            });
            #[cfg(feature = "aws-lc-rs")]
            let aead = aead_key_len.map(|len| {
                use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, LessSafeKey, UnboundKey};
                let alg = if len == 16 {
                    &AES_128_GCM
                } else {
                    &AES_256_GCM
                };
                LessSafeKey::new(UnboundKey::new(alg, &vec![1; len]).unwrap())
            });
            Self {
                cm: aead_key_len.is_none(),
                aead,
                buf: vec![0; PACKET + 16],
                template: template.to_vec(),
            }
        }

        pub fn round(&mut self, cm: &Cm) {
            self.buf[..PACKET].copy_from_slice(&self.template);
            if self.cm {
                cm.round(&mut self.buf[..PACKET]);
                return;
            }
            #[cfg(not(feature = "aws-lc-rs"))]
            {
                let f = self.aead.as_ref().unwrap();
                let mut tag = [0u8; 16];
                f(&mut self.buf[..PACKET], &mut tag, true);
                f(black_box(&mut self.buf[..PACKET]), &mut tag, false);
            }
            #[cfg(feature = "aws-lc-rs")]
            {
                use aws_lc_rs::aead::{Aad, Nonce};
                let k = self.aead.as_ref().unwrap();
                let mut header = [0u8; HEADER];
                header.copy_from_slice(&self.buf[..HEADER]);
                let tag = k
                    .seal_in_place_separate_tag(
                        Nonce::assume_unique_for_key([9; 12]),
                        Aad::from(&header),
                        &mut self.buf[HEADER..PACKET],
                    )
                    .unwrap();
                self.buf[PACKET..].copy_from_slice(tag.as_ref());
                k.open_in_place(
                    Nonce::assume_unique_for_key([9; 12]),
                    Aad::from(&header),
                    black_box(&mut self.buf[HEADER..]),
                )
                .unwrap();
            }
        }
    }

    /// AES-128-CTR + HMAC-SHA1 (RFC 3711's transform), keyed once.
    pub struct Cm {
        #[cfg(not(feature = "aws-lc-rs"))]
        aes: aes::Aes128,
        #[cfg(not(feature = "aws-lc-rs"))]
        mac: hmac::Hmac<sha1::Sha1>,
        #[cfg(feature = "aws-lc-rs")]
        aes: aws_lc_rs::cipher::EncryptingKey,
        #[cfg(feature = "aws-lc-rs")]
        mac: aws_lc_rs::hmac::Key,
    }

    impl Cm {
        pub fn new() -> Self {
            #[cfg(not(feature = "aws-lc-rs"))]
            {
                use aes::cipher::KeyInit;
                Self {
                    aes: aes::Aes128::new_from_slice(&[2; 16]).unwrap(),
                    mac: <hmac::Hmac<sha1::Sha1> as hmac::KeyInit>::new_from_slice(&[3; 20])
                        .unwrap(),
                }
            }
            #[cfg(feature = "aws-lc-rs")]
            {
                use aws_lc_rs::cipher::{AES_128, EncryptingKey, UnboundCipherKey};
                Self {
                    aes: EncryptingKey::ctr(UnboundCipherKey::new(&AES_128, &[2; 16]).unwrap())
                        .unwrap(),
                    mac: aws_lc_rs::hmac::Key::new(
                        aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
                        &[3; 20],
                    ),
                }
            }
        }

        fn ctr(&self, data: &mut [u8]) {
            let iv = [4u8; 16];
            #[cfg(not(feature = "aws-lc-rs"))]
            {
                use ctr::cipher::{InnerIvInit, StreamCipher, StreamCipherCoreWrapper};
                let core = ctr::CtrCore::<aes::Aes128, ctr::flavors::Ctr128BE>::inner_iv_init(
                    self.aes.clone(),
                    &iv.into(),
                );
                StreamCipherCoreWrapper::from_core(core).apply_keystream(data);
            }
            #[cfg(feature = "aws-lc-rs")]
            {
                use aws_lc_rs::cipher::EncryptionContext;
                use aws_lc_rs::iv::FixedLength;
                self.aes
                    .less_safe_encrypt(data, EncryptionContext::Iv128(FixedLength::from(iv)))
                    .unwrap();
            }
        }

        fn mac(&self, data: &[u8]) -> [u8; 20] {
            let roc = [0u8; 4];
            #[cfg(not(feature = "aws-lc-rs"))]
            {
                use hmac::Mac;
                let mut m = self.mac.clone();
                m.update(data);
                m.update(&roc);
                m.finalize().into_bytes().into()
            }
            #[cfg(feature = "aws-lc-rs")]
            {
                let mut c = aws_lc_rs::hmac::Context::with_key(&self.mac);
                c.update(data);
                c.update(&roc);
                let mut out = [0u8; 20];
                out.copy_from_slice(c.sign().as_ref());
                out
            }
        }

        /// Encrypt the payload, MAC the packet; MAC the packet, decrypt the payload.
        fn round(&self, buf: &mut [u8]) {
            self.ctr(&mut buf[HEADER..]);
            let t = self.mac(buf);
            black_box(t);
            let t = self.mac(black_box(&*buf));
            black_box(t);
            self.ctr(&mut buf[HEADER..]);
        }
    }
}

/// rtc-srtp (webrtc-rs): encrypt then decrypt (it allocates its output buffers).
struct TheirSrtp {
    tx: rtc_srtp::context::Context,
    rx: rtc_srtp::context::Context,
    template: Vec<u8>,
    seq: u16,
}

impl TheirSrtp {
    fn new(p: SrtpProfile) -> Self {
        use rtc_srtp::context::Context;
        use rtc_srtp::crypto::providers::AwsLcRsCrypto;
        use rtc_srtp::option::srtp_replay_protection;
        use rtc_srtp::protection_profile::ProtectionProfile as P;
        let profile = match p {
            SrtpProfile::AeadAes256Gcm => P::AeadAes256Gcm,
            SrtpProfile::AeadAes128Gcm => P::AeadAes128Gcm,
            SrtpProfile::Aes128CmSha1_80 => P::Aes128CmHmacSha1_80,
            _ => P::Aes128CmHmacSha1_32,
        };
        let (k, s) = (vec![5; p.key_len()], vec![6; p.salt_len()]);
        Self {
            tx: Context::new(&k, &s, profile, None, None, &AwsLcRsCrypto).unwrap(),
            rx: Context::new(
                &k,
                &s,
                profile,
                Some(srtp_replay_protection(1024)),
                None,
                &AwsLcRsCrypto,
            )
            .unwrap(),
            template: rtp_packet(),
            seq: 1,
        }
    }

    fn round(&mut self) {
        self.seq = self.seq.wrapping_add(1);
        self.template[2..4].copy_from_slice(&self.seq.to_be_bytes());
        let c = self.tx.encrypt_rtp(&self.template).unwrap();
        black_box(self.rx.decrypt_rtp(black_box(&c)).unwrap());
    }
}

/// str0m's SRTP sender (its `_internal_test_exports`: protect only; it writes the header from
/// its own `RtpHeader` and returns a new `Vec`).
struct Str0mSrtp {
    srtp: str0m::_internal_test_exports::TestSrtp,
    header: str0m::rtp::RtpHeader,
    exts: str0m::rtp::ExtensionMap,
    payload: Vec<u8>,
    seq: u64,
}

impl Str0mSrtp {
    fn new(p: SrtpProfile) -> Option<Self> {
        use str0m::crypto::dtls::{KeyingMaterial, SrtpProfile as S};
        let profile = match p {
            SrtpProfile::AeadAes256Gcm => S::AEAD_AES_256_GCM,
            SrtpProfile::AeadAes128Gcm => S::AEAD_AES_128_GCM,
            SrtpProfile::Aes128CmSha1_80 => S::AES128_CM_SHA1_80,
            // str0m has no AES_CM_128_HMAC_SHA1_32.
            _ => return None,
        };
        let crypto = str0m::crypto::from_feature_flags();
        let srtp = str0m::_internal_test_exports::TestSrtp::new(
            &crypto,
            profile,
            &KeyingMaterial::new(&material(p)),
        );
        let exts = str0m::rtp::ExtensionMap::standard();
        let template = rtp_packet();
        let header = str0m::rtp::RtpHeader::_parse(&template, &exts).expect("str0m parses it");
        let payload = template[header.header_len..].to_vec();
        Some(Self {
            srtp,
            header,
            exts,
            payload,
            seq: 1,
        })
    }

    fn protect(&mut self) {
        self.seq += 1;
        let mut h = self.header.clone();
        h.sequence_number = self.seq as u16;
        black_box(self.srtp.protect(h, self.seq, &self.payload, &self.exts));
    }
}

const PROFILES: [SrtpProfile; 4] = SrtpProfile::PREFERENCE;

fn bench_srtp(c: &mut Criterion) {
    let cm = ceiling::Cm::new();
    for p in PROFILES {
        let name = profile_name(p);
        let mut g = c.benchmark_group(format!("srtp/{name}"));
        let mut ours = Ours::new(p);
        g.bench_function("sansrtc", |b| b.iter(|| ours.round()));
        let aead = match p {
            SrtpProfile::AeadAes256Gcm => Some(32),
            SrtpProfile::AeadAes128Gcm => Some(16),
            _ => None,
        };
        let mut ceil = ceiling::Ceiling::new(aead, &rtp_packet());
        g.bench_function("ceiling", |b| b.iter(|| ceil.round(&cm)));
        let mut theirs = TheirSrtp::new(p);
        g.bench_function("rtc-srtp", |b| b.iter(|| theirs.round()));
        g.bench_function("sansrtc-protect", |b| b.iter(|| ours.protect()));
        if let Some(mut s) = Str0mSrtp::new(p) {
            g.bench_function("str0m-protect", |b| b.iter(|| s.protect()));
        }
        g.finish();
    }
}

/// RTP header + extensions, as a receiver needs them: the header fields and the mid, the
/// abs-send-time and the transport-wide sequence number of the packet's one-byte extensions.
fn bench_rtp_parse(c: &mut Criterion) {
    use sansrtc::rtp::{AbsSendTime, Mid, RtpView, TransportCc, TypedExtension};
    let packet = rtp_packet();
    let mut g = c.benchmark_group("rtp-parse");
    g.bench_function("sansrtc", |b| {
        b.iter(|| {
            let v = RtpView::parse(black_box(&packet)).unwrap();
            let mut sum = u64::from(v.sequence_number()) + u64::from(v.timestamp());
            // One pass over the elements, dispatching on the negotiated ids, as a receiver does.
            let (mut mid, mut ast, mut tcc) = (None, None, None);
            for (id, data) in v.extensions().unwrap().iter() {
                match id {
                    1 => mid = Mid::parse(data).ok(),
                    2 => ast = AbsSendTime::parse(data).ok(),
                    3 => tcc = TransportCc::parse(data).ok(),
                    _ => {}
                }
            }
            sum += u64::from(v.ssrc()) + v.payload().len() as u64;
            black_box((sum, mid, ast, tcc))
        })
    });
    let exts = str0m::rtp::ExtensionMap::standard();
    g.bench_function("str0m", |b| {
        b.iter(|| black_box(str0m::rtp::RtpHeader::_parse(black_box(&packet), &exts).unwrap()))
    });
    g.bench_function("rtp-types", |b| {
        b.iter(|| {
            let p = rtp_types::RtpPacket::parse(black_box(&packet[..])).unwrap();
            let mut sum = u64::from(p.sequence_number()) + u64::from(p.timestamp());
            // The one-byte elements, by hand: rtp-types exposes the raw block only.
            let (_, data) = p.extension().unwrap();
            let mut i = 0;
            while i < data.len() {
                let h = data[i];
                if h == 0 {
                    i += 1;
                    continue;
                }
                let len = usize::from(h & 0x0f) + 1;
                sum += u64::from(data[i + 1]);
                i += 1 + len;
            }
            sum += u64::from(p.ssrc()) + p.payload().len() as u64;
            black_box(sum)
        })
    });
    g.finish();
}

/// A typical receiver-side compound: SR with one report block, SDES CNAME, a transport-cc
/// feedback of 40 packets, a generic NACK and a PLI (reduced-size packets after the report).
fn rtcp_compound() -> Vec<u8> {
    use sansrtc::rtcp::{Nack, Pli, RtcpPacket, TransportCcBuilder, encode_compound};
    use std::time::Duration;
    let mut packets = Vec::new();
    let mut out = hex_compound_sr();
    let arrivals: Vec<(u16, Option<Duration>)> = (0..40u16)
        .map(|i| {
            (
                1000 + i,
                (i % 7 != 3).then(|| Duration::from_micros(u64::from(i) * 2500)),
            )
        })
        .collect();
    let (tcc, _) = TransportCcBuilder::new(0x1111, 0x2222, 5).build(&arrivals);
    packets.push(RtcpPacket::TransportCc(tcc));
    packets.push(RtcpPacket::Nack(Nack::from_lost(
        0x1111,
        0x2222,
        [7, 9, 10, 30],
    )));
    packets.push(RtcpPacket::Pli(Pli {
        sender_ssrc: 0x1111,
        media_ssrc: 0x2222,
    }));
    encode_compound(&packets, &mut out).unwrap();
    out
}

/// SR (one report block) + SDES CNAME, as bytes.
fn hex_compound_sr() -> Vec<u8> {
    let mut p = vec![0x81, 200, 0, 12];
    for w in [0x1111u32, 0xe000_0000, 0x1234_5678, 90_000, 100, 120_000] {
        p.extend_from_slice(&w.to_be_bytes());
    }
    for w in [
        0x2222u32,
        0x0100_0002,
        0x0001_0000,
        17,
        0x1111_2222,
        0x0000_0100,
    ] {
        p.extend_from_slice(&w.to_be_bytes());
    }
    p.extend_from_slice(&[0x81, 202, 0, 4, 0, 0, 0x11, 0x11, 1, 7]);
    p.extend_from_slice(b"sansrtc");
    p.extend_from_slice(&[0, 0, 0]);
    p
}

fn bench_rtcp_parse(c: &mut Criterion) {
    use rtcp_types::prelude::*;
    let compound = rtcp_compound();
    let mut g = c.benchmark_group("rtcp-compound-parse");
    g.bench_function("sansrtc", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for view in sansrtc::rtcp::CompoundReader::new(black_box(&compound)) {
                let p = view.unwrap().parse().unwrap();
                n += black_box(&p).encoded_len();
            }
            n
        })
    });
    g.bench_function("rtcp-types", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for p in rtcp_types::Compound::parse(black_box(&compound)).unwrap() {
                let p = p.unwrap();
                if let rtcp_types::Packet::TransportFeedback(fb) = &p
                    && let Ok(twcc) = fb.parse_fci::<rtcp_types::Twcc>()
                {
                    n += twcc.packets().count();
                }
                n += black_box(&p).length();
            }
            n
        })
    });
    g.finish();
}

/// Two connected peers in a video call; `b` forwards what `a` sends back to it.
struct Forwarder {
    a: sansrtc::Peer,
    b: sansrtc::Peer,
    now: std::time::Instant,
    a_video: sansrtc::media::TransceiverId,
    b_video: sansrtc::media::TransceiverId,
    pt: u8,
}

impl Forwarder {
    fn new() -> Self {
        use sansrtc::media::{MediaKind, TrackInfo};
        use sansrtc::sdp::SdpType;
        use sansrtc::{Peer, PeerConfig};
        #[allow(clippy::disallowed_methods, reason = "a benchmark's base instant")]
        let mut now = std::time::Instant::now();
        let mut a = Peer::new(PeerConfig::new().seed(1), now);
        let mut b = Peer::new(PeerConfig::new().seed(2), now);
        a.add_local_address("10.0.0.1:1000".parse().unwrap());
        b.add_local_address("10.0.0.2:2000".parse().unwrap());
        let a_video = a
            .add_track(TrackInfo::new(MediaKind::Video, "cam"), &[])
            .unwrap();
        let offer = a.create_offer().unwrap();
        a.set_local_description(offer.clone()).unwrap();
        b.set_remote_sdp(SdpType::Offer, &offer.sdp.to_string())
            .unwrap();
        let b_video = b
            .add_track(TrackInfo::new(MediaKind::Video, "fwd"), &[])
            .unwrap();
        let answer = b.create_answer().unwrap();
        b.set_local_description(answer.clone()).unwrap();
        a.set_remote_sdp(SdpType::Answer, &answer.sdp.to_string())
            .unwrap();
        for _ in 0..2_000 {
            for a_sends in [true, false] {
                let (from, to) = if a_sends {
                    (&mut a, &mut b)
                } else {
                    (&mut b, &mut a)
                };
                while let Some(t) = from.poll_transmit(now) {
                    to.handle_receive(now, t.as_datagram());
                }
                while from.poll_event().is_some() {}
            }
            if a.connection_state() == sansrtc::PeerConnectionState::Connected
                && b.connection_state() == sansrtc::PeerConnectionState::Connected
            {
                break;
            }
            now += std::time::Duration::from_millis(5);
            a.handle_timeout(now);
            b.handle_timeout(now);
        }
        assert_eq!(
            a.connection_state(),
            sansrtc::PeerConnectionState::Connected
        );
        let pt = a.transceiver(a_video).unwrap().codecs()[0].payload_type;
        Self {
            a,
            b,
            now,
            a_video,
            b_video,
            pt,
        }
    }

    /// `b` receives it (unprotect in place, demux, event) and forwards it on its own sender
    /// (header, extensions, protect, transmit).
    fn forward(
        b: &mut sansrtc::Peer,
        to: sansrtc::media::TransceiverId,
        now: std::time::Instant,
        d: sansrtc::DatagramBuf,
    ) {
        b.handle_receive_buf(now, d);
        while let Some(e) = b.poll_event() {
            if let sansrtc::Event::Rtp(p) = e {
                b.send_rtp(
                    to,
                    sansrtc::RtpOut {
                        payload_type: p.payload_type,
                        timestamp: p.header.timestamp,
                        marker: p.header.marker,
                        payload: p.payload,
                        sequence_number: Some(p.header.sequence_number),
                        ..Default::default()
                    },
                )
                .unwrap();
            }
        }
        while let Some(t) = b.poll_transmit(now) {
            black_box(t);
        }
    }
}

/// A received datagram as a receive loop over a socket makes it: read into a large `BytesMut`
/// and split off (so the peer's `freeze` and `slice` of it share one buffer, no allocation).
fn datagram_from(pool: &mut bytes::BytesMut, t: &sansrtc::Transmit) -> sansrtc::DatagramBuf {
    if pool.capacity() < t.contents.len() {
        *pool = bytes::BytesMut::with_capacity(64 * 1024);
    }
    pool.extend_from_slice(&t.contents);
    sansrtc::DatagramBuf {
        source: t.source,
        destination: t.destination,
        protocol: t.protocol,
        contents: pool.split(),
    }
}

/// RTP forwarding through one peer (receive → unprotect → demux → event → send → protect →
/// transmit), beside the SRTP ceiling of the same packet (one AEAD open and one seal).
fn bench_forward(c: &mut Criterion) {
    let mut f = Forwarder::new();
    let mut g = c.benchmark_group("rtp-forward");
    g.throughput(criterion::Throughput::Elements(1));
    let (b, to, now) = (&mut f.b, f.b_video, f.now);
    let a = &mut f.a;
    let (a_video, pt) = (f.a_video, f.pt);
    let mut ts = 0u32;
    let mut pool = bytes::BytesMut::new();
    g.bench_function("sansrtc", |bn| {
        bn.iter_batched(
            || {
                ts = ts.wrapping_add(3000);
                a.send_rtp(
                    a_video,
                    sansrtc::RtpOut {
                        payload_type: pt,
                        timestamp: ts,
                        marker: true,
                        payload: bytes::Bytes::from(vec![0x10; 1100]),
                        ..Default::default()
                    },
                )
                .unwrap();
                let t = a.poll_transmit(now).unwrap();
                datagram_from(&mut pool, &t)
            },
            |d| Forwarder::forward(b, to, now, d),
            criterion::BatchSize::SmallInput,
        )
    });
    let cm = ceiling::Cm::new();
    let mut ceil = ceiling::Ceiling::new(Some(32), &rtp_packet());
    g.bench_function("ceiling", |bn| bn.iter(|| ceil.round(&cm)));
    g.finish();
}

criterion_group!(
    benches,
    bench_srtp,
    bench_rtp_parse,
    bench_rtcp_parse,
    bench_forward
);

/// Allocation calls per protect+unprotect, over 10,000 packets after a warm-up.
fn allocations_per_packet(p: SrtpProfile) -> f64 {
    let mut ours = Ours::new(p);
    for _ in 0..100 {
        ours.round();
    }
    let before = alloc::calls();
    for _ in 0..10_000 {
        ours.round();
    }
    (alloc::calls() - before) as f64 / 10_000.0
}

/// SRTP's own cost as a share of the ceiling, measured robustly on a shared machine: 41 pairs of
/// 2,000 packets each, ours and the ceiling alternating, in this thread's CPU time (other
/// processes' time is not counted); the median of the pairs' ratios.
fn interleaved_own_cost(p: SrtpProfile) -> f64 {
    use ceilings::Clock;
    let cm = ceiling::Cm::new();
    let aead = match p {
        SrtpProfile::AeadAes256Gcm => Some(32),
        SrtpProfile::AeadAes128Gcm => Some(16),
        _ => None,
    };
    let mut ours = Ours::new(p);
    let mut ceil = ceiling::Ceiling::new(aead, &rtp_packet());
    for _ in 0..2_000 {
        ours.round();
        ceil.round(&cm);
    }
    let mut ratios: Vec<f64> = (0..41)
        .map(|_| {
            let a = Clock::ThreadCpu.time(&mut || {
                for _ in 0..2_000 {
                    ours.round();
                }
            });
            let b = Clock::ThreadCpu.time(&mut || {
                for _ in 0..2_000 {
                    ceil.round(&cm);
                }
            });
            a / b
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2] - 1.0
}

fn profile_only(name: &str) {
    let p = *PROFILES
        .iter()
        .find(|p| p.name() == name)
        .expect("MEDIA_BENCH_PROFILE names a profile");
    let cm = ceiling::Cm::new();
    let aead = match p {
        SrtpProfile::AeadAes256Gcm => Some(32),
        SrtpProfile::AeadAes128Gcm => Some(16),
        _ => None,
    };
    let mut ours = Ours::new(p);
    let mut ceil = ceiling::Ceiling::new(aead, &rtp_packet());
    for _ in 0..200_000 {
        ours.round();
    }
    for _ in 0..200_000 {
        ceil.round(&cm);
    }
}

/// Allocations per forwarded packet (the receiving and forwarding peer only; the input is made
/// before counting).
fn forward_allocations() -> f64 {
    let mut f = Forwarder::new();
    let mut ts = 0u32;
    let mut total = 0;
    let mut pool = bytes::BytesMut::new();
    for i in 0..2_100 {
        ts = ts.wrapping_add(3000);
        f.a.send_rtp(
            f.a_video,
            sansrtc::RtpOut {
                payload_type: f.pt,
                timestamp: ts,
                marker: true,
                payload: bytes::Bytes::from(vec![0x10; 1100]),
                ..Default::default()
            },
        )
        .unwrap();
        let t = f.a.poll_transmit(f.now).unwrap();
        let d = datagram_from(&mut pool, &t);
        let before = alloc::calls();
        Forwarder::forward(&mut f.b, f.b_video, f.now, d);
        if i >= 100 {
            total += alloc::calls() - before;
        }
    }
    total as f64 / 2_000.0
}

fn forward_table() {
    let (Some(ours), Some(ceil)) = (
        estimate("rtp-forward", "sansrtc"),
        estimate("rtp-forward", "ceiling"),
    ) else {
        return;
    };
    println!(
        "\n| RTP forwarding through one peer, 1,100-byte payload | ns / packet | packets / s / core |"
    );
    println!("|---|---:|---:|");
    println!(
        "| sansrtc (AEAD_AES_256_GCM) | {ours:.0} | {:.0} |",
        1e9 / ours
    );
    println!(
        "| SRTP ceiling (open + seal) | {ceil:.0} | {:.0} |",
        1e9 / ceil
    );
    println!("| ratio | {:.2}× | |", ours / ceil);
    println!(
        "\nallocations per forwarded packet: {:.1}",
        forward_allocations()
    );
}

/// Criterion's point estimate of the mean for `group/bench` in this run, in ns.
fn estimate(group: &str, bench: &str) -> Option<f64> {
    let dir = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target").to_string());
    // Criterion names a group's directory after the group with '/' made '_'.
    let group = group.replace('/', "_");
    let path = format!("{dir}/criterion/{group}/{bench}/new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let at = text.find("\"mean\"")?;
    let rest = &text[at..];
    let p = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let end = rest[p..].find([',', '}'])?;
    rest[p..p + end].trim().parse().ok()
}

fn table(allocs: &[(SrtpProfile, f64)], interleaved: &[f64]) {
    println!("\nSRTP of a {PACKET}-byte RTP packet, protect + unprotect; backend {BACKEND}");
    println!(
        "\n| profile | sansrtc (ns) | ceiling (ns) | SRTP's own cost | own cost, interleaved CPU time | allocations / packet | rtc-srtp (ns) | sansrtc protect (ns) | str0m protect (ns) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let f = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.0}"));
    for (&(p, a), own_cpu) in allocs.iter().zip(interleaved) {
        let g = format!("srtp/{}", profile_name(p));
        let ours = estimate(&g, "sansrtc");
        let ceil = estimate(&g, "ceiling");
        let own = match (ours, ceil) {
            (Some(o), Some(c)) => format!("{:+.1}%", (o / c - 1.0) * 100.0),
            _ => "—".into(),
        };
        println!(
            "| {} | {} | {} | {own} | {:+.1}% | {a} | {} | {} | {} |",
            profile_name(p),
            f(ours),
            f(ceil),
            own_cpu * 100.0,
            f(estimate(&g, "rtc-srtp")),
            f(estimate(&g, "sansrtc-protect")),
            f(estimate(&g, "str0m-protect")),
        );
    }
}

/// The parse rows of the table.
fn parse_table() {
    let f = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.0}"));
    println!("\n| parse | sansrtc (ns) | str0m (ns) | rtp-types / rtcp-types (ns) |");
    println!("|---|---:|---:|---:|");
    println!(
        "| RTP header + 3 extensions | {} | {} | {} |",
        f(estimate("rtp-parse", "sansrtc")),
        f(estimate("rtp-parse", "str0m")),
        f(estimate("rtp-parse", "rtp-types")),
    );
    println!(
        "| RTCP compound: SR + SDES + transport-cc (40) + NACK + PLI | {} | — | {} |",
        f(estimate("rtcp-compound-parse", "sansrtc")),
        f(estimate("rtcp-compound-parse", "rtcp-types")),
    );
}

fn main() {
    // `MEDIA_BENCH_PROFILE=AEAD_AES_128_GCM` (a profile's name): 200,000 rounds of ours, then
    // 200,000 of the ceiling, and exit; for `perf record` or callgrind with --toggle-collect.
    if let Ok(name) = std::env::var("MEDIA_BENCH_PROFILE") {
        profile_only(&name);
        return;
    }
    let allocs: Vec<(SrtpProfile, f64)> = PROFILES
        .iter()
        .map(|&p| (p, allocations_per_packet(p)))
        .collect();
    for &(p, a) in &allocs {
        assert_eq!(a, 0.0, "{p:?}: SRTP allocates on the packet path");
    }
    let interleaved: Vec<f64> = PROFILES.iter().map(|&p| interleaved_own_cost(p)).collect();
    benches();
    Criterion::default().configure_from_args().final_summary();
    table(&allocs, &interleaved);
    parse_table();
    forward_table();
}
