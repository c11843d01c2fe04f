//! Tests of prediction, the Hadamard cost and the search.

use super::hadamard::satd_any;
use super::*;

/// SATD straight from its definition: each 4×4 block's difference, a 4×4 Hadamard
/// transform (rows then columns), absolute values summed and halved.
fn satd_by_definition(src: &[u8], pred: &[u8], size: usize) -> u32 {
    const H: [[i32; 4]; 4] = [[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]];
    let mut total = 0;
    for by in (0..size).step_by(4) {
        for bx in (0..size).step_by(4) {
            let d = |r: usize, c: usize| {
                let i = (by + r) * size + bx + c;
                src[i] as i32 - pred[i] as i32
            };
            let mut sum = 0u32;
            for u in 0..4 {
                for v in 0..4 {
                    let mut acc = 0;
                    for r in 0..4 {
                        for c in 0..4 {
                            acc += H[u][r] * H[v][c] * d(r, c);
                        }
                    }
                    sum += acc.unsigned_abs();
                }
            }
            total += sum / 2;
        }
    }
    total
}

#[test]
fn satd_matches_its_definition() {
    let mut state = 0x9e37_79b9_u32;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for size in [4, 8, 12, 16] {
        for round in 0..50 {
            let mut a = vec![0u8; size * size];
            let mut b = vec![0u8; size * size];
            for (u, v) in a.iter_mut().zip(b.iter_mut()) {
                let r = next();
                // Extremes in the first rounds, random samples after.
                (*u, *v) = match round {
                    0 => (255, 0),
                    1 => (0, 255),
                    2 => {
                        if r & 1 == 0 {
                            (255, 0)
                        } else {
                            (0, 255)
                        }
                    }
                    _ => (r as u8, (r >> 8) as u8),
                };
            }
            let dispatched = satd(&a, &b, size);
            assert_eq!(dispatched, satd_by_definition(&a, &b, size), "{size}");
            // Called directly, the body runs as built for the baseline CPU.
            let baseline = satd_any(&a, &b, size);
            assert_eq!(dispatched, baseline, "{size}: baseline twin");
        }
    }
}

#[test]
fn chroma_prediction_inside_equals_the_clamped_formula() {
    let (w, h) = (23, 17);
    let mut plane = Plane::filled(w, h, 0);
    for (i, v) in plane.data.iter_mut().enumerate() {
        *v = ((i * 7919 + i / 5) % 251) as u8;
    }
    let mut out = [0u8; 64];
    for (mx, my) in [(0, 0), (3, 5), (-7, 9), (13, -3), (40, 30), (-50, -40)] {
        for (x, y) in [(0, 0), (4, 4), (12, 8), (16, 12)] {
            let mv = Mv { x: mx, y: my };
            predict_chroma(&plane, x, y, 4, 4, mv, (1, 1), &mut out);
            let (cx, cy) = ((mx * 2) >> 1, (my * 2) >> 1);
            let (fx, fy) = (cx & 7, cy & 7);
            for r in 0..4 {
                for c in 0..4 {
                    let sx = (x + c) as isize + (cx >> 3) as isize;
                    let sy = (y + r) as isize + (cy >> 3) as isize;
                    let at = |dx: isize, dy: isize| plane.at_clamped(sx + dx, sy + dy) as i32;
                    let v = (8 - fx) * (8 - fy) * at(0, 0)
                        + fx * (8 - fy) * at(1, 0)
                        + (8 - fx) * fy * at(0, 1)
                        + fx * fy * at(1, 1);
                    assert_eq!(out[r * 4 + c] as i32, (v + 32) >> 6, "{mv:?} at {x},{y}");
                }
            }
        }
    }
}

#[test]
fn median_prediction() {
    let a = Mv { x: 4, y: -2 };
    let b = Mv { x: 8, y: 6 };
    let c = Mv { x: -1, y: 1 };
    assert_eq!(predict_mv(Some(a), Some(b), Some(c)), Mv { x: 4, y: 1 });
    assert_eq!(predict_mv(Some(a), None, None), a);
    assert_eq!(predict_mv(None, None, None), Mv::ZERO);
}

#[test]
fn block_prediction_equals_the_quarter_grid() {
    // Odd sizes so that the edges clamp differently on each side.
    let (w, h) = (53, 37);
    let mut plane = Plane::filled(w, h, 0);
    let mut state = 0x2545_f491_u32;
    for v in plane.data.iter_mut() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *v = (state >> 24) as u8;
    }
    let grid = QuarterGrid::new(&plane, 1);
    let (mut a, mut b) = ([0u8; 256], [0u8; 256]);
    let mut checked = 0;
    for size in [8, 16] {
        for (x, y) in [(0, 0), (16, 16), (32, 16), (40, 24)] {
            for my in -4 * MV_REACH..=4 * MV_REACH {
                for mx in (-4 * MV_REACH..=4 * MV_REACH).step_by(3) {
                    let mv = Mv { x: mx, y: my };
                    if !mv_in_range(mv, x, y, size, w, h) {
                        continue;
                    }
                    grid.predict(x, y, mv, size, &mut a[..size * size]);
                    predict_luma(&plane, x, y, mv, size, &mut b[..size * size]);
                    assert_eq!(a[..size * size], b[..size * size], "{x},{y} {mv:?} {size}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10_000, "only {checked} vectors were in range");
}

#[test]
fn integer_vectors_copy_and_search_finds_a_shift() {
    let mut plane = Plane::filled(48, 48, 0);
    for y in 0..48 {
        for x in 0..48 {
            plane.data[y * 48 + x] = ((x * 37 + y * 91 + x * y * 7) % 251) as u8;
        }
    }
    let grid = QuarterGrid::new(&plane, 2);
    let mut out = [0u8; 256];
    grid.predict(16, 16, Mv { x: 8, y: -4 }, 16, &mut out);
    assert_eq!(out[0], plane.data[15 * 48 + 18]);
    // A flat plane interpolates to itself at every quarter position.
    let flat = QuarterGrid::new(&Plane::filled(16, 16, 77), 1);
    flat.predict(0, 0, Mv { x: 3, y: 5 }, 16, &mut out);
    assert!(out.iter().all(|&v| v == 77));
    // The search finds a block displaced by (2, 1) samples.
    let mut src = [0u8; 256];
    grid.predict(16, 16, Mv { x: 8, y: 4 }, 16, &mut src);
    let params = SearchParams {
        lambda: 1,
        range: 8,
        subpel_rounds: 1,
    };
    let (mv, cost) = search(&grid, (16, 16, 16), &src, Mv::ZERO, &[], 48, 48, &params);
    assert_eq!(mv, Mv { x: 8, y: 4 });
    assert_eq!(cost, mvd_bits(8) + mvd_bits(4));
}
