//! Round trips of the frame syntax (window, stereo, intensity and channel frames, with
//! their noise and energy indices), the bit counter against the range coder, and garbage
//! input that must end in errors, never a panic.

use super::*;
use crate::entropy::{BitCounter, RangeEncoder};
use crate::transform::switched::SHORT_BLOCKS;

/// A long frame's levels: sparse small values, scaled by `scale`.
fn levels(scale: i32) -> Vec<i32> {
    (0..64)
        .map(|k| match (k * 7) % 11 {
            0 => 40 - k,
            1 => -1,
            2 => 3,
            _ => 0,
        } * scale)
        .collect()
}

/// What [`read_channel`] fills for one channel frame.
struct ReadFrame {
    gains: [i32; SHORT_BLOCKS],
    q: Vec<i32>,
    steps: Vec<u8>,
    noise: Vec<u8>,
    fill: u8,
    energies: Vec<u8>,
}

impl ReadFrame {
    /// Room for a frame of `coefficients` in `bands` bands.
    fn new(coefficients: usize, bands: usize) -> ReadFrame {
        ReadFrame {
            gains: [0; SHORT_BLOCKS],
            q: vec![0; coefficients],
            steps: vec![0; bands],
            noise: vec![0; bands],
            fill: 0,
            energies: vec![0; bands],
        }
    }

    /// Reads one channel frame of layout `edges` (a short frame's when `short`), with
    /// energy indices from band `energy_start` on when the packet's switch is on.
    fn read(
        &mut self,
        dec: &mut RangeDecoder<'_>,
        m: &mut Models,
        st: &mut ChannelState,
        (edges, short): (&[usize], bool),
        energy_start: usize,
    ) -> Result<()> {
        let bands = edges.len() - 1;
        read_channel(
            dec,
            m,
            st,
            edges,
            short,
            &mut self.gains,
            &mut self.q,
            &mut self.steps[..bands],
            &mut self.noise[..bands],
            &mut self.fill,
            energy_start,
            &mut self.energies[..bands],
        )
    }
}

#[test]
fn intensity_bands_round_trip_and_bad_counts_are_refused() {
    let pans: [&[u8]; 3] = [&[], &[8, 0, 16, 16, 3], &[MAX_PAN]];
    let mut enc = RangeEncoder::with_capacity(64);
    let mut m = Models::default();
    for pan in pans {
        write_intensity(&mut enc, &mut m, pan);
    }
    let bytes = enc.finish();
    let mut r = RangeDecoder::new(&bytes);
    let mut m = Models::default();
    let mut out = [0u8; 8];
    for pan in pans {
        let count = read_intensity(&mut r, &mut m, 8, &mut out).unwrap();
        assert_eq!(&out[..count], pan);
    }
    // Without the packet's switch nothing is written or read.
    let mut enc = RangeEncoder::with_capacity(64);
    let mut m = Models::default();
    write_noise_switch(&mut enc, &mut m, false);
    write_intensity(&mut enc, &mut m, &[1, 2]);
    let bytes = enc.finish();
    let mut r = RangeDecoder::new(&bytes);
    let mut m = Models::default();
    read_noise_switch(&mut r, &mut m);
    assert_eq!(read_intensity(&mut r, &mut m, 8, &mut out).unwrap(), 0);
    // A count of every band of the layout (or more) is an error, not a panic.
    let mut enc = RangeEncoder::with_capacity(64);
    let mut m = Models::default();
    write_intensity(&mut enc, &mut m, &[8; 5]);
    let bytes = enc.finish();
    let mut m = Models::default();
    let e = read_intensity(&mut RangeDecoder::new(&bytes), &mut m, 5, &mut out);
    assert!(e.unwrap_err().to_string().contains("intensity"));
}

#[test]
fn bit_counter_prices_a_frame_like_the_range_coder() {
    // Silence, then ever larger levels: the counter's price and the range coder's
    // output grow in the same order, and the price is within the coder's 4 bytes of
    // flush plus 30 % of the real size (the counter prices every decision with the
    // models as they were at the start; the coder adapts them). Measured: 1, 243, 373
    // and 481 bits counted against 4, 29, 36 and 43 bytes written.
    let edges = vec![0, 4, 8, 16, 32, 64];
    let steps = vec![100u8, 120, 90, 255, 0];
    let mut previous = (0.0, 0usize);
    for scale in [0, 1, 8, 64] {
        let q = levels(scale);
        // The same channel, from fresh models and state, into `writer`.
        fn write<W: SymbolWriter>(writer: &mut W, edges: &[usize], q: &[i32], steps: &[u8]) {
            let mut state = ChannelState::new(64, 5, 3);
            write_channel(
                writer,
                &mut Models::default(),
                &mut state,
                edges,
                &[],
                q,
                steps,
                &[],
                0,
                0,
                &[],
            );
        }
        let mut counter = BitCounter::new();
        write(&mut counter, &edges, &q, &steps);
        let mut enc = RangeEncoder::new();
        write(&mut enc, &edges, &q, &steps);
        let bytes = enc.finish().len();
        let bits = counter.bits();
        assert!(
            (bits - 8.0 * bytes as f64).abs() <= 8.0 * 4.0 + 0.3 * bits,
            "scale {scale}: {bits} bits counted, {bytes} bytes written"
        );
        if scale > 0 {
            assert!(bits > previous.0 && bytes > previous.1, "scale {scale}");
        }
        previous = (bits, bytes);
    }
}

#[test]
fn channel_round_trip() {
    let edges = vec![0, 4, 8, 16, 32, 64];
    let short_edges = vec![0, 16, 32, 64];
    // Frames 1 and 2 are short (interleaved blocks, their own layout and gains).
    let sequences = [
        WindowSequence::Start,
        WindowSequence::Short,
        WindowSequence::Short,
        WindowSequence::Stop,
    ];
    let frames: Vec<(Vec<i32>, Vec<u8>, Vec<i32>)> = (0..4)
        .map(|f| {
            let q = (0..64)
                .map(|k| match (k * 7 + f * 3) % 11 {
                    0 => 40 - k,
                    1 => -1,
                    2 => 3,
                    _ => 0,
                } * if k > 40 && f == 2 { 0 } else { 1 })
                .collect();
            let short = sequences[f as usize].is_short();
            let s = if short {
                vec![100 + f as u8, 255, 0]
            } else {
                vec![100 + f as u8, 120, 90, 255, 0]
            };
            let g = if short {
                vec![0, -3, -3, -48, 48, 0, 1, -1]
            } else {
                Vec::new()
            };
            (q, s, g)
        })
        .collect();
    let mut enc = RangeEncoder::new();
    let mut m = Models::default();
    let mut st = ChannelState::new(64, 5, 3);
    let mut previous = WindowSequence::Long;
    for (f, (q, s, g)) in frames.iter().enumerate() {
        let e = if g.is_empty() { &edges } else { &short_edges };
        write_sequence(&mut enc, &mut m, previous, sequences[f]);
        write_channel(&mut enc, &mut m, &mut st, e, g, q, s, &[], f as u8, 0, &[]);
        previous = sequences[f];
    }
    let bytes = enc.finish();
    let mut dec = RangeDecoder::new(&bytes);
    let mut m = Models::default();
    let mut st = ChannelState::new(64, 5, 3);
    let mut r = ReadFrame::new(64, 5);
    let mut previous = WindowSequence::Long;
    for (f, (wq, ws, wg)) in frames.iter().enumerate() {
        let sequence = read_sequence(&mut dec, &mut m, previous);
        assert_eq!(sequence, sequences[f]);
        previous = sequence;
        let short = sequence.is_short();
        let e = if short { &short_edges } else { &edges };
        r.read(&mut dec, &mut m, &mut st, (e, short), 0).unwrap();
        assert!(r.noise.iter().all(|&v| v == 0));
        assert_eq!(r.fill, f as u8);
        assert_eq!(&r.q, wq);
        if short {
            assert_eq!(&r.gains[..], &wg[..]);
        }
        for b in 0..e.len() - 1 {
            if wq[e[b]..e[b + 1]].iter().any(|&v| v != 0) {
                assert_eq!(r.steps[b], ws[b]);
            }
        }
    }
    // Garbage never panics.
    let junk: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
    let mut dec = RangeDecoder::new(&junk);
    let mut m = Models::default();
    let mut st = ChannelState::new(64, 5, 3);
    for i in 0..50 {
        let short = i % 3 == 0;
        let e = if short { &short_edges } else { &edges };
        let _ = r.read(&mut dec, &mut m, &mut st, (e, short), 0);
    }
}

#[test]
fn noise_indices_round_trip_on_zero_bands_only() {
    let edges = vec![0, 4, 8, 16, 32, 64, 96, 128];
    // Bands 1, 3, 5 and 6 are all zero; 5 and 6 lie after the last coded band (4).
    let q: Vec<i32> = (0..128)
        .map(|k| match k {
            0 | 2 => 3,
            9..=11 => -1,
            40 => 7,
            _ => 0,
        })
        .collect();
    let steps = vec![120u8, 0, 110, 0, 100, 0, 0];
    let cases: [Vec<u8>; 5] = [
        // A noise index on a coded band (0 and 2) is not coded.
        vec![9, 80, 9, 1, 9, 255, 70],
        vec![0, 0, 0, 60, 0, 0, 0],
        vec![0, 0, 0, 0, 0, 0, 90],
        vec![0, 0, 0, 0, 0, 0, 0],
        vec![],
    ];
    let mut enc = RangeEncoder::new();
    let mut m = Models::default();
    let mut st = ChannelState::new(128, 7, 3);
    for (i, noise) in cases.iter().enumerate() {
        let fill = [7, 0, 3, 1, 4][i];
        write_channel(
            &mut enc,
            &mut m,
            &mut st,
            &edges,
            &[],
            &q,
            &steps,
            noise,
            fill,
            0,
            &[],
        );
    }
    let bytes = enc.finish();
    let mut dec = RangeDecoder::new(&bytes);
    let mut m = Models::default();
    let mut st = ChannelState::new(128, 7, 3);
    let mut r = ReadFrame::new(128, 7);
    for (i, noise) in cases.iter().enumerate() {
        r.read(&mut dec, &mut m, &mut st, (&edges, false), 0)
            .unwrap();
        assert_eq!(r.fill, [7, 0, 3, 1, 4][i]);
        assert_eq!(r.q, q);
        let expected: Vec<u8> = (0..7)
            .map(|b| match b {
                0 | 2 | 4 => 0,
                _ => noise.get(b).copied().unwrap_or(0),
            })
            .collect();
        assert_eq!(r.noise, expected);
    }
    assert!(!dec.overran());
}

#[test]
fn energy_indices_round_trip_on_coded_bands_from_the_start_only() {
    let edges = vec![0, 4, 8, 16, 32, 64, 96, 128];
    // Bands 0, 2, 4 and 6 are coded; the energy start is band 2.
    let q: Vec<i32> = (0..128)
        .map(|k| match k {
            1 => 2,
            9 => -1,
            40 => 5,
            100 => 1,
            _ => 0,
        })
        .collect();
    let steps = vec![120u8, 0, 110, 0, 100, 0, 90];
    let cases: [(bool, Vec<u8>); 4] = [
        (true, vec![7, 7, 140, 7, 1, 7, 255]),
        (true, vec![0, 0, 100, 0, 100, 0, 100]),
        (false, vec![0, 0, 50, 0, 60, 0, 70]),
        (true, vec![0, 0, 128, 0, 3, 0, 250]),
    ];
    let mut enc = RangeEncoder::new();
    for (on, energies) in &cases {
        let mut m = Models::default();
        write_noise_switch(&mut enc, &mut m, true);
        write_energy_switch(&mut enc, &mut m, *on);
        let mut st = ChannelState::new(128, 7, 3);
        for _ in 0..2 {
            write_channel(
                &mut enc,
                &mut m,
                &mut st,
                &edges,
                &[],
                &q,
                &steps,
                &[],
                2,
                2,
                energies,
            );
        }
    }
    // The switch is not coded when the noise switch is off.
    let mut m = Models::default();
    write_noise_switch(&mut enc, &mut m, false);
    write_energy_switch(&mut enc, &mut m, true);
    write_channel(
        &mut enc,
        &mut m,
        &mut ChannelState::new(128, 7, 3),
        &edges,
        &[],
        &q,
        &steps,
        &[],
        0,
        2,
        &[9; 7],
    );
    let bytes = enc.finish();
    let mut dec = RangeDecoder::new(&bytes);
    let mut r = ReadFrame::new(128, 7);
    // Energies the decoder must overwrite.
    r.energies = vec![9; 7];
    for (on, energies) in &cases {
        let mut m = Models::default();
        read_noise_switch(&mut dec, &mut m);
        read_energy_switch(&mut dec, &mut m);
        let mut st = ChannelState::new(128, 7, 3);
        for _ in 0..2 {
            r.read(&mut dec, &mut m, &mut st, (&edges, false), 2)
                .unwrap();
            assert_eq!(r.q, q);
            let expected: Vec<u8> = (0..7)
                .map(|b| match b {
                    2 | 4 | 6 if *on => energies[b],
                    _ => 0,
                })
                .collect();
            assert_eq!(r.energies, expected);
        }
    }
    let mut m = Models::default();
    read_noise_switch(&mut dec, &mut m);
    read_energy_switch(&mut dec, &mut m);
    r.energies = vec![9; 7];
    let mut st = ChannelState::new(128, 7, 3);
    r.read(&mut dec, &mut m, &mut st, (&edges, false), 2)
        .unwrap();
    assert_eq!(r.energies, vec![0; 7]);
    assert!(!dec.overran());
    // Garbage with the energy switch on ends in errors, never a panic.
    let junk: Vec<u8> = (0..300u32).map(|i| (i * 53 % 241) as u8).collect();
    let mut dec = RangeDecoder::new(&junk);
    let mut m = Models {
        noise: true,
        energy: true,
        ..Models::default()
    };
    let mut st = ChannelState::new(128, 7, 3);
    for _ in 0..50 {
        let _ = r.read(&mut dec, &mut m, &mut st, (&edges, false), 2);
    }
}

#[test]
fn stereo_choices_round_trip() {
    let cases: [Vec<bool>; 4] = [
        vec![false; 6],
        vec![true; 6],
        vec![true, true, false, true, false, false],
        vec![false, false, false, false, false, true],
    ];
    let mut enc = RangeEncoder::new();
    let mut m = Models::default();
    for ms in &cases {
        write_stereo(&mut enc, &mut m, ms);
    }
    let bytes = enc.finish();
    let mut dec = RangeDecoder::new(&bytes);
    let mut m = Models::default();
    let mut got = [true; 6];
    for ms in &cases {
        read_stereo(&mut dec, &mut m, &mut got);
        assert_eq!(&got[..], &ms[..]);
    }
    // With the packet's switch off a frame has one choice, its first band's.
    let mut enc = RangeEncoder::new();
    let mut m = Models::default();
    write_noise_switch(&mut enc, &mut m, false);
    write_stereo(&mut enc, &mut m, &cases[2]);
    let bytes = enc.finish();
    let mut dec = RangeDecoder::new(&bytes);
    let mut m = Models::default();
    read_noise_switch(&mut dec, &mut m);
    read_stereo(&mut dec, &mut m, &mut got);
    assert_eq!(got, [true; 6]);
}

#[test]
fn a_packet_without_noise_syntax_codes_none() {
    let edges = vec![0, 4, 8, 16];
    let q: Vec<i32> = (0..16).map(|k| if k == 1 { 2 } else { 0 }).collect();
    let steps = vec![120u8, 0, 0];
    let mut enc = RangeEncoder::new();
    let mut m = Models::default();
    let mut st = ChannelState::new(16, 3, 3);
    write_noise_switch(&mut enc, &mut m, false);
    write_channel(
        &mut enc,
        &mut m,
        &mut st,
        &edges,
        &[],
        &q,
        &steps,
        &[0, 50, 60],
        5,
        0,
        &[],
    );
    let bytes = enc.finish();
    let mut dec = RangeDecoder::new(&bytes);
    let mut m = Models::default();
    let mut st = ChannelState::new(16, 3, 3);
    read_noise_switch(&mut dec, &mut m);
    // Noise and fill the decoder must clear.
    let mut r = ReadFrame::new(16, 3);
    (r.noise, r.fill) = (vec![9; 3], 9);
    r.read(&mut dec, &mut m, &mut st, (&edges, false), 0)
        .unwrap();
    assert_eq!((r.q, r.noise, r.fill), (q, vec![0, 0, 0], 0));
}
