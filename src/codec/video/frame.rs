//! A video frame as its slices see it, shared by the encoder and the decoder.
//!
//! In: the stream parameters, the frame's type and quantizer index, the reference it predicts
//! from, and padded planes to reconstruct into. Out: the planes cut into the writable rows
//! of each slice ([`PlaneRows`]), the slices run on scoped worker threads in slice order,
//! and, from the slices' results ([`SliceOutput`]), the deblocked reconstruction as the
//! next [`Reference`] and its visible (cropped) part.

use super::loopfilter::{self, BlockInfo};
use super::motion::{Mv, QuarterGrid};
use super::params::{VideoParams, FLAG_DEBLOCK, FLAG_FINEST_REF};
use super::qp::plane_steps;
use crate::codec::image::deblock::{deblock_edges, DeblockStrength, EdgeMap};
use crate::error::{Error, Result};
use crate::media::y4m::YuvFrame;
use crate::signal::Plane;
use std::sync::Arc;

/// A reconstructed frame ready to predict from.
pub struct Reference {
    /// Padded planes after the loop filter.
    pub planes: Vec<Plane>,
    /// Luma at quarter-sample resolution, for the encoder's motion search (the decoder
    /// predicts block by block from `planes` instead and leaves it `None`).
    pub grid: Option<QuarterGrid>,
    /// The vector of every macroblock (raster order), for the next frame's search.
    pub mvs: Vec<Mv>,
    /// The frame's quantizer index.
    pub qp: u8,
}

/// Puts a newly decoded frame at the front of the reference list (emptied first for a
/// keyframe) and keeps at most `params.refs` frames: the newest ones, or, with
/// [`FLAG_FINEST_REF`], the newest `refs − 1` and in the last place whichever of the two
/// frames competing for it has the finer quantizer index (the newer one on a tie).
pub(super) fn push_reference(
    list: &mut Vec<Arc<Reference>>,
    frame: Arc<Reference>,
    params: &VideoParams,
    key: bool,
) {
    if key {
        list.clear();
    }
    list.insert(0, frame);
    let refs = params.refs as usize;
    if list.len() > refs {
        if params.flags & FLAG_FINEST_REF != 0 && refs > 1 && list[refs].qp < list[refs - 1].qp {
            list.remove(refs - 1);
        }
        list.truncate(refs);
    }
}

/// What every slice of a frame shares.
pub struct FrameSetup<'a> {
    pub params: &'a VideoParams,
    pub intra: bool,
    pub qp: u8,
    /// The frames an inter frame may predict from, newest first (empty for a keyframe); a
    /// B-frame's two anchors, the earlier first.
    pub references: &'a [Arc<Reference>],
    /// A B-frame: predicted from the anchors shown before and after it, and no frame's
    /// reference.
    pub bidir: bool,
    /// A B-frame's distance in frames to its earlier and its later anchor (the encoder's
    /// search starts; (0, 0) otherwise and in the decoder).
    pub anchor_distances: (u32, u32),
    /// The lookahead's vector of every macroblock (raster order, whole frame) against the
    /// previous source frame; empty when there is none (and in the decoder).
    pub lookahead: &'a [Mv],
    /// The encoder's quantizer index offset of every macroblock (raster order, whole
    /// frame), used when the stream has [`super::params::FLAG_MB_QP`]; empty for none (and
    /// in the decoder).
    pub qp_offsets: &'a [i8],
}

/// The rows of one plane that belong to a slice, writable.
pub struct PlaneRows<'a> {
    pub width: usize,
    /// First row in the plane.
    pub y0: usize,
    pub data: &'a mut [u8],
}

/// A slice's results.
pub struct SliceOutput {
    pub bytes: Vec<u8>,
    /// Luma 8×8 blocks of the slice's rows, raster order.
    pub blocks: Vec<BlockInfo>,
    /// Vectors of the slice's macroblocks, raster order.
    pub mvs: Vec<Mv>,
    /// Macroblocks coded intra.
    pub intra_mbs: usize,
    /// Macroblocks split into 8×8 quarters.
    pub split_mbs: usize,
    /// Transform edges of each plane of a slice coded with the block coder (a keyframe's,
    /// see [`super::keyframe`]); empty for the macroblock syntax, whose edges `blocks` gives.
    pub edges: Vec<EdgeMap>,
}

/// Worker threads to use for a request (0 = one per core).
pub(super) fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Padded planes of the stream's size filled with `fill`, for a frame's slices to
/// reconstruct into (every sample is overwritten: the frame does not depend on `fill`).
pub(super) fn blank_planes(params: &VideoParams, fill: u8) -> Vec<Plane> {
    (0..params.chroma.plane_count())
        .map(|p| {
            let (w, h) = params.padded_plane(p);
            Plane::filled(w, h, fill)
        })
        .collect()
}

/// The visible part of padded planes.
pub(super) fn crop_frame(params: &VideoParams, planes: &[Plane]) -> YuvFrame {
    let (w, h) = (params.width as usize, params.height as usize);
    YuvFrame {
        planes: planes
            .iter()
            .enumerate()
            .map(|(p, plane)| {
                let (pw, ph) = params.chroma.plane_size(p, w, h);
                plane.cropped(pw, ph)
            })
            .collect(),
    }
}

/// Splits padded planes into the rows of each slice.
pub(super) fn slice_rows<'a>(
    params: &VideoParams,
    planes: &'a mut [Plane],
) -> Vec<Vec<PlaneRows<'a>>> {
    let slices = params.slice_count();
    let mut out: Vec<Vec<PlaneRows<'a>>> = (0..slices).map(|_| Vec::new()).collect();
    for (p, plane) in planes.iter_mut().enumerate() {
        let sy = if p == 0 { 0 } else { params.chroma.shifts().1 };
        let rows = (16usize >> sy) * params.slice_rows as usize;
        let width = plane.width;
        for (s, chunk) in plane.data.chunks_mut(rows * width).enumerate() {
            if let Some(v) = out.get_mut(s) {
                v.push(PlaneRows {
                    width,
                    y0: s * rows,
                    data: chunk,
                });
            }
        }
    }
    out
}

/// Runs `work` on every slice, on up to `threads` scoped workers; results in slice order.
/// A worker that panics is reported as an error.
pub(super) fn run_slices<'a, T: Send, F>(
    rows: Vec<Vec<PlaneRows<'a>>>,
    threads: usize,
    work: F,
) -> Result<Vec<T>>
where
    F: Fn(usize, &mut [PlaneRows<'a>]) -> T + Sync,
{
    let n = rows.len();
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return Ok(rows
            .into_iter()
            .enumerate()
            .map(|(s, mut r)| work(s, &mut r))
            .collect());
    }
    let mut groups: Vec<Vec<(usize, Vec<PlaneRows<'a>>)>> =
        (0..threads).map(|_| Vec::new()).collect();
    for (s, r) in rows.into_iter().enumerate() {
        groups[s % threads].push((s, r));
    }
    let work = &work;
    let mut results: Vec<(usize, T)> = Vec::with_capacity(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .into_iter()
            .map(|group| {
                scope.spawn(move || {
                    group
                        .into_iter()
                        .map(|(s, mut r)| (s, work(s, &mut r)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            let part = h
                .join()
                .map_err(|_| Error::Pipeline("a slice worker panicked".into()))?;
            results.extend(part);
        }
        Ok::<(), Error>(())
    })?;
    results.sort_by_key(|(s, _)| *s);
    Ok(results.into_iter().map(|(_, t)| t).collect())
}

/// Deblocks a frame whose slices were coded with the block coder along their transform
/// edges, as pictures are ([`deblock_edges`]), at the strength of each plane's step.
fn deblock_block_coded(
    params: &VideoParams,
    planes: &mut [Plane],
    outputs: &[SliceOutput],
    qp: u8,
) {
    let steps = plane_steps(qp);
    let (_, sy) = params.chroma.shifts();
    for (p, plane) in planes.iter_mut().enumerate() {
        let mut map = EdgeMap::empty(plane.width, plane.height);
        let slice_height = if p == 0 { 16 } else { 16 >> sy } * params.slice_rows as usize;
        for (s, o) in outputs.iter().enumerate() {
            if let Some(edges) = o.edges.get(p) {
                map.paste(edges, 0, s * slice_height / 4);
            }
        }
        let strength = DeblockStrength::for_step(steps[(p > 0) as usize]);
        deblock_edges(plane, &map, &strength);
    }
}

/// Deblocks reconstructed planes and makes them a reference; `search_grid` (the encoder's)
/// asks for the quarter-sample grid, interpolated on that many threads.
pub(super) fn make_reference(
    params: &VideoParams,
    mut planes: Vec<Plane>,
    outputs: &[SliceOutput],
    qp: u8,
    search_grid: Option<usize>,
) -> Reference {
    let (mw, _) = params.mb_grid();
    let block_coded = outputs.iter().any(|o| !o.edges.is_empty());
    if params.flags & FLAG_DEBLOCK != 0 && block_coded {
        deblock_block_coded(params, &mut planes, outputs, qp);
    } else if params.flags & FLAG_DEBLOCK != 0 {
        let blocks: Vec<_> = outputs
            .iter()
            .flat_map(|o| o.blocks.iter().copied())
            .collect();
        loopfilter::deblock(&mut planes, &blocks, 2 * mw, params.chroma.shifts(), qp);
    }
    let mvs = outputs.iter().flat_map(|o| o.mvs.iter().copied()).collect();
    Reference {
        qp,
        grid: search_grid.map(|threads| QuarterGrid::new(&planes[0], threads)),
        planes,
        mvs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::y4m::{ChromaFormat, Y4mHeader};

    fn frame(qp: u8) -> Reference {
        Reference {
            planes: Vec::new(),
            grid: None,
            mvs: Vec::new(),
            qp,
        }
    }

    /// The quantizer indices of the list after pushing `qps` (the first a keyframe).
    fn list_after(params: &VideoParams, qps: &[u8]) -> Vec<u8> {
        let mut list = Vec::new();
        for (n, &qp) in qps.iter().enumerate() {
            push_reference(&mut list, Arc::new(frame(qp)), params, n == 0);
        }
        list.iter().map(|r| r.qp).collect()
    }

    #[test]
    fn the_last_reference_place_keeps_the_finest_older_frame_when_the_flag_says_so() {
        let header = Y4mHeader::new(32, 32, ChromaFormat::Yuv420Jpeg, (25, 1));
        let mut params = VideoParams::from_y4m(&header);
        params.refs = 3;
        // Keyframe 15, then inter frames; 20 is the pattern's fine place.
        let qps = [15, 25, 24, 25, 24, 25, 24, 25, 20, 25, 24, 25];
        assert_eq!(list_after(&params, &qps), vec![25, 24, 25], "newest only");
        params.flags |= FLAG_FINEST_REF;
        assert_eq!(
            list_after(&params, &qps[..5]),
            vec![24, 25, 15],
            "the keyframe stays"
        );
        assert_eq!(list_after(&params, &qps), vec![25, 24, 15]);
        // On equal indices the newer frame wins the place.
        assert_eq!(list_after(&params, &[15, 25, 25, 25, 25]), vec![25, 25, 15]);
        // A keyframe empties the list; one reference is always the newest.
        let mut list = Vec::new();
        for (qp, key) in [
            (15, true),
            (25, false),
            (26, false),
            (27, false),
            (10, true),
        ] {
            push_reference(&mut list, Arc::new(frame(qp)), &params, key);
        }
        assert_eq!(list.iter().map(|r| r.qp).collect::<Vec<_>>(), vec![10]);
        params.refs = 1;
        assert_eq!(list_after(&params, &[15, 25, 26]), vec![26]);
    }
}
