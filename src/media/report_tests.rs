use super::*;
use proptest::prelude::*;

fn base() -> Instant {
    // One base instant; every other time is base + Duration (DESIGN.md §4).
    static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *BASE.get_or_init(crate::test_util::base)
}

fn at(ms: u64) -> Instant {
    base() + Duration::from_millis(ms)
}

fn new_seq(o: PacketOutcome) -> i64 {
    match o {
        PacketOutcome::New { extended_seq } => extended_seq,
        other => panic!("expected New, got {other:?}"),
    }
}

/// Feeds `seqs` one per 20 ms with a timestamp that follows the sequence number.
fn feed(s: &mut InboundStream, seqs: &[u16]) -> Vec<PacketOutcome> {
    seqs.iter()
        .enumerate()
        .map(|(i, &seq)| s.on_packet(at(i as u64 * 20), seq, u32::from(seq) * 960, 100))
        .collect()
}

// ----- NtpClock ------------------------------------------------------------------------------

#[test]
fn ntp_clock_counts_from_its_base() {
    let clock = NtpClock::new(base(), 0x0000_1000_8000_0000);
    assert_eq!(clock.ntp(base()), 0x0000_1000_8000_0000);
    assert_eq!(
        clock.ntp(base() + Duration::from_millis(1500)),
        0x0000_1002_0000_0000
    );
    // Before the base: before the base time, not a panic.
    let before = base().checked_sub(Duration::from_millis(500));
    if let Some(before) = before {
        assert_eq!(clock.ntp(before), 0x0000_1000_0000_0000);
    }
    assert_eq!(
        clock.compact(base() + Duration::from_millis(250)),
        0x1000_c000
    );
}

#[test]
fn ntp_from_unix_and_fixed() {
    // 2000-01-01T00:00:00Z is 946684800 s after the Unix epoch.
    let clock = NtpClock::from_unix(base(), Duration::from_secs(946_684_800));
    assert_eq!(clock.ntp(base()), NtpClock::FIXED_BASE_NTP);
    assert_eq!(NtpClock::fixed(base()), clock);
    assert_ne!(NtpClock::middle32(NtpClock::FIXED_BASE_NTP), 0);
    // Half a second is 2^31 in the fraction.
    let half = NtpClock::from_unix(base(), Duration::from_millis(500));
    assert_eq!(
        half.ntp(base()),
        (NtpClock::UNIX_EPOCH_SECS << 32) | (1 << 31)
    );
}

#[test]
fn ntp_wraps_at_the_era() {
    let clock = NtpClock::new(base(), (u64::from(u32::MAX) << 32) | 0x8000_0000);
    assert_eq!(clock.ntp(base() + Duration::from_secs(1)), 0x8000_0000);
}

#[test]
fn rfc3550_section4_compact_form() {
    assert_eq!(NtpClock::middle32(0x1234_5678_9abc_def0), 0x5678_9abc);
    assert_eq!(
        NtpClock::compact_to_duration(0x0005_4000),
        Duration::from_millis(5250)
    );
    assert_eq!(
        NtpClock::duration_to_compact(Duration::from_millis(5250)),
        0x0005_4000
    );
    assert_eq!(
        NtpClock::duration_to_compact(Duration::from_secs(65_535)),
        0xFFFF_0000
    );
    assert_eq!(
        NtpClock::duration_to_compact(Duration::from_secs(65_536)),
        u32::MAX
    );
    assert_eq!(NtpClock::duration_to_compact(Duration::MAX), u32::MAX);
    // Rounded to the nearest unit (15.26 µs).
    assert_eq!(NtpClock::duration_to_compact(Duration::from_micros(8)), 1);
    assert_eq!(NtpClock::duration_to_compact(Duration::from_micros(7)), 0);
    assert_eq!(
        NtpClock::compact_to_duration(u32::MAX),
        Duration::new(65_535, 999_984_741)
    );
}

proptest! {
    #[test]
    fn compact_round_trips(units: u32) {
        prop_assert_eq!(
            NtpClock::duration_to_compact(NtpClock::compact_to_duration(units)),
            units
        );
    }

    #[test]
    fn ntp_of_a_duration_is_within_half_a_unit(nanos in 0u64..1 << 50) {
        let d = Duration::from_nanos(nanos);
        let ntp = NtpClock::duration_to_ntp(d);
        let back = (u128::from(ntp >> 32) * 1_000_000_000)
            + ((u128::from(ntp & 0xFFFF_FFFF) * 1_000_000_000) >> 32);
        // One fraction unit is 0.23 ns; the conversion back floors.
        prop_assert!((back as i128 - i128::from(nanos)).abs() <= 1);
    }
}

// ----- Sequence numbers (RFC 3550 §A.1) ------------------------------------------------------

#[test]
fn extended_sequence_numbers_across_wraps() {
    let mut s = InboundStream::new(1, 48_000);
    let seqs: Vec<u16> = (65_530..=65_535).chain(0..=5).collect();
    let ext: Vec<i64> = feed(&mut s, &seqs).into_iter().map(new_seq).collect();
    let want: Vec<i64> = (65_530..=65_541).collect();
    assert_eq!(ext, want);
    // A second wrap.
    let mut last = 0;
    for i in 0..70_000u32 {
        let seq = (6 + i) as u16;
        last = new_seq(s.on_packet(at(1000), seq, 0, 1));
    }
    assert_eq!(last, 65_541 + 70_000);
    assert_eq!(s.extended_highest_seq(), Some(last));
    let block = s.report_block(at(1000));
    assert_eq!(block.extended_highest_seq, last as u32);
    assert_eq!(block.extended_highest_seq >> 16, 2, "two cycles");
    assert_eq!(block.cumulative_lost, 0);
}

#[test]
fn late_packets_across_a_wrap_keep_their_cycle() {
    let mut s = InboundStream::new(1, 48_000);
    feed(&mut s, &[65_534, 0, 1]);
    assert_eq!(
        s.on_packet(at(100), 65_535, 0, 1),
        PacketOutcome::Late {
            extended_seq: 65_535
        }
    );
    // From before the first packet, across the wrap: below zero.
    let mut s = InboundStream::new(1, 48_000);
    feed(&mut s, &[1]);
    assert_eq!(
        s.on_packet(at(100), 65_535, 0, 1),
        PacketOutcome::Late { extended_seq: -1 }
    );
    assert_eq!(s.extended_highest_seq(), Some(1));
    // RFC 3550 §A.3: received but not expected: the loss goes negative.
    assert_eq!(s.packets_lost(), -1);
}

#[test]
fn rfc3550_a1_max_dropout_and_max_misorder_bounds() {
    let mut s = InboundStream::new(1, 90_000);
    feed(&mut s, &[1000]);
    // A gap of MAX_DROPOUT - 1 is in order (those packets are lost).
    assert_eq!(
        new_seq(s.on_packet(at(1), 1000 + MAX_DROPOUT - 1, 0, 1)),
        3999
    );
    // MAX_DROPOUT ahead is a jump.
    assert_eq!(
        s.on_packet(at(2), 3999 + MAX_DROPOUT, 0, 1),
        PacketOutcome::Jump
    );
    // MAX_MISORDER - 1 behind is late; MAX_MISORDER behind is a jump.
    assert_eq!(
        s.on_packet(at(3), 3999 - (MAX_MISORDER - 1), 0, 1),
        PacketOutcome::Late {
            extended_seq: 3999 - i64::from(MAX_MISORDER - 1)
        }
    );
    assert_eq!(
        s.on_packet(at(4), 3999 - MAX_MISORDER, 0, 1),
        PacketOutcome::Jump
    );
    assert_eq!(s.stats().packets_received, 3, "jumps are not counted");
}

#[test]
fn rfc3550_a1_a_large_jump_resyncs_after_two_sequential_packets() {
    let mut s = InboundStream::new(7, 90_000);
    feed(&mut s, &[100, 101, 102, 103, 104, 105]);
    // One stray packet far away: dropped, statistics untouched.
    assert_eq!(s.on_packet(at(200), 20_000, 5, 10), PacketOutcome::Jump);
    assert_eq!(s.stats().packets_received, 6);
    assert_eq!(s.extended_highest_seq(), Some(105));
    // The old numbering goes on: still in order.
    assert_eq!(new_seq(s.on_packet(at(220), 106, 0, 10)), 106);
    // Two in a row after a jump: the sender restarted there.
    assert_eq!(s.on_packet(at(240), 30_000, 5, 10), PacketOutcome::Jump);
    assert_eq!(
        s.on_packet(at(260), 30_001, 6, 10),
        PacketOutcome::Restart {
            extended_seq: 30_001
        }
    );
    assert_eq!(new_seq(s.on_packet(at(280), 30_002, 7, 10)), 30_002);
    assert_eq!(s.extended_highest_seq(), Some(30_002));
    // RFC 3550 §6.4.1: the loss counts since the beginning of reception, across the restart;
    // the jump packet that announced the restart is neither expected nor received.
    assert_eq!(s.stats().packets_received, 9);
    assert_eq!(s.packets_lost(), 0);
    let block = s.report_block(at(300));
    assert_eq!(block.extended_highest_seq, 30_002);
    assert_eq!(block.cumulative_lost, 0);
    assert_eq!(block.fraction_lost, 0);
    // After the restart the old numbers are far away: a jump, not a packet of the stream.
    assert_eq!(s.on_packet(at(320), 107, 0, 10), PacketOutcome::Jump);
}

#[test]
fn a_restart_loses_none_of_the_loss_before_it() {
    let mut s = InboundStream::new(7, 90_000);
    feed(&mut s, &[0, 1, 2, 5]); // 3 and 4 lost
    assert_eq!(s.packets_lost(), 2);
    s.on_packet(at(100), 40_000, 0, 1);
    s.on_packet(at(120), 40_001, 0, 1);
    s.on_packet(at(140), 40_003, 0, 1); // 40_002 lost
    assert_eq!(s.packets_lost(), 3);
    let block = s.report_block(at(200));
    assert_eq!(block.cumulative_lost, 3);
    // Expected 6 + 3 = 9, received 4 + 2 = 6 over the interval: 3/9 of 256.
    assert_eq!(block.fraction_lost, (3 * 256 / 9) as u8);
}

// ----- Loss (RFC 3550 §A.3) ------------------------------------------------------------------

#[test]
fn rfc3550_a3_loss_and_fraction_with_reordering() {
    let mut s = InboundStream::new(9, 48_000);
    // 0..=9 with 3 and 5 missing, 7 before 6.
    feed(&mut s, &[0, 1, 2, 4, 7, 6, 8, 9]);
    let b = s.report_block(at(1000));
    assert_eq!(b.ssrc, 9);
    assert_eq!(b.extended_highest_seq, 9);
    assert_eq!(b.cumulative_lost, 2);
    assert_eq!(b.fraction_lost, (2 * 256 / 10) as u8);
    // 5 arrives late, then 10 and 11: the interval expected 2 and received 3, so its fraction
    // is 0 (never negative) and the cumulative loss drops to 1.
    assert_eq!(
        s.on_packet(at(1010), 5, 0, 1),
        PacketOutcome::Late { extended_seq: 5 }
    );
    feed(&mut s, &[10, 11]);
    let b = s.report_block(at(2000));
    assert_eq!(b.fraction_lost, 0);
    assert_eq!(b.cumulative_lost, 1);
    // An empty interval: nothing expected, fraction 0.
    let b = s.report_block(at(3000));
    assert_eq!(b.fraction_lost, 0);
    assert_eq!(b.cumulative_lost, 1);
}

#[test]
fn rfc3550_a3_fraction_is_per_interval() {
    let mut s = InboundStream::new(9, 48_000);
    let first: Vec<u16> = (0..100).filter(|n| n % 2 == 0).collect(); // half lost (98 highest)
    feed(&mut s, &first);
    let b = s.report_block(at(1000));
    assert_eq!(b.fraction_lost, (49 * 256 / 99) as u8);
    // The next interval loses nothing: its fraction is 0 though the cumulative loss stays.
    let second: Vec<u16> = (99..199).collect();
    feed(&mut s, &second);
    let b = s.report_block(at(2000));
    assert_eq!(b.fraction_lost, 0);
    assert_eq!(b.cumulative_lost, 49);
}

#[test]
fn duplicates_are_received_and_can_make_the_loss_negative() {
    let mut s = InboundStream::new(3, 48_000);
    let out = feed(&mut s, &[0, 1, 1, 2, 0, 2]);
    assert_eq!(
        out,
        vec![
            PacketOutcome::New { extended_seq: 0 },
            PacketOutcome::New { extended_seq: 1 },
            PacketOutcome::Duplicate { extended_seq: 1 },
            PacketOutcome::New { extended_seq: 2 },
            PacketOutcome::Duplicate { extended_seq: 0 },
            PacketOutcome::Duplicate { extended_seq: 2 },
        ]
    );
    let st = s.stats();
    assert_eq!(st.packets_received, 6);
    assert_eq!(st.packets_duplicated, 3);
    assert_eq!(st.bytes_received, 600);
    assert_eq!(st.packets_lost, -3);
    let b = s.report_block(at(1000));
    assert_eq!(b.cumulative_lost, -3);
    assert_eq!(b.fraction_lost, 0, "a negative interval loss reports 0");
}

#[test]
fn a_late_packet_after_a_wrap_is_not_mistaken_for_a_duplicate() {
    let mut s = InboundStream::new(3, 48_000);
    feed(&mut s, &[65_533, 65_535, 0, 1]);
    assert_eq!(
        s.on_packet(at(100), 65_534, 0, 1),
        PacketOutcome::Late {
            extended_seq: 65_534
        }
    );
    assert_eq!(
        s.on_packet(at(120), 65_534, 0, 1),
        PacketOutcome::Duplicate {
            extended_seq: 65_534
        }
    );
    // A gap wider than the 128-number window forgets what came before it.
    let mut s = InboundStream::new(3, 48_000);
    feed(&mut s, &[10, 11]);
    s.on_packet(at(100), 11 + 200, 0, 1);
    assert_eq!(
        s.on_packet(at(120), 11 + 200 - 99, 0, 1),
        PacketOutcome::Late {
            extended_seq: 11 + 200 - 99
        }
    );
}

#[test]
fn cumulative_loss_is_clamped_to_24_bits() {
    let mut s = InboundStream::new(3, 48_000);
    let mut seq = 0u16;
    s.on_packet(at(0), seq, 0, 1);
    // Gaps of MAX_DROPOUT - 1 lose 2998 packets each.
    for _ in 0..3000 {
        seq = seq.wrapping_add(MAX_DROPOUT - 1);
        s.on_packet(at(0), seq, 0, 1);
    }
    assert_eq!(s.packets_lost(), 3000 * 2998);
    assert!(s.packets_lost() > i64::from(ReportBlock::MAX_CUMULATIVE_LOST));
    let b = s.report_block(at(0));
    assert_eq!(b.cumulative_lost, ReportBlock::MAX_CUMULATIVE_LOST);
    assert_eq!(
        s.stats().packets_lost,
        3000 * 2998,
        "the W3C counter is not"
    );
}

#[test]
fn has_received_since_report() {
    let mut s = InboundStream::new(3, 48_000);
    assert!(!s.has_received_since_report());
    feed(&mut s, &[1]);
    assert!(s.has_received_since_report());
    s.report_block(at(100));
    assert!(!s.has_received_since_report());
    s.on_packet(at(120), 60_000, 0, 1); // a jump is not a packet of the stream
    assert!(!s.has_received_since_report());
}

// ----- Jitter (RFC 3550 §A.8) ----------------------------------------------------------------

/// RFC 3550 §A.8 as written, over arrivals given in timestamp units:
/// `transit = arrival - r->ts; d = transit - s->transit; s->transit = transit;
///  if (d < 0) d = -d; s->jitter += (1./16.) * ((double)d - s->jitter);`
fn a8_jitter(packets: &[(u64, u32)]) -> f64 {
    let mut jitter = 0.0f64;
    let mut last_transit: Option<i64> = None;
    for &(arrival, ts) in packets {
        let transit = arrival as i64 - i64::from(ts);
        if let Some(last) = last_transit {
            let d = (transit - last).abs();
            jitter += (1.0 / 16.0) * (d as f64 - jitter);
        }
        last_transit = Some(transit);
    }
    jitter
}

proptest! {
    #[test]
    fn jitter_matches_the_a8_formula(
        rate in prop::sample::select(vec![8_000u32, 48_000, 90_000]),
        steps in prop::collection::vec((0u64..200_000_000, 0u32..20_000, any::<bool>()), 1..200),
    ) {
        // Arrivals in nanoseconds after the first (monotone), timestamps moving forward or back.
        let mut s = InboundStream::new(5, rate);
        let mut arrival_ns = 0u64;
        let mut ts = 1u32 << 31; // far from a wrap: the transcription does not wrap
        let mut packets = Vec::new();
        for (i, &(gap_ns, ts_step, back)) in steps.iter().enumerate() {
            // The first packet arrives at base: the arrival clock's origin is free (only
            // differences of transit times count) and InboundStream puts it at the first
            // arrival, where this transcription puts it too.
            if i > 0 {
                arrival_ns += gap_ns;
            }
            ts = if back { ts.wrapping_sub(ts_step) } else { ts.wrapping_add(ts_step) };
            s.on_packet(base() + Duration::from_nanos(arrival_ns), i as u16, ts, 1);
            // The arrival on the media clock, as the RFC asks, floored to a tick.
            let arrival_ticks = (u128::from(arrival_ns) * u128::from(rate) / 1_000_000_000) as u64;
            packets.push((arrival_ticks, ts));
        }
        let want = a8_jitter(&packets);
        prop_assert!((s.jitter_units() - want).abs() < 1e-6, "{} vs {}", s.jitter_units(), want);
        let block = s.report_block(base());
        prop_assert_eq!(block.jitter, want as u32);
    }
}

#[test]
fn jitter_by_hand() {
    // 90 kHz, a packet every 20 ms (1800 ticks): constant transit, no jitter.
    let mut s = InboundStream::new(5, 90_000);
    for i in 0..10u32 {
        s.on_packet(at(u64::from(i) * 20), i as u16, i * 1800, 1);
    }
    assert_eq!(s.jitter_units(), 0.0);
    // One packet 10 ms late: |D| = 900 for it and for the next: J = 900/16, then
    // J += (900 - J) / 16.
    s.on_packet(at(10 * 20 + 10), 10, 10 * 1800, 1);
    assert_eq!(s.jitter_units(), 56.25);
    s.on_packet(at(11 * 20), 11, 11 * 1800, 1);
    assert_eq!(s.jitter_units(), 56.25 + (900.0 - 56.25) / 16.0);
    assert_eq!(s.report_block(at(300)).jitter, 108);
    assert_eq!(
        s.jitter(),
        Duration::from_secs_f64(s.jitter_units() / 90_000.0)
    );
}

#[test]
fn jitter_takes_no_difference_across_a_restart() {
    let mut s = InboundStream::new(5, 90_000);
    for i in 0..5u32 {
        s.on_packet(at(u64::from(i) * 20), i as u16, i * 1800, 1);
    }
    // The sender restarts with another sequence number and timestamp base.
    s.on_packet(at(100), 40_000, 123_456_789, 1);
    s.on_packet(at(120), 40_001, 123_456_789 + 1800, 1);
    assert_eq!(s.jitter_units(), 0.0);
}

#[test]
fn zero_clock_rate_does_not_panic() {
    let mut s = InboundStream::new(5, 0);
    feed(&mut s, &[1, 2, 3]);
    assert_eq!(s.jitter(), Duration::ZERO);
    let _ = s.report_block(at(100));
}

// ----- Sender reports seen by the receiver: LSR, DLSR ----------------------------------------

#[test]
fn rfc3550_6_4_1_lsr_and_dlsr() {
    let mut s = InboundStream::new(5, 90_000);
    feed(&mut s, &[1]);
    let b = s.report_block(at(10));
    assert_eq!((b.last_sr, b.delay_since_last_sr), (0, 0), "no SR yet");
    assert!(s.remote_outbound().is_none());

    let ntp = 0xb705_2000_1234_5678u64;
    s.on_sender_report(at(1000), ntp, 4242, 10, 1000);
    let b = s.report_block(at(2500));
    assert_eq!(b.last_sr, 0x2000_1234);
    assert_eq!(b.delay_since_last_sr, 0x0001_8000, "1.5 s in 1/65536 s");
    let sr = s.remote_outbound().unwrap();
    assert_eq!(
        sr,
        RemoteOutboundRtpStats {
            ntp_timestamp: ntp,
            rtp_timestamp: 4242,
            packets_sent: 10,
            bytes_sent: 1000,
            received_at: at(1000),
            reports_sent: 1,
        }
    );
}

#[test]
fn an_older_sr_does_not_replace_a_newer_one() {
    let mut s = InboundStream::new(5, 90_000);
    s.on_sender_report(at(1000), 0x0000_0010_0000_0000, 1, 1, 1);
    s.on_sender_report(at(1100), 0x0000_000f_0000_0000, 2, 2, 2);
    let sr = s.remote_outbound().unwrap();
    assert_eq!(sr.ntp_timestamp, 0x0000_0010_0000_0000);
    assert_eq!(sr.received_at, at(1000));
    assert_eq!(sr.reports_sent, 2, "still counted as received");
    // Across the NTP era wrap, a small forward step is newer.
    let mut s = InboundStream::new(5, 90_000);
    s.on_sender_report(at(1000), u64::MAX - (1 << 32), 1, 1, 1);
    s.on_sender_report(at(2000), 1 << 32, 2, 2, 2);
    assert_eq!(s.remote_outbound().unwrap().ntp_timestamp, 1 << 32);
}

// ----- Sender side: SR and RTT ---------------------------------------------------------------

#[test]
fn rfc3550_6_4_1_sr_timestamp_is_extrapolated() {
    let clock = NtpClock::new(base(), 0x0000_1000_0000_0000);
    let mut o = OutboundStream::new(0x1234, 90_000);
    assert!(!o.has_sent());
    o.on_sent(at(0), 1000, 1200);
    o.on_sent(at(5), 1000, 1200); // the same frame, paced later: the anchor stays at 0 ms
    o.on_sent(at(40), 1000 + 3600, 500);
    o.on_sent(at(50), 1000, 1200); // a retransmission: an older timestamp
    let sr = o.sender_report(at(100), &clock);
    assert_eq!(sr.ssrc, 0x1234);
    assert_eq!(sr.ntp_timestamp, 0x0000_1000_1999_999a);
    // 60 ms after the 40 ms packet at 90 kHz.
    assert_eq!(sr.rtp_timestamp, 1000 + 3600 + 5400);
    assert_eq!(sr.packet_count, 4);
    assert_eq!(sr.octet_count, 1200 * 3 + 500);
    assert!(sr.reports.is_empty());
    assert_eq!(o.stats().packets_sent, 4);
    assert_eq!(o.last_sent_at(), Some(at(50)));
}

#[test]
fn sr_timestamp_wraps_and_follows_a_new_timeline() {
    let clock = NtpClock::fixed(base());
    let mut o = OutboundStream::new(1, 48_000);
    o.on_sent(at(0), u32::MAX - 100, 10);
    assert_eq!(
        o.sender_report(at(1000), &clock).rtp_timestamp,
        48_000 - 101
    );
    // The encoder restarted its timestamps far behind: a new anchor, not a retransmission.
    o.on_sent(at(2000), 5_000, 10);
    assert_eq!(o.sender_report(at(2020), &clock).rtp_timestamp, 5_000 + 960);
    // Counts wrap with the 32-bit fields.
    let mut o = OutboundStream::new(1, 48_000);
    o.on_sent(at(0), 0, usize::MAX);
    o.on_sent(at(0), 0, 10);
    assert_eq!(o.stats().bytes_sent, u64::MAX);
    assert_eq!(o.sender_report(at(0), &clock).octet_count, u32::MAX);
}

/// RFC 3550 §6.4.1's example: an SR sent at 46853.125 s (LSR 0xb705:2000), the RR answering it
/// arrives at A = 0xb710:8000 (46864.500 s) with DLSR 0x0005:4000 (5.250 s): the round trip is
/// A − LSR − DLSR = 0x0006:2000, 6.125 s.
#[test]
fn rfc3550_6_4_1_rtt_example() {
    // An NTP clock whose middle 32 bits read 0xb710_8000 at base.
    let clock = NtpClock::new(base(), 0x0000_b710_8000_0000);
    assert_eq!(clock.compact(base()), 0xb710_8000);
    let mut o = OutboundStream::new(0xabc, 90_000);
    let block = ReportBlock {
        ssrc: 0xabc,
        fraction_lost: 64,
        cumulative_lost: -2,
        extended_highest_seq: 0x0001_0005,
        jitter: 900,
        last_sr: 0xb705_2000,
        delay_since_last_sr: 0x0005_4000,
    };
    let rtt = o.on_report_block(base(), &clock, &block);
    assert_eq!(rtt, Some(Duration::from_millis(6125)));
    let r = o.remote_inbound().unwrap();
    assert_eq!(r.round_trip_time, Some(Duration::from_millis(6125)));
    assert_eq!(r.total_round_trip_time, Duration::from_millis(6125));
    assert_eq!(r.round_trip_time_measurements, 1);
    assert_eq!(r.reports_received, 1);
    assert_eq!(r.fraction_lost, 64);
    assert_eq!(r.packets_lost, -2);
    assert_eq!(r.extended_highest_seq, 0x0001_0005);
    assert_eq!(r.jitter, Duration::from_millis(10));
    assert_eq!(r.last_report_at, base());
}

#[test]
fn rtt_is_not_measured_without_an_sr_or_when_negative() {
    let clock = NtpClock::new(base(), 0x0000_b710_8000_0000);
    let mut o = OutboundStream::new(1, 90_000);
    let block = |lsr, dlsr| ReportBlock {
        ssrc: 1,
        last_sr: lsr,
        delay_since_last_sr: dlsr,
        ..ReportBlock::default()
    };
    // LSR 0: the remote has no SR from us.
    assert_eq!(o.on_report_block(base(), &clock, &block(0, 0)), None);
    // DLSR longer than the time since the SR: negative, rejected.
    assert_eq!(
        o.on_report_block(base(), &clock, &block(0xb710_0000, 0x0000_8001)),
        None
    );
    // Exactly zero is a measurement.
    assert_eq!(
        o.on_report_block(base(), &clock, &block(0xb710_0000, 0x0000_8000)),
        Some(Duration::ZERO)
    );
    // LSR ahead of our clock: not one of our SRs.
    assert_eq!(
        o.on_report_block(base(), &clock, &block(0xb710_9000, 0)),
        None
    );
    let r = o.remote_inbound().unwrap();
    assert_eq!(r.reports_received, 4);
    assert_eq!(r.round_trip_time_measurements, 1);
    assert_eq!(r.round_trip_time, Some(Duration::ZERO));
    // A block about another SSRC is not ours to take.
    let other = ReportBlock {
        ssrc: 2,
        last_sr: 0xb710_0000,
        ..ReportBlock::default()
    };
    assert_eq!(o.on_report_block(base(), &clock, &other), None);
    assert_eq!(o.remote_inbound().unwrap().reports_received, 4);
}

#[test]
fn rtt_across_the_compact_clock_wrap() {
    // Our clock's middle 32 bits read 0x0000_1000 at base: the SR went out before the wrap.
    let clock = NtpClock::new(base(), 0x0001_0000_1000_0000);
    let mut o = OutboundStream::new(1, 90_000);
    let block = ReportBlock {
        ssrc: 1,
        last_sr: 0xffff_f000,
        delay_since_last_sr: 0x1000,
        ..ReportBlock::default()
    };
    assert_eq!(
        o.on_report_block(base(), &clock, &block),
        Some(NtpClock::compact_to_duration(0x1000))
    );
}

#[test]
fn sr_and_rr_round_trip_between_two_streams() {
    // Our SR reaches the remote, whose RR comes back: the RTT is the time on the wire.
    let clock = NtpClock::fixed(base());
    let mut ours = OutboundStream::new(10, 90_000);
    let mut theirs = InboundStream::new(10, 90_000);
    ours.on_sent(at(0), 0, 100);
    theirs.on_packet(at(30), 0, 0, 100);
    let sr = ours.sender_report(at(1000), &clock);
    theirs.on_sender_report(
        at(1030),
        sr.ntp_timestamp,
        sr.rtp_timestamp,
        sr.packet_count,
        sr.octet_count,
    );
    let block = theirs.report_block(at(1700));
    let rtt = ours.on_report_block(at(1760), &clock, &block).unwrap();
    // 30 ms out, 60 ms back; compact units are 15 µs.
    let err = rtt.abs_diff(Duration::from_millis(90));
    assert!(err < Duration::from_micros(31), "{rtt:?}");
}

// ----- Schedule (RFC 3550 §6.2, §A.7; RFC 4585 §3.5) -----------------------------------------

const HALF: u32 = 1 << 31;

#[test]
fn rfc3550_a7_compensation_and_the_middle_draw() {
    let s = RtcpSchedule::new(RtcpScheduleConfig::AUDIO);
    // Initial: half the minimum.
    assert_eq!(s.deterministic_interval(), Duration::from_millis(2500));
    // Factor 1 (draw 2^31), divided by 1.21828.
    let t = s.interval(HALF);
    let want = Duration::from_secs_f64(2.5 / RtcpSchedule::COMPENSATION);
    assert!(
        t.abs_diff(want) < Duration::from_nanos(2),
        "{t:?} vs {want:?}"
    );
    // The extremes of the draw.
    let lo = s.interval(0);
    let hi = s.interval(u32::MAX);
    assert!(lo.abs_diff(Duration::from_secs_f64(1.25 / 1.21828)) < Duration::from_nanos(2));
    assert!(hi < Duration::from_secs_f64(3.75 / 1.21828));
    assert!(hi > Duration::from_secs_f64(3.749_999 / 1.21828));
}

#[test]
fn start_is_after_half_the_minimum_and_then_the_full_one() {
    let mut s = RtcpSchedule::new(RtcpScheduleConfig::VIDEO);
    assert_eq!(s.poll_timeout(), None, "no timer before start");
    assert!(!s.is_due(at(100_000)));
    s.start(at(0), HALF);
    let first = s.poll_timeout().unwrap();
    assert_eq!(
        first - at(0),
        Duration::from_nanos(500_000_000 * 100_000 / 121_828)
    );
    assert!(!s.is_due(at(100)));
    assert!(s.is_due(first));
    s.on_sent(first, HALF);
    assert_eq!(s.last_sent(), Some(first));
    assert_eq!(
        s.poll_timeout().unwrap() - first,
        Duration::from_nanos(1_000_000_000 * 100_000 / 121_828)
    );
}

proptest! {
    #[test]
    fn the_interval_stays_in_its_bounds_and_is_deterministic(
        min_ms in 0u64..10_000,
        bw in prop::option::of(0u64..10_000_000),
        members in 0u32..1000,
        senders in 0u32..1000,
        we_sent: bool,
        sizes in prop::collection::vec(0usize..5000, 0..20),
        draws in prop::collection::vec(any::<u32>(), 1..20),
    ) {
        let config = RtcpScheduleConfig {
            min_interval: Duration::from_millis(min_ms),
            session_bandwidth_bps: bw,
        };
        let run = || {
            let mut s = RtcpSchedule::new(config);
            s.set_members(members, senders, we_sent);
            for &size in &sizes {
                s.on_packet_size(size, 1);
            }
            let mut now = at(0);
            s.start(now, draws[0]);
            let mut times = vec![s.poll_timeout().unwrap()];
            for &draw in &draws[1..] {
                let td = s.deterministic_interval();
                now = s.poll_timeout().unwrap();
                s.on_sent(now, draw);
                let t = (s.poll_timeout().unwrap() - now).as_secs_f64();
                let td = if now == times[0] { s.deterministic_interval() } else { td };
                let lo = 0.5 * td.as_secs_f64() / RtcpSchedule::COMPENSATION;
                let hi = 1.5 * td.as_secs_f64() / RtcpSchedule::COMPENSATION;
                assert!(t >= lo - 1e-9 && t <= hi + 1e-9, "{t} not in [{lo}, {hi}]");
                times.push(s.poll_timeout().unwrap());
            }
            times
        };
        let a = run();
        prop_assert_eq!(&a, &run(), "the same draws give the same times");
        // Never a spinning schedule, never an overflow.
        let s = RtcpSchedule::new(config);
        prop_assert!(s.deterministic_interval() >= RtcpSchedule::MIN_DETERMINISTIC_INTERVAL);
        prop_assert!(s.deterministic_interval() <= RtcpSchedule::MAX_DETERMINISTIC_INTERVAL);
    }
}

#[test]
fn rfc3550_6_2_bandwidth_term() {
    // 32 kbit/s: RTCP gets 5%, 200 bytes/s. Two members both sending (senders > 1/4): the
    // whole RTCP bandwidth over n = 2: Td = 100 · 2 / 200 = 1 s, above a zero minimum.
    let mut s = RtcpSchedule::new(RtcpScheduleConfig {
        min_interval: Duration::ZERO,
        session_bandwidth_bps: Some(32_000),
    });
    s.set_members(2, 2, true);
    assert_eq!(s.deterministic_interval(), Duration::from_secs(1));
    // Bigger packets, longer interval: the average moves by 1/16 of the difference.
    s.on_packet_size(260, 1);
    assert_eq!(s.avg_rtcp_size(), 110.0);
    assert_eq!(s.deterministic_interval(), Duration::from_millis(1100));
    // RFC 8108 §6.3.1: an aggregate of two SSRCs' reports counts as half its size each.
    s.on_packet_size(220, 2);
    assert_eq!(s.avg_rtcp_size(), 110.0);
    // The minimum still wins when larger.
    s.set_config(RtcpScheduleConfig {
        min_interval: Duration::from_secs(5),
        session_bandwidth_bps: Some(32_000),
    });
    assert_eq!(
        s.deterministic_interval(),
        Duration::from_millis(2500),
        "initial: halved"
    );
    // Unknown (or zero) bandwidth: the minimum alone.
    s.set_config(RtcpScheduleConfig {
        min_interval: Duration::ZERO,
        session_bandwidth_bps: Some(0),
    });
    assert_eq!(
        s.deterministic_interval(),
        RtcpSchedule::MIN_DETERMINISTIC_INTERVAL
    );
}

#[test]
fn rfc3550_6_2_senders_get_a_quarter_when_few() {
    // 8 members, 1 sender (≤ 1/4): the sender shares 25% of 200 B/s with n = 1 sender;
    // receivers share 75% among 7.
    let config = RtcpScheduleConfig {
        min_interval: Duration::ZERO,
        session_bandwidth_bps: Some(32_000),
    };
    let mut sender = RtcpSchedule::new(config);
    sender.set_members(8, 1, true);
    assert_eq!(sender.deterministic_interval(), Duration::from_secs(2)); // 100 / 50
    let mut receiver = RtcpSchedule::new(config);
    receiver.set_members(8, 1, false);
    let t = receiver.deterministic_interval().as_secs_f64();
    assert!((t - 100.0 * 7.0 / 150.0).abs() < 1e-9, "{t}");
}

#[test]
fn rfc4585_one_early_packet_between_regular_ones() {
    let mut s = RtcpSchedule::new(RtcpScheduleConfig::VIDEO);
    assert!(!s.is_early_allowed(at(0)), "not before the schedule starts");
    s.start(at(0), HALF);
    assert!(s.is_early_allowed(at(10)));
    s.on_early_sent(at(10));
    assert!(!s.is_early_allowed(at(20)), "one early packet per interval");
    let next = s.poll_timeout().unwrap();
    assert_eq!(
        next,
        at(0) + s.interval(HALF),
        "the regular schedule is unchanged"
    );
    // When the regular report is due, feedback goes in it.
    s.on_sent(next, HALF);
    assert!(
        s.is_early_allowed(next),
        "a regular report allows early again"
    );
    let due = s.poll_timeout().unwrap();
    assert!(!s.is_early_allowed(due));
}

#[test]
fn restart_the_schedule() {
    let mut s = RtcpSchedule::new(RtcpScheduleConfig::AUDIO);
    s.start(at(0), 0);
    s.on_sent(s.poll_timeout().unwrap(), 0);
    assert!(s.is_started());
    s.start(at(10_000), HALF);
    assert_eq!(s.last_sent(), None);
    assert_eq!(
        s.poll_timeout(),
        Some(at(10_000) + Duration::from_nanos(2_500_000_000 * 100_000 / 121_828))
    );
}

// ----- Untrusted input: no panics ------------------------------------------------------------

proptest! {
    #[test]
    fn no_panic_on_any_input(
        rate: u32,
        ops in prop::collection::vec(
            (0u64..10_000_000_000, any::<u16>(), any::<u32>(), any::<usize>(), 0u8..4,
             any::<u64>(), any::<u32>()),
            0..100,
        ),
    ) {
        let clock = NtpClock::new(base(), 0);
        let mut rx = InboundStream::new(1, rate);
        let mut tx = OutboundStream::new(1, rate);
        let mut now = base();
        for (dt, seq, ts, bytes, op, ntp, word) in ops {
            now += Duration::from_nanos(dt);
            match op {
                0 => {
                    let _ = rx.on_packet(now, seq, ts, bytes);
                }
                1 => rx.on_sender_report(now, ntp, ts, word, word),
                2 => {
                    let block = rx.report_block(now);
                    let _ = tx.on_report_block(now, &clock, &block);
                    let hostile = ReportBlock {
                        ssrc: 1,
                        fraction_lost: seq as u8,
                        cumulative_lost: ts as i32,
                        extended_highest_seq: word,
                        jitter: ts,
                        last_sr: word,
                        delay_since_last_sr: ntp as u32,
                    };
                    let _ = tx.on_report_block(now, &clock, &hostile);
                }
                _ => {
                    tx.on_sent(now, ts, bytes);
                    let _ = tx.sender_report(now, &clock);
                }
            }
            let _ = rx.stats();
            let _ = tx.remote_inbound();
        }
    }
}
