//! SDP parse and write, beside str0m's parser on the same text in the same run.
//!
//! `cargo bench --bench sdp`. Inputs: the Chromium data-channel offer (`../shared/interop`
//! sample) and a 185-line Chrome audio/video(simulcast)/data offer (tests/fixtures/sdp).

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

criterion_group!(benches, sdp);
criterion_main!(benches);
