//! The encoder's motion search: the best of the predicted start vectors, a small diamond
//! and a large hexagon at full-sample steps on SAD, then half- and quarter-sample
//! refinement on the Hadamard cost.

use super::{mv_in_range, Mv, QuarterGrid};

/// Approximate bits of one motion-vector difference component.
#[inline]
pub fn mvd_bits(d: i32) -> u32 {
    let m = d.unsigned_abs();
    if m == 0 {
        1
    } else {
        2 * (32 - m.leading_zeros()) + 1
    }
}

/// Most refinement rings per sub-sample step.
pub const MAX_SUBPEL_ROUNDS: u8 = 4;

/// Search settings and the cost weight of vector bits.
#[derive(Debug, Clone, Copy)]
pub struct SearchParams {
    /// SAD units per bit of vector.
    pub lambda: u32,
    /// Largest full-sample distance from the start.
    pub range: i32,
    /// Rings of refinement at half-sample steps, then as many at quarter-sample steps
    /// (0: whole samples only; at most [`MAX_SUBPEL_ROUNDS`]).
    pub subpel_rounds: u8,
}

/// A start whose SAD is below this many sixteenths of a sample per sample ends the
/// full-sample search at once: no vector can gain enough to matter.
const EARLY_SAD_16THS: u32 = 16;

/// The large hexagon of the full-sample search: six points two samples across.
const HEXAGON: [(i32, i32); 6] = [(-2, 0), (-1, -2), (1, -2), (2, 0), (1, 2), (-1, 2)];

/// The small diamond: the four nearest neighbours.
const DIAMOND: [(i32, i32); 4] = [(0, -1), (-1, 0), (1, 0), (0, 1)];

/// The eight neighbours of a point.
const RING: [(i32, i32); 8] = [
    (-1, -1),
    (0, -1),
    (1, -1),
    (-1, 0),
    (1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// Finds a vector for the `size`×`size` block at (x, y), whose samples are `src`. `pred`
/// is the vector predictor (the vector is coded relative to it); `candidates` are extra
/// starts (the neighbours' and the co-located vectors). Returns the vector and its cost,
/// `u32::MAX` when no start was in range.
///
/// The best start (SAD plus vector bits) is walked by the small diamond at full-sample
/// steps until its centre is best, then by a large hexagon (two samples across) and, where
/// that moved, by the diamond again; a start within one level per sample on average ends
/// the walk early. Sub-sample refinement follows ([`refine`]).
#[allow(clippy::too_many_arguments)]
pub fn search(
    grid: &QuarterGrid,
    (x, y, size): (usize, usize, usize),
    src: &[u8],
    pred: Mv,
    candidates: &[Mv],
    width: usize,
    height: usize,
    params: &SearchParams,
) -> (Mv, u32) {
    let bits = |mv: Mv| params.lambda * (mvd_bits(mv.x - pred.x) + mvd_bits(mv.y - pred.y));
    // Full-sample start: the best of the rounded candidates.
    let mut best = Mv::ZERO;
    let mut best_cost = u32::MAX;
    let mut best_sad = u32::MAX;
    let round = |v: i32| (v + 2) >> 2;
    let mut tried = [Mv::ZERO; 8];
    let mut count = 0;
    let starts = std::iter::once(pred)
        .chain(std::iter::once(Mv::ZERO))
        .chain(candidates.iter().copied());
    for c in starts {
        let m = Mv {
            x: round(c.x) * 4,
            y: round(c.y) * 4,
        };
        if tried[..count].contains(&m) || !mv_in_range(m, x, y, size, width, height) {
            continue;
        }
        if count < tried.len() {
            tried[count] = m;
            count += 1;
        }
        let sad = grid.sad_full(x, y, m.x >> 2, m.y >> 2, size, src);
        let cost = sad + bits(m);
        if cost < best_cost {
            best_cost = cost;
            best_sad = sad;
            best = m;
        }
    }
    if best_cost == u32::MAX {
        return (Mv::ZERO, u32::MAX);
    }
    let early = best_sad * 16 <= EARLY_SAD_16THS * (size * size) as u32;
    if !early {
        let origin = best;
        let range = params.range.max(1);
        // Walks a pattern until its centre is best; true when it moved.
        let mut walk = |pattern: &[(i32, i32)], steps: i32| {
            let start = best;
            for _ in 0..steps {
                let centre = best;
                for &(dx, dy) in pattern {
                    let m = Mv {
                        x: centre.x + 4 * dx,
                        y: centre.y + 4 * dy,
                    };
                    if (m.x - origin.x).abs() > 4 * range
                        || (m.y - origin.y).abs() > 4 * range
                        || !mv_in_range(m, x, y, size, width, height)
                    {
                        continue;
                    }
                    let cost = grid.sad_full(x, y, m.x >> 2, m.y >> 2, size, src) + bits(m);
                    if cost < best_cost {
                        best_cost = cost;
                        best = m;
                    }
                }
                if best == centre {
                    break;
                }
            }
            best != start
        };
        // The small diamond settles near the start, then the hexagon looks two samples
        // further; where it moves, the diamond settles again.
        walk(&DIAMOND, 2 * range);
        if walk(&HEXAGON, range) {
            walk(&DIAMOND, 2 * range);
        }
    }
    if params.subpel_rounds > 0 {
        let rounds = params.subpel_rounds.min(MAX_SUBPEL_ROUNDS) as usize;
        let mut steps = [1i32; 2 * MAX_SUBPEL_ROUNDS as usize];
        steps[..rounds].fill(2);
        return refine(
            grid,
            (x, y, size),
            src,
            pred,
            best,
            &steps[..2 * rounds],
            width,
            height,
            params,
        );
    }
    (best, best_cost)
}

/// Refines a vector around `start` by rings of `steps` quarter samples (2: half samples,
/// 1: quarter samples), comparing Hadamard costs plus vector bits against `pred`. An exact
/// match ends the refinement, and a neighbour whose vector bits alone lose is not
/// predicted.
#[allow(clippy::too_many_arguments)]
pub fn refine(
    grid: &QuarterGrid,
    (x, y, size): (usize, usize, usize),
    src: &[u8],
    pred: Mv,
    start: Mv,
    steps: &[i32],
    width: usize,
    height: usize,
    params: &SearchParams,
) -> (Mv, u32) {
    let bits = |mv: Mv| params.lambda * (mvd_bits(mv.x - pred.x) + mvd_bits(mv.y - pred.y));
    let mut best = start;
    let mut best_satd = grid.satd(x, y, start, size, src);
    let mut best_cost = best_satd + bits(start);
    for &step in steps {
        if best_satd == 0 {
            break;
        }
        let centre = best;
        let pattern: &[(i32, i32)] = &RING;
        for &(dx, dy) in pattern {
            let m = Mv {
                x: centre.x + step * dx,
                y: centre.y + step * dy,
            };
            // Vector bits alone already lose: no need to predict.
            if bits(m) >= best_cost || !mv_in_range(m, x, y, size, width, height) {
                continue;
            }
            let satd = grid.satd(x, y, m, size, src);
            let cost = satd + bits(m);
            if cost < best_cost {
                best_cost = cost;
                best_satd = satd;
                best = m;
            }
        }
    }
    (best, best_cost)
}
