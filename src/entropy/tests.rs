//! Round trips of the range coder and agreement of the bit counter with real sizes.

use super::*;

/// A small deterministic generator for test data.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn skewed_bits_round_trip_and_compress() {
    let mut seed = 0x1234_5678_9abc_def0u64;
    let bits: Vec<bool> = (0..20_000).map(|_| xorshift(&mut seed) % 10 == 0).collect();
    let mut enc = RangeEncoder::new();
    let mut model = BitModel::new();
    for &b in &bits {
        enc.put_bit(&mut model, b);
    }
    let bytes = enc.finish();
    // Entropy of p = 0.1 is 0.469 bits: 20,000 bits need about 1,173 bytes.
    assert!(bytes.len() < 1_260, "{} bytes", bytes.len());
    assert!(bytes.len() > 1_100, "{} bytes", bytes.len());
    let mut dec = RangeDecoder::new(&bytes);
    let mut model = BitModel::new();
    for (i, &b) in bits.iter().enumerate() {
        assert_eq!(dec.get_bit(&mut model), b, "bit {i}");
    }
    assert!(!dec.overran());
}

#[test]
fn mixed_models_bypass_and_exp_golomb_round_trip() {
    let mut seed = 99u64;
    let mut enc = RangeEncoder::new();
    let mut models = [BitModel::new(); 4];
    let mut exp = [BitModel::new(); 6];
    let mut man = [BitModel::new(); 6];
    let mut script = Vec::new();
    for _ in 0..5_000 {
        let r = xorshift(&mut seed);
        let kind = r % 3;
        let value = (r >> 8) as u32;
        match kind {
            0 => {
                let b = value % 7 == 0;
                enc.put_bit(&mut models[(value % 4) as usize], b);
                script.push((kind, (value % 4) << 1 | b as u32));
            }
            1 => {
                enc.put_bypass(value & 0xFFFF, 16);
                script.push((kind, value & 0xFFFF));
            }
            _ => {
                let v = value % (1 << (value % 20));
                put_exp_golomb(&mut enc, &mut exp, &mut man, v);
                script.push((kind, v));
            }
        }
    }
    let bytes = enc.finish();
    let mut dec = RangeDecoder::new(&bytes);
    let mut models = [BitModel::new(); 4];
    let mut exp = [BitModel::new(); 6];
    let mut man = [BitModel::new(); 6];
    for (i, &(kind, v)) in script.iter().enumerate() {
        match kind {
            0 => {
                let b = dec.get_bit(&mut models[(v >> 1) as usize]);
                assert_eq!(b as u32, v & 1, "step {i}");
            }
            1 => assert_eq!(dec.get_bypass(16), v, "step {i}"),
            _ => assert_eq!(get_exp_golomb(&mut dec, &mut exp, &mut man), Some(v)),
        }
    }
}

#[test]
fn counter_predicts_coded_size() {
    // The counter prices with frozen models; pricing each bit just before coding it
    // (with the same adapting model) must add up to the real size within a few bytes.
    let mut seed = 7u64;
    let mut enc = RangeEncoder::new();
    let mut model = BitModel::new();
    let mut counted = BitCounter::new();
    for _ in 0..50_000 {
        let b = xorshift(&mut seed) % 5 == 0;
        counted.put_bit(&mut model.clone(), b);
        enc.put_bit(&mut model, b);
    }
    let real = enc.finish().len() as f64 * 8.0;
    let estimate = counted.bits();
    assert!(
        (real - estimate).abs() < 0.01 * real + 64.0,
        "real {real} estimate {estimate}"
    );
}

#[test]
fn garbage_and_empty_input_never_panic() {
    let mut seed = 5u64;
    for len in [0usize, 1, 3, 17, 400] {
        let data: Vec<u8> = (0..len).map(|_| xorshift(&mut seed) as u8).collect();
        let mut dec = RangeDecoder::new(&data);
        let mut exp = [BitModel::new(); 3];
        let mut man = [BitModel::new(); 3];
        for _ in 0..1_000 {
            let _ = get_exp_golomb(&mut dec, &mut exp, &mut man);
            let _ = dec.get_bypass(16);
        }
        assert!(dec.overran() || len > 1_000);
    }
}

#[test]
fn carry_propagation_through_runs_of_ff() {
    // Long runs of highly probable bits push `low` towards carries; check the round trip.
    let mut enc = RangeEncoder::new();
    let mut m = BitModel::with_probability(999);
    let mut n = BitModel::with_probability(1);
    let mut pattern = Vec::new();
    let mut seed = 11u64;
    for _ in 0..100_000 {
        let r = xorshift(&mut seed);
        let b = r % 500 != 0;
        if r & 1 == 0 {
            enc.put_bit(&mut m, b);
        } else {
            enc.put_bit(&mut n, !b);
        }
        pattern.push((r & 1, b));
    }
    let bytes = enc.finish();
    let mut dec = RangeDecoder::new(&bytes);
    let mut m = BitModel::with_probability(999);
    let mut n = BitModel::with_probability(1);
    for &(which, b) in &pattern {
        if which == 0 {
            assert_eq!(dec.get_bit(&mut m), b);
        } else {
            assert_eq!(dec.get_bit(&mut n), !b);
        }
    }
}

#[test]
fn the_exp_golomb_cost_is_what_the_bit_counter_charges() {
    // Skewed models, so that every model's cost differs from one bit.
    let mut exponent = [BitModel::new(); 6];
    let mut mantissa = [BitModel::new(); 4];
    let mut seed = 99u64;
    for _ in 0..500 {
        let v = (xorshift(&mut seed) % 300) as u32;
        put_exp_golomb(&mut RangeEncoder::new(), &mut exponent, &mut mantissa, v);
    }
    let values = (0..2000).chain([65_534, 65_535, 1 << 20, u32::MAX - 1]);
    for value in values {
        let mut counter = BitCounter::new();
        let (mut e, mut m) = (exponent, mantissa);
        put_exp_golomb(&mut counter, &mut e, &mut m, value);
        let cost = exp_golomb_cost(&exponent, &mantissa, value);
        assert_eq!(cost as u64, counter.cost, "value {value}");
    }
}
