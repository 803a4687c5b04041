//! SDP parse and write, beside str0m's parser on the same text in the same run.
//!
//! `cargo bench --bench sdp`. Inputs: the Chromium data-channel offer (`../shared/interop`
//! sample) and a 185-line Chrome audio/video(simulcast)/data offer (tests/fixtures/sdp).
//!
//! Offer/answer with audio, video and data, beside str0m in the same run (`sdp/offer_answer`):
//! answering Chrome's 185-line offer (apply it, answer, write the answer's text), and making an
//! audio+video+data offer's text. The peers are made outside the timed part (both stacks make
//! a DTLS certificate on construction).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sansrtc::sdp::SessionDescription;
use std::hint::black_box;

const CHROMIUM_OFFER: &str = include_str!("../tests/fixtures/sdp/chromium-data-offer.sdp");
const AV_OFFER: &str = include_str!("../tests/fixtures/sdp/chrome-av-data-offer.sdp");

fn sdp(c: &mut Criterion) {
    for (name, text) in [
        ("chromium_offer", CHROMIUM_OFFER),
        ("av_data_offer_185_lines", AV_OFFER),
    ] {
        let mut g = c.benchmark_group(format!("sdp/{name}"));
        g.throughput(Throughput::Bytes(text.len() as u64));
        // Both parsers must accept the text, or the comparison means nothing.
        assert!(str0m::change::SdpOffer::from_sdp_string(text).is_ok());
        let parsed = SessionDescription::parse(text).unwrap();
        g.bench_function("sansrtc_parse", |b| {
            b.iter(|| SessionDescription::parse(black_box(text)).unwrap())
        });
        g.bench_function("str0m_parse", |b| {
            b.iter(|| str0m::change::SdpOffer::from_sdp_string(black_box(text)).unwrap())
        });
        g.bench_function("sansrtc_write", |b| {
            b.iter(|| black_box(&parsed).to_string())
        });
        g.bench_function("sansrtc_parse_write", |b| {
            b.iter(|| {
                SessionDescription::parse(black_box(text))
                    .unwrap()
                    .to_string()
            })
        });
        g.finish();
    }
}

fn offer_answer(c: &mut Criterion) {
    use criterion::BatchSize;
    use sansrtc::media::{MediaKind, TrackInfo, TransceiverInit};
    use sansrtc::sdp::SdpType;
    use sansrtc::{ChannelOptions, Peer, PeerConfig};
    use std::time::Instant;
    #[allow(clippy::disallowed_methods, reason = "a benchmark's base instant")]
    let now = Instant::now();
    let cert = sansrtc::dtls::Certificate::generate(
        &mut sansrtc::rng::RngRoot::from_seed(1).stream(sansrtc::rng::Stream::Certificate),
    );
    let peer = || {
        let mut p = Peer::new(PeerConfig::new().seed(7).certificate(cert.clone()), now);
        p.add_local_address("10.0.0.1:5000".parse().unwrap());
        p
    };
    let str0m = || {
        let mut rtc = str0m::Rtc::new(now);
        let c = str0m::Candidate::host("10.0.0.2:6000".parse().unwrap(), "udp").unwrap();
        rtc.add_local_candidate(c);
        rtc
    };
    let mut g = c.benchmark_group("sdp/offer_answer");
    g.bench_function("sansrtc_answer_av_data_offer", |b| {
        b.iter_batched(
            peer,
            |mut p| {
                p.set_remote_sdp(SdpType::Offer, black_box(AV_OFFER))
                    .unwrap();
                for kind in [MediaKind::Audio, MediaKind::Video] {
                    p.add_track(TrackInfo::new(kind, kind.as_str()), &[])
                        .unwrap();
                }
                // Not applied: setting it would start the DTLS handshake (key shares), which is
                // not SDP work; str0m's DTLS is made with its `Rtc`, outside the timing.
                let answer = p.create_answer().unwrap().sdp.to_string();
                // The peer is returned so that dropping it is not timed (nor str0m's).
                (p, black_box(answer))
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("str0m_answer_av_data_offer", |b| {
        b.iter_batched(
            str0m,
            |mut rtc| {
                let offer = str0m::change::SdpOffer::from_sdp_string(black_box(AV_OFFER)).unwrap();
                let answer = rtc.sdp_api().accept_offer(offer).unwrap();
                (rtc, black_box(answer.to_sdp_string()))
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("sansrtc_offer_av_data", |b| {
        b.iter_batched(
            peer,
            |mut p| {
                for kind in [MediaKind::Audio, MediaKind::Video] {
                    p.add_transceiver(kind, TransceiverInit::default()).unwrap();
                }
                p.create_data_channel("x", ChannelOptions::default())
                    .unwrap();
                // The text for the other side, then the description applied (no copy kept).
                let offer = p.create_offer().unwrap();
                let text = offer.sdp.to_string();
                p.set_local_description(offer).unwrap();
                (p, black_box(text))
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("str0m_offer_av_data", |b| {
        b.iter_batched(
            str0m,
            |mut rtc| {
                let mut api = rtc.sdp_api();
                api.add_media(
                    str0m::media::MediaKind::Audio,
                    str0m::media::Direction::SendRecv,
                    None,
                    None,
                    None,
                );
                api.add_media(
                    str0m::media::MediaKind::Video,
                    str0m::media::Direction::SendRecv,
                    None,
                    None,
                    None,
                );
                api.add_channel("x".into());
                let (offer, pending) = api.apply().unwrap();
                let text = offer.to_sdp_string();
                (rtc, black_box((text, pending)))
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, sdp, offer_answer);
criterion_main!(benches);
