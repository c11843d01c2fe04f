//! The strip decoder of lossless and near-lossless pictures, written for speed: the same
//! prediction, contexts and tokens as [`super::strip`] (which is normative), computed in
//! three passes per row, each specialised on the channel count and on the first row of
//! the strip, with the rows of all channels interleaved per pixel. The first pass derives
//! from the previous row alone each sample's share of its activity and bias context; the
//! second decodes every token and its raw bits (contexts need only residual sizes and that
//! share, so it never waits for a reconstruction), with one word stream per channel read
//! by two rANS states in turn and the channels skewed one sample apart, so the channels
//! and lanes form separate dependency chains the processor overlaps; the third predicts
//! and reconstructs.

use super::rans::{self, BitReader, DecodeTable, Words, LANES, TOKENS};
use super::strip::{
    next_row, Bias, StripShape, Tables, BIAS_CONTEXTS, BUCKETS, BUCKET_LIMITS, DOMAIN_LIMIT,
    TOKEN_BASE,
};
use crate::error::{Error, Result};

/// Entries of the decoder's table of tables by activity: above every activity the token
/// pass forms (what the previous row gives, clamped to 255 as the encoder's last bucket
/// starts below, plus at most five sizes, each a token below 256), so an activity masked
/// with `ACTIVITIES − 1` indexes it without a clamp or a bounds check.
const ACTIVITIES: usize = 2048;

/// Tables per channel, [`BUCKETS`] used, padded to a power of two so that a masked bucket
/// indexes them without a bounds check.
const TABLES_PER_CHANNEL: usize = 32;

/// What a token gives the raw bits that follow it: the smallest magnitude of the token,
/// its count of raw bits (sign and extra bits) and their mask; padded to 32 entries like a
/// masked token.
#[derive(Clone, Copy)]
struct RawInfo {
    first: u32,
    bits: u32,
    mask: u32,
}

const TOKEN_RAW: [RawInfo; 32] = {
    let mut table = [RawInfo {
        first: 0,
        bits: 0,
        mask: 0,
    }; 32];
    let mut t = 1;
    while t < TOKENS {
        let bits = 1 + TOKEN_BASE[t].1;
        table[t] = RawInfo {
            first: TOKEN_BASE[t].0,
            bits,
            mask: (1 << bits) - 1,
        };
        t += 1;
    }
    assert!(TOKEN_BASE[TOKENS - 1].1 < rans::MAX_RAW_BITS);
    table
};

/// Everything the row passes read and write.
struct Decoder<'a, const N: usize> {
    /// Each channel's table by activity.
    tables: &'a [[&'a DecodeTable; ACTIVITIES]],
    /// Each channel's words and its position in them.
    words: &'a [Words],
    pos: [usize; N],
    states: [[u64; LANES]; N],
    /// Domain values of the previous and current row, sample x at index x + 1.
    previous: Vec<[i16; N]>,
    current: Vec<[i16; N]>,
    /// Magnitudes of the quantized residuals, laid out likewise.
    previous_size: Vec<[u8; N]>,
    current_size: Vec<[u8; N]>,
    /// The current row's quantized residuals, sample x at index x.
    levels: Vec<[i16; N]>,
    /// What the previous row gives each sample of the current one, sample x at index x:
    /// its share of the activity (gradients and the residual sizes above) and of the bias
    /// context (the levels of `d − b` and `b − c`).
    activity: Vec<[u8; N]>,
    context: Vec<[u16; N]>,
    /// Bias statistics per channel: [`BIAS_CONTEXTS`] used, padded to a power of two.
    bias: Box<[[Bias; 1024]; N]>,
    /// The gradient levels of the encoder's table, padded to a power of two.
    gradient_level: [u8; 1024],
    inverse_step: u32,
    step: i32,
    max_level: u32,
}

impl<const N: usize> Decoder<'_, N> {
    fn start_row(&mut self, y: usize, width: usize) {
        if y == 0 {
            for c in 0..N {
                self.current[0][c] = if c == 0 { 128 } else { 0 };
            }
            return;
        }
        next_row(&mut self.previous, &mut self.current, width);
        next_row(&mut self.previous_size, &mut self.current_size, width);
    }

    /// First pass over a row (not the strip's first): what the previous row gives each
    /// sample. On the interleaved samples, `d − b` of a sample is `b − c` of the sample one
    /// pixel on, and every step is plain arithmetic on 16-bit lanes, so the loop
    /// vectorizes.
    #[inline(never)]
    fn near(&mut self, width: usize) {
        let n = N * width;
        let previous = self.previous.as_flattened();
        let sizes = self.previous_size.as_flattened();
        let (above_left, above, above_right) = (
            &previous[..n],
            &previous[N..N + n],
            &previous[2 * N..2 * N + n],
        );
        let (size_left, size_above, size_right) =
            (&sizes[..n], &sizes[N..N + n], &sizes[2 * N..2 * N + n]);
        let activity = &mut self.activity.as_flattened_mut()[..n];
        let context = &mut self.context.as_flattened_mut()[..n];
        let step = self.step as i16;
        let limits = [step, 3 * step, 7 * step, 21 * step];
        let level = |g: i16| {
            let m = g.abs();
            let l = (m >= limits[0]) as i16
                + (m >= limits[1]) as i16
                + (m >= limits[2]) as i16
                + (m >= limits[3]) as i16;
            (4 + if g < 0 { -l } else { l }) as u16
        };
        let inverse_step = self.inverse_step as u16;
        let lossless = self.step == 1;
        for k in 0..n {
            let right = above_right[k] - above[k];
            let left = above[k] - above_left[k];
            let g = (right.abs() + left.abs() + (right + left).abs()) as u16;
            let scaled = if lossless {
                g
            } else {
                ((g as u32 * inverse_step as u32) >> 16) as u16
            };
            activity[k] =
                (scaled + 2 * size_above[k] as u16 + size_left[k] as u16 + size_right[k] as u16)
                    .min(255) as u8;
            context[k] = level(right) * 81 + level(left) * 9;
        }
    }

    /// Second pass over a row: every token and its raw bits, into `levels` and
    /// `current_size`. The channels are skewed: green (or gray) decodes sample t while red
    /// decodes t − 1 and blue t − 2, so the sizes one channel's context needs from another
    /// at the same pixel are known an iteration early and the chains run side by side
    /// (each channel has its own states and stream, so the order across channels is free).
    /// Even and odd samples of a channel use its two lanes, so the loops are unrolled by
    /// two to keep the lanes in registers.
    #[inline(never)]
    fn tokens<const FIRST: bool>(&mut self, y: usize, width: usize) -> Result<()> {
        let mut coders: [Coder; N] = std::array::from_fn(|c| Coder {
            tables: &self.tables[c],
            words: self.words[c].padded(),
            states: self.states[c],
            pos: self.pos[c],
        });
        let mut left = self.current_size[0].map(|s| s as u32);
        let near = &self.activity[..width];
        let sizes = &mut self.current_size[1..width + 1];
        let levels = &mut self.levels[..width];
        // The activity of a sample from what the previous row gives it and the size at its
        // left (in the first row the neighbours above are the left one).
        let activity = |near: u8, left: u32| {
            if FIRST {
                6 * left
            } else {
                near as u32 + 2 * left
            }
        };
        if N == 1 {
            let mut s = left[0];
            let pairs = near
                .chunks_exact(2)
                .zip(sizes.chunks_exact_mut(2))
                .zip(levels.chunks_exact_mut(2));
            for ((near, size), level) in pairs {
                let (m, l) = coders[0].sample(0, activity(near[0][0], s));
                size[0][0] = m as u8;
                level[0][0] = l;
                let (m, l) = coders[0].sample(1, activity(near[1][0], m));
                size[1][0] = m as u8;
                level[1][0] = l;
                s = m;
            }
            if width % 2 == 1 {
                let x = width - 1;
                let (m, l) = coders[0].sample(0, activity(near[x][0], s));
                sizes[x][0] = m as u8;
                levels[x][0] = l;
            }
        } else if width < N {
            for t in 0..width + N - 1 {
                for c in 0..N {
                    if (c..width + c).contains(&t) {
                        let x = t - c;
                        decode_at(
                            &mut coders,
                            &mut left,
                            c,
                            x,
                            &near[x],
                            &mut sizes[x],
                            &mut levels[x],
                            activity,
                        );
                    }
                }
            }
        } else {
            // The first N − 1 steps, while not every channel has started.
            for t in 0..N - 1 {
                for c in 0..=t {
                    let x = t - c;
                    decode_at(
                        &mut coders,
                        &mut left,
                        c,
                        x,
                        &near[x],
                        &mut sizes[x],
                        &mut levels[x],
                        activity,
                    );
                }
            }
            // Green at t, red at t − 1, blue at t − 2, the sizes on the chains in registers:
            // s0 of green at t − 1, s1 of red at t − 2, s2 of blue at t − 3.
            let (mut s0, mut s1, mut s2) = (sizes[1][0] as u32, sizes[0][1] as u32, left[2]);
            let [c0, c1, c2] = &mut coders[..] else {
                unreachable!("three channels")
            };
            // One skewed step: green at t in lane A, red at t − 1 in lane B, blue at t − 2
            // in lane A (the lanes are literals, so the states stay in registers).
            macro_rules! step {
                ($t:expr, $a:literal, $b:literal) => {{
                    let t = $t;
                    let (m0, l0) = c0.sample($a, activity(near[t][0], s0));
                    let (m1, l1) = c1.sample($b, activity(near[t - 1][1], s1) + 3 * s0);
                    let a2 = activity(near[t - 2][2], s2) + 2 * s1 + sizes[t - 2][0] as u32;
                    let (m2, l2) = c2.sample($a, a2);
                    sizes[t][0] = m0 as u8;
                    levels[t][0] = l0;
                    sizes[t - 1][1] = m1 as u8;
                    levels[t - 1][1] = l1;
                    sizes[t - 2][2] = m2 as u8;
                    levels[t - 2][2] = l2;
                    (s0, s1, s2) = (m0, m1, m2);
                }};
            }
            let mut t = 2;
            while t + 1 < width {
                step!(t, 0, 1);
                step!(t + 1, 1, 0);
                t += 2;
            }
            if t < width {
                step!(t, 0, 1);
            }
            (left[0], left[1], left[2]) = (s0, s1, s2);
            // The last N − 1 steps, while the channels after green finish.
            for t in width..width + N - 1 {
                for c in t + 1 - width..N {
                    let x = t - c;
                    decode_at(
                        &mut coders,
                        &mut left,
                        c,
                        x,
                        &near[x],
                        &mut sizes[x],
                        &mut levels[x],
                        activity,
                    );
                }
            }
        }
        for (c, coder) in coders.iter().enumerate() {
            self.states[c] = coder.states;
            self.pos[c] = coder.pos;
        }
        let worst = levels.as_flattened().iter().map(|l| l.unsigned_abs()).max();
        if worst.unwrap_or(0) as u32 > self.max_level {
            return Err(Error::invalid(format!(
                "near-lossless strip: a residual out of range in row {y}"
            )));
        }
        Ok(())
    }

    /// Third pass over a row: predictions and reconstruction into `out` (interleaved
    /// samples).
    #[inline(never)]
    fn values<const FIRST: bool>(&mut self, out: &mut [u8]) {
        let width = out.len() / N;
        let span = 2 * DOMAIN_LIMIT;
        let gradient_level = &self.gradient_level;
        let bias = &mut *self.bias;
        let (previous, current) = (&self.previous, &mut self.current);
        let mut left = current[0].map(|v| v as i32);
        let step = self.step;
        for ((((pixel, p), near), levels), value_out) in out
            .chunks_exact_mut(N)
            .zip(previous.windows(3))
            .zip(self.context[..width].iter())
            .zip(self.levels[..width].iter())
            .zip(current[1..width + 1].iter_mut())
        {
            let mut base = 0;
            let mut values = [0i16; N];
            for c in 0..N {
                let a = left[c];
                let (b, cc, near_context) = if FIRST {
                    (a, a, 360)
                } else {
                    (p[1][c] as i32, p[0][c] as i32, near[c] as usize)
                };
                // MED is the median of a, b and a + b − c: no branch.
                let med = (a + b - cc).max(a.min(b)).min(a.max(b));
                let context = (near_context
                    + gradient_level[(cc - a + span) as usize & 1023] as usize)
                    & 1023;
                let bias = &mut bias[c][context];
                let predicted = (base + med + bias.correction()).clamp(0, 255);
                let sample = (predicted + levels[c] as i32 * step).clamp(0, 255);
                let value = sample - base;
                values[c] = value as i16;
                left[c] = value;
                bias.add(value - med);
                let offset = if N == 1 { 0 } else { [1, 0, 2][c] };
                pixel[offset] = sample as u8;
                base = if c == 0 { sample } else { (base + sample) >> 1 };
            }
            *value_out = values;
        }
    }
}

/// One channel's coder in the token pass.
struct Coder<'a> {
    /// The channel's table by activity.
    tables: &'a [&'a DecodeTable; ACTIVITIES],
    words: &'a [u32],
    states: [u64; LANES],
    pos: usize,
}

impl Coder<'_> {
    /// Decodes one sample in the context of `activity`: its residual size (its token, which
    /// the next contexts need as soon as possible) and its signed quantized residual.
    #[inline(always)]
    fn sample(&mut self, lane: usize, activity: u32) -> (u32, i16) {
        let table = self.tables[activity as usize & (ACTIVITIES - 1)];
        let state = &mut self.states[lane % LANES];
        let token = rans::decode_token(state, table);
        // Token 0 takes no raw bits; the others a sign and their extra bits.
        let info = TOKEN_RAW[token & 31];
        let raw = rans::take_raw(state, info.bits, info.mask);
        rans::renormalize(state, self.words, &mut self.pos);
        let m = info.first + (raw >> 1);
        let sign = -((raw & 1) as i32);
        (token as u32, ((m as i32 ^ sign) - sign) as i16)
    }
}

/// Decodes channel `c` of sample `x` with the sizes of its pixel's earlier channels taken
/// from `sizes` (the token pass's edges, where not every channel is under way).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn decode_at<const N: usize>(
    coders: &mut [Coder; N],
    left: &mut [u32; N],
    c: usize,
    x: usize,
    near: &[u8; N],
    sizes: &mut [u8; N],
    levels: &mut [i16; N],
    activity: impl Fn(u8, u32) -> u32,
) {
    let mut a = activity(near[c], left[c]);
    if c == 1 {
        a += 3 * sizes[0] as u32;
    } else if c == 2 {
        a += 2 * sizes[1] as u32 + sizes[0] as u32;
    }
    let (m, level) = coders[c].sample(x % LANES, a);
    sizes[c] = m as u8;
    levels[c] = level;
    left[c] = m;
}

/// Decodes a strip written by [`super::strip::encode_strip`].
pub fn decode_strip(shape: StripShape, data: &[u8]) -> Result<Vec<u8>> {
    match shape.channels {
        1 => decode_channels::<1>(shape, data),
        3 => decode_channels::<3>(shape, data),
        n => Err(Error::invalid(format!(
            "lossless strip: {n} channels (expected 1 or 3)"
        ))),
    }
}

fn decode_channels<const N: usize>(shape: StripShape, data: &[u8]) -> Result<Vec<u8>> {
    let mut reader = BitReader::new(data);
    let mut tables = Vec::with_capacity(N);
    for _ in 0..N {
        let mut channel: [DecodeTable; TABLES_PER_CHANNEL] = std::array::from_fn(|_| {
            DecodeTable::new(&rans::frequencies_of(&[]).unwrap_or_default())
        });
        for table in channel.iter_mut().take(BUCKETS) {
            let codes = rans::read_distribution(&mut reader)?;
            *table = DecodeTable::new(&rans::frequencies_of(&codes)?);
        }
        tables.push(channel);
    }
    let row_samples = shape.width * N;
    let words = read_streams::<N>(&data[reader.bytes_used()..], shape.width)?;
    let states: [[u64; LANES]; N] = std::array::from_fn(|c| words[c].initial_states());
    let t = Tables::new(shape.step());
    let mut gradient_level = [0u8; 1024];
    gradient_level[..t.gradient_level.len()].copy_from_slice(&t.gradient_level);
    let mut bucket = [(BUCKETS - 1) as u8; ACTIVITIES];
    bucket[..t.bucket.len()].copy_from_slice(&t.bucket);
    let by_activity: Vec<[&DecodeTable; ACTIVITIES]> = tables
        .iter()
        .map(|channel| {
            std::array::from_fn(|a| &channel[bucket[a] as usize & (TABLES_PER_CHANNEL - 1)])
        })
        .collect();
    const _: () = assert!(
        BUCKETS <= TABLES_PER_CHANNEL
            && BUCKET_LIMITS[BUCKETS - 2] < 255
            && 255 + 5 * 255 < ACTIVITIES
            && ACTIVITIES.is_power_of_two()
    );
    let bias: Box<[[Bias; 1024]; N]> = vec![[Bias::default(); 1024]; N]
        .into_boxed_slice()
        .try_into()
        .map_err(|_| Error::invalid("lossless strip: bias tables"))?;
    const _: () = assert!(BIAS_CONTEXTS <= 1024 && 4 * DOMAIN_LIMIT < 1024);
    let mut decoder = Decoder::<N> {
        tables: &by_activity,
        words: &words,
        pos: [2 * LANES; N],
        states,
        previous: vec![[0; N]; shape.width + 2],
        current: vec![[0; N]; shape.width + 2],
        previous_size: vec![[0; N]; shape.width + 2],
        current_size: vec![[0; N]; shape.width + 2],
        levels: vec![[0; N]; shape.width],
        activity: vec![[0; N]; shape.width],
        context: vec![[0; N]; shape.width],
        bias,
        gradient_level,
        inverse_step: t.inverse_step,
        step: shape.step(),
        max_level: shape.max_level(),
    };
    let mut out = vec![0u8; row_samples * shape.rows];
    for (y, row) in out.chunks_exact_mut(row_samples).enumerate() {
        decoder.start_row(y, shape.width);
        if y == 0 {
            decoder.tokens::<true>(y, shape.width)?;
        } else {
            decoder.near(shape.width);
            decoder.tokens::<false>(y, shape.width)?;
        }
        if decoder.pos.iter().zip(&words).any(|(&p, w)| p > w.len()) {
            return Err(Error::invalid(format!(
                "lossless strip: the data ends before row {y} of {}",
                shape.rows
            )));
        }
        if y == 0 {
            decoder.values::<true>(row);
        } else {
            decoder.values::<false>(row);
        }
    }
    let ended = decoder.pos.iter().zip(&words).all(|(&p, w)| p == w.len());
    if !ended
        || decoder
            .states
            .iter()
            .flatten()
            .any(|&x| x != rans::STATE_LOW)
    {
        return Err(Error::invalid(
            "lossless strip: the coded data does not end where the samples do",
        ));
    }
    Ok(out)
}

/// Splits the coded words after the distributions into the channels' streams: the word
/// count of every stream but the last (u32, little-endian), then the streams, each holding
/// at least its initial state. Each is padded for the at most one word a sample reads.
fn read_streams<const N: usize>(data: &[u8], width: usize) -> Result<Vec<Words>> {
    let cut = || Error::invalid("lossless strip: the coded streams are cut short");
    let (counts, mut rest) = data.split_at_checked(4 * (N - 1)).ok_or_else(cut)?;
    let mut streams = Vec::with_capacity(N);
    for c in 0..N {
        let bytes = if c + 1 < N {
            let count = u32::from_le_bytes(counts[4 * c..4 * c + 4].try_into().map_err(|_| cut())?);
            let (bytes, after) = rest
                .split_at_checked((count as usize).saturating_mul(4))
                .ok_or_else(cut)?;
            rest = after;
            bytes
        } else {
            rest
        };
        let words = Words::new(bytes, width)?;
        if words.len() < 2 * LANES {
            return Err(Error::invalid(
                "lossless strip: a stream without its coder state",
            ));
        }
        streams.push(words);
    }
    Ok(streams)
}
