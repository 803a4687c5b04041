//! Fuzz targets of the RTP wire (`rtp`, `rtp_extensions`).

use crate::rtp::{
    AbsCaptureTime, AbsSendTime, AudioLevel, DdReader, DependencyDescriptor, DependencyStructure,
    Dti, ExtensionBlock, ExtensionForm, Extensions, FrameTemplate, MAX_DD_LEN, Mid,
    ONE_BYTE_PROFILE, PlayoutDelay, RenderResolution, RepairedRid, Rid, RtpHeader, RtpView,
    TWO_BYTE_PROFILE, TransmissionOffset, TransportCc, TypedExtension, VideoOrientation,
};

/// `rtp`: the RTP header view and value. The view never panics; whatever it accepts the value
/// parses, re-encodes (canonically) and re-parses equal, and view and value agree on payload,
/// header length and padding.
pub fn rtp(data: &[u8]) {
    let rtcp = crate::rtp::is_rtcp(data);
    assert!(!(rtcp && crate::rtp::is_rtp(data)), "RTP and RTCP at once");
    let Ok(view) = RtpView::parse(data) else {
        assert!(
            RtpHeader::parse(data).is_err(),
            "value accepts what the view rejects"
        );
        return;
    };
    assert_eq!(view.version(), 2);
    assert_eq!(view.csrcs().len(), view.csrc_count());
    assert_eq!(
        view.header_len() + view.payload().len() + view.padding_len(),
        data.len(),
        "header, payload and padding cover the packet"
    );
    if let Some(block) = view.extensions() {
        let mut it = block.iter();
        while it
            .try_next()
            .expect("the view validated the block")
            .is_some()
        {}
        assert_eq!(view.extension_profile(), Some(block.profile()));
    }
    let header = RtpHeader::parse(data).expect("the view accepted it");
    assert_eq!(header, view.to_header());
    assert_eq!(header.csrcs.as_slice(), view.csrcs().collect::<Vec<_>>());
    assert_eq!(usize::from(header.padding_len), view.padding_len());

    let mut out = Vec::new();
    header.encode_packet(view.payload(), &mut out);
    assert_eq!(
        out.len(),
        header.encoded_len() + view.payload().len() + usize::from(header.padding_len)
    );
    let mut buf = vec![0; header.encoded_len()];
    let n = header.encode_into(&mut buf).expect("buffer of encoded_len");
    assert_eq!(buf[..n], out[..n], "encode_into agrees with encode");

    let again = RtpView::parse(&out).expect("what we encode parses");
    assert_eq!(again.to_header(), header, "round trip");
    assert_eq!(again.payload(), view.payload());
    assert_eq!(again.padding_len(), view.padding_len());
    assert_eq!(again.header_len(), header.encoded_len());
    let mut twice = Vec::new();
    again.to_header().encode_packet(again.payload(), &mut twice);
    assert_eq!(twice, out, "encoding is canonical");
}

/// `rtp_extensions`: header extension blocks, typed values and the AV1 dependency descriptor.
/// The first byte picks what the rest is; every accepted value re-encodes and re-parses equal.
pub fn rtp_extensions(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 16 {
        0 => block(ONE_BYTE_PROFILE, rest),
        1 => block(TWO_BYTE_PROFILE | u16::from(mode >> 4), rest),
        2 => typed::<Mid>(rest),
        3 => typed::<Rid>(rest),
        4 => typed::<RepairedRid>(rest),
        5 => typed::<AbsSendTime>(rest),
        6 => typed::<TransportCc>(rest),
        7 => typed::<AudioLevel>(rest),
        8 => typed::<VideoOrientation>(rest),
        9 => typed::<PlayoutDelay>(rest),
        10 => typed::<AbsCaptureTime>(rest),
        11 => typed::<TransmissionOffset>(rest),
        12 => dd(rest, None),
        13 => dd(rest, Some(&structure(mode >> 4))),
        14 => dd_stream(rest),
        _ => edits(rest),
    }
}

fn block(profile: u16, data: &[u8]) {
    let Ok(b) = ExtensionBlock::parse(profile, data) else {
        return;
    };
    let e = Extensions::from_block(&b);
    let header = RtpHeader {
        extensions: e.clone(),
        ..RtpHeader::default()
    };
    let mut out = Vec::new();
    header.encode(&mut out);
    let back = RtpHeader::parse(&out).expect("what we encode parses");
    assert_eq!(back.extensions, e, "extension round trip");
    // The block keeps the elements before a one-byte id 15, in order, last duplicate winning.
    for (id, d) in e.iter() {
        assert_eq!(
            b.iter().filter(|&(i, _)| i == id).last().map(|(_, d)| d),
            Some(d)
        );
    }
}

fn typed<T: TypedExtension + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let Ok(v) = T::parse(data) else {
        return;
    };
    let mut out = Vec::new();
    v.encode(&mut out);
    assert_eq!(out.len(), v.encoded_len(), "encoded_len agrees with encode");
    assert!(out.len() <= 255);
    assert_eq!(
        T::parse(&out).expect("what we encode parses"),
        v,
        "typed round trip"
    );
}

fn dd(data: &[u8], current: Option<&DependencyStructure>) {
    let Ok(d) = DependencyDescriptor::parse(data, current) else {
        return;
    };
    if let Some(s) = &d.structure {
        s.validate().expect("a parsed structure is valid");
    }
    d.resolve(current).expect("a parsed descriptor resolves");
    assert!(data.len() <= MAX_DD_LEN, "longer than an element parsed");
    let mut out = Vec::new();
    d.encode(current, &mut out)
        .expect("what parsed re-encodes (the canonical form is never longer)");
    assert!(out.len() <= data.len(), "canonical form is never longer");
    assert_eq!(
        d.encoded_len(current).expect("encodes"),
        out.len(),
        "encoded_len agrees with encode"
    );
    assert_eq!(
        out[..3],
        data[..3],
        "mandatory fields are copied as they are"
    );
    assert_eq!(
        DependencyDescriptor::parse(&out, current).expect("what we encode parses"),
        d,
        "descriptor round trip"
    );
}

/// Length-prefixed descriptors through one reader, which keeps the last structure.
fn dd_stream(mut data: &[u8]) {
    let mut reader = DdReader::new();
    while let Some((&len, rest)) = data.split_first() {
        let (chunk, tail) = rest.split_at(usize::from(len).min(rest.len()));
        data = tail;
        let before = reader.structure().cloned();
        if let Ok(d) = reader.read(chunk) {
            let mut out = Vec::new();
            d.encode(before.as_ref(), &mut out).expect("re-encodes");
            let back = DependencyDescriptor::parse(&out, before.as_ref()).expect("re-parses");
            assert_eq!(back, d);
        }
    }
}

/// Arbitrary inserts and removals in every form, then a header round trip.
fn edits(data: &[u8]) {
    let Some((&form, mut rest)) = data.split_first() else {
        return;
    };
    let form = match form % 3 {
        0 => ExtensionForm::OneByte,
        1 => ExtensionForm::TwoByte { appbits: form >> 4 },
        _ => ExtensionForm::Mixed,
    };
    let mut e = Extensions::with_form(form);
    while let [id, len, tail @ ..] = rest {
        let (d, tail) = tail.split_at(usize::from(*len).min(tail.len()));
        rest = tail;
        if *len == 0 && *id & 1 == 1 {
            e.remove(*id);
        } else {
            let _ = e.insert(*id, d);
        }
    }
    let header = RtpHeader {
        extensions: e.clone(),
        ..RtpHeader::default()
    };
    let mut out = Vec::new();
    header.encode(&mut out);
    let back = RtpHeader::parse(&out).expect("what we encode parses");
    assert_eq!(
        back.extensions.iter().collect::<Vec<_>>(),
        e.iter().collect::<Vec<_>>(),
        "elements survive the round trip"
    );
}

/// A few structures for mode 13: L1T3 and L2T2 with resolutions (AV1 RTP spec §A.10.2).
fn structure(k: u8) -> DependencyStructure {
    use Dti::{Discardable as D, NotPresent as N, Required as R, Switch as S};
    let t = |s: u8, t: u8, fdiffs: &[u8], chains: &[u8], dtis: &[Dti]| FrameTemplate {
        spatial_id: s,
        temporal_id: t,
        dtis: dtis.to_vec(),
        fdiffs: fdiffs.to_vec(),
        chain_fdiffs: chains.to_vec(),
    };
    if k & 1 == 0 {
        DependencyStructure {
            template_id_offset: k >> 1,
            decode_target_count: 3,
            templates: vec![
                t(0, 0, &[], &[0], &[S, S, S]),
                t(0, 0, &[4], &[4], &[S, S, S]),
                t(0, 1, &[2], &[2], &[S, D, N]),
                t(0, 2, &[1], &[1], &[D, N, N]),
                t(0, 2, &[1], &[3], &[D, N, N]),
            ],
            chain_count: 1,
            decode_target_protected_by: vec![0, 0, 0],
            resolutions: vec![],
        }
    } else {
        DependencyStructure {
            template_id_offset: 60,
            decode_target_count: 4,
            templates: vec![
                t(0, 0, &[], &[0, 0], &[S, S, S, S]),
                t(0, 0, &[2], &[2, 1], &[S, S, S, S]),
                t(0, 1, &[1], &[1, 2], &[N, N, D, R]),
                t(1, 0, &[1], &[1, 1], &[N, S, N, S]),
                t(1, 0, &[2, 1], &[1, 1], &[N, R, N, R]),
                t(1, 1, &[2, 1], &[2, 1], &[N, N, N, D]),
            ],
            chain_count: 2,
            decode_target_protected_by: vec![0, 1, 0, 1],
            resolutions: vec![
                RenderResolution {
                    width: 640,
                    height: 360,
                },
                RenderResolution {
                    width: 1280,
                    height: 720,
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structures_are_valid() {
        for k in 0..16 {
            structure(k).validate().unwrap();
        }
    }
}
