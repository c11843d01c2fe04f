//! The image codec: a picture in, a quanta stream out, and back.
//!
//! Encoding converts RGB to YCbCr (BT.601 full range), subsamples chroma (4:2:0 by
//! default), pads planes to whole blocks, cuts the picture into square tiles and runs them
//! through the pipeline: the forward DCT of a tile on one set of workers, quantization with
//! rate-distortion decisions and range coding on another, then the container writer in
//! tile order. Decoding runs the tiles through decode and reconstruction workers, puts
//! them together, upsamples chroma and converts back to RGB. All of the decoder's
//! arithmetic is integer, and the encoder's reconstruction uses the same functions, so the
//! two agree bit for bit. A damaged tile is reported and filled with mid-grey.

pub(crate) mod blocks;
pub(crate) mod coeffs;
pub(crate) mod deblock;
pub mod lossless;
pub mod params;
pub mod restore;
pub mod target;
pub(crate) mod tile;

use std::io::{Read, Write};

use crate::codec::block::encode::{EncoderTuning, SearchEffort};
use crate::container::{
    ContainerReader, ContainerWriter, MediaKind, ReadEvent, StreamHeader, FORMAT_VERSION,
};
use crate::error::{Error, Limits, Result};
use crate::perceptual::visual::{activity_level, area_variance, base_matrix, quality_scale};
use crate::pipeline::{self, PipelineConfig, RunStats};
use crate::signal::{
    downsample_2x2, rgb_to_ycbcr, upsample_2x2, ycbcr_to_rgb, Picture, PixelLayout, Plane,
};
use crate::transform::dct::DEQUANT_ONE;
use crate::transform::TransformId;
pub use params::{ChromaSampling, ImageParams};
use tile::{analyze_tile, code_tile, decode_tile, CodingTuning, TilePixels};

/// Everything the image encoder can be asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageEncoderConfig {
    /// 0 (smallest) to 100 (best).
    pub quality: u8,
    /// A finer knob than `quality`: the multiplier of the base quantization matrices
    /// (`quality` gives 50/q below 50 and (100 - q)/50 from 50 up). `None` takes it from
    /// `quality`; the target-quality search sets it. Any value from 0 to 64.
    pub step_scale: Option<f64>,
    /// Chroma sampling for colour pictures (grayscale pictures are always coded mono).
    pub sampling: ChromaSampling,
    /// Tile side in luma pixels, a multiple of 16 from 16 to 4096.
    pub tile_size: u32,
    /// Worker threads per parallel stage (0 = one per core).
    pub threads: usize,
    /// The block transform.
    pub transform: TransformId,
    /// Visual weighting of the quantization matrices: 0 flat, 1 JPEG's.
    pub weighting: f64,
    /// Chroma steps relative to the weighted chroma matrix.
    pub chroma_scale: f64,
    /// Strength of activity masking (0 = off), in levels per doubling of variance.
    pub activity_strength: f64,
    /// Dead-zone rounding of AC levels.
    pub ac_rounding: f32,
    /// Lagrange multiplier of the rate-distortion decisions (0 = off).
    pub lambda: f32,
    /// Apply the deblocking filter (signalled in the stream; the decoder applies it).
    pub deblock: bool,
    /// Apply the restoration filter after deblocking, with strengths the encoder chooses
    /// per 64×64 area (block coder only; signalled in the stream).
    pub restore: bool,
    /// Keep the encoder's reconstruction (what the decoder will output).
    pub reconstruct: bool,
    /// Code tiles with the block coder (variable block sizes, intra prediction); it
    /// needs the exact DCT. `false` keeps the 8×8 tile syntax, which every transform of
    /// the family supports.
    pub block_coder: bool,
    /// Search effort of the block coder, 0 (fastest) to [`MAX_EFFORT`].
    pub effort: u8,
}

/// The visual weighting tuned for the 8×8 tile syntax (the default, for the block coder,
/// is flatter: its residuals are predicted, so less of their energy sits at low
/// frequencies).
pub const WEIGHTING_8X8: f64 = 0.4;

/// Largest [`ImageEncoderConfig::effort`].
pub use crate::codec::block::encode::MAX_EFFORT;

impl Default for ImageEncoderConfig {
    fn default() -> Self {
        ImageEncoderConfig {
            quality: 75,
            step_scale: None,
            sampling: ChromaSampling::Yuv420,
            tile_size: 512,
            threads: 0,
            transform: TransformId::Dct,
            weighting: 0.1,
            chroma_scale: 1.5,
            activity_strength: 0.25,
            ac_rounding: 0.45,
            lambda: 0.12,
            deblock: true,
            restore: true,
            reconstruct: false,
            block_coder: true,
            effort: 2,
        }
    }
}

/// Step multipliers of the activity levels, in 1/256: 2^(i/3) around the middle.
const ACTIVITY_SCALES: [u16; 5] = [161, 203, 256, 323, 406];

impl ImageEncoderConfig {
    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        if self.quality > 100 {
            return Err(Error::InvalidArgument(format!(
                "quality {} (expected 0 to 100)",
                self.quality
            )));
        }
        if !(16..=4096).contains(&self.tile_size) || self.tile_size % 16 != 0 {
            return Err(Error::InvalidArgument(format!(
                "tile size {} (expected a multiple of 16 from 16 to 4096)",
                self.tile_size
            )));
        }
        let finite = |v: f64, name: &str, lo: f64, hi: f64| {
            if v.is_finite() && (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(Error::InvalidArgument(format!(
                    "{name} {v} (expected {lo} to {hi})"
                )))
            }
        };
        if let Some(scale) = self.step_scale {
            finite(scale, "step scale", 0.0, 64.0)?;
        }
        finite(self.weighting, "weighting", 0.0, 2.0)?;
        finite(self.chroma_scale, "chroma scale", 0.1, 10.0)?;
        finite(self.activity_strength, "activity strength", 0.0, 4.0)?;
        finite(self.ac_rounding as f64, "AC rounding", 0.0, 0.5)?;
        finite(self.lambda as f64, "lambda", 0.0, 10.0)?;
        if self.block_coder && self.transform != TransformId::Dct {
            return Err(Error::InvalidArgument(format!(
                "the block coder uses the exact DCT at sizes 4 to 32; the {} transform exists \
                 only at 8×8, so it needs the 8×8 tile syntax",
                self.transform.name()
            )));
        }
        if self.effort > MAX_EFFORT {
            return Err(Error::InvalidArgument(format!(
                "effort {} (expected 0 to {MAX_EFFORT})",
                self.effort
            )));
        }
        Ok(())
    }

    /// The block coder's search settings for this configuration.
    fn block_tuning(&self) -> EncoderTuning {
        let effort = SearchEffort::for_level(self.effort);
        EncoderTuning {
            rounding: self.ac_rounding,
            rdoq: self.lambda > 0.0,
            effort,
        }
    }

    /// The stream parameters this configuration gives for a picture.
    pub fn params_for(&self, width: u32, height: u32, layout: PixelLayout) -> ImageParams {
        let sampling = match layout {
            PixelLayout::Gray => ChromaSampling::Mono,
            PixelLayout::Rgb => self.sampling,
        };
        let scale = self
            .step_scale
            .unwrap_or_else(|| quality_scale(self.quality));
        let to_steps = |m: [f64; 64]| {
            let mut steps = [0u16; 64];
            for (s, v) in steps.iter_mut().zip(m.iter()) {
                *s = (v * scale * DEQUANT_ONE as f64).round().clamp(8.0, 4080.0) as u16;
            }
            steps
        };
        let activity_scales = if self.activity_strength > 0.0 {
            ACTIVITY_SCALES.to_vec()
        } else {
            vec![256]
        };
        ImageParams {
            width,
            height,
            sampling,
            tile_size: self.tile_size,
            quality: self.quality,
            deblock: self.deblock,
            block_coder: self.block_coder,
            restore: self.restore && self.block_coder,
            activity_scales,
            luma_steps: to_steps(base_matrix(false, self.weighting, 1.0)),
            chroma_steps: to_steps(base_matrix(true, self.weighting, self.chroma_scale)),
            transform: self.transform,
        }
    }
}

/// What an encode produced.
#[derive(Debug)]
pub struct EncodeOutcome {
    pub params: ImageParams,
    /// Bytes written, header included.
    pub bytes: u64,
    /// The decoder's output, when the configuration asked for it.
    pub reconstruction: Option<Picture>,
    pub stats: RunStats,
}

/// The planes of a picture, as coded: Y (and Cb, Cr), padded to whole blocks.
fn coded_planes(picture: &Picture, params: &ImageParams) -> Vec<Plane> {
    let mut planes = match picture.layout {
        PixelLayout::Gray => vec![Plane {
            width: picture.width,
            height: picture.height,
            data: picture.data.clone(),
        }],
        PixelLayout::Rgb => {
            let [y, cb, cr] = rgb_to_ycbcr(picture);
            if params.sampling == ChromaSampling::Yuv420 {
                vec![y, downsample_2x2(&cb), downsample_2x2(&cr)]
            } else {
                vec![y, cb, cr]
            }
        }
    };
    for (p, plane) in planes.iter_mut().enumerate() {
        let (w, h) = params.padded_plane(p);
        *plane = plane.padded(w, h);
    }
    planes
}

/// Activity level of every 16×16 luma area of the padded picture, raster order.
fn activity_map(luma: &Plane, strength: f64, levels: usize) -> (Vec<u8>, usize) {
    let across = luma.width.div_ceil(16);
    let down = luma.height.div_ceil(16);
    if levels < 2 {
        return (vec![0; across * down], across);
    }
    let variances: Vec<f64> = (0..across * down)
        .map(|i| area_variance(luma, 16 * (i % across), 16 * (i / across)))
        .collect();
    // The geometric mean keeps the average step near the quality's.
    let log_mean = variances.iter().map(|v| (v + 16.0).ln()).sum::<f64>() / variances.len() as f64;
    let reference = log_mean.exp() - 16.0;
    let map = variances
        .iter()
        .map(|&v| activity_level(v, reference, strength, levels))
        .collect();
    (map, across)
}

/// The activity levels of the areas of one tile, from the picture's map.
fn tile_activity(params: &ImageParams, map: &[u8], map_across: usize, index: usize) -> Vec<u8> {
    let rect = params.tile_rect(index, 0);
    let (across, down) = tile::area_grid(&rect);
    let mut out = Vec::with_capacity(across * down);
    for ay in 0..down {
        for ax in 0..across {
            out.push(map[(rect.y / 16 + ay) * map_across + rect.x / 16 + ax]);
        }
    }
    out
}

/// Encodes `picture` into `out` as a complete quanta stream.
pub fn encode_picture<W: Write>(
    picture: &Picture,
    config: &ImageEncoderConfig,
    out: W,
) -> Result<EncodeOutcome> {
    encode_picture_with_progress(picture, config, out, &mut |_, _| {})
}

/// [`encode_picture`], calling `progress(tiles_written, tiles_total)` after every tile.
pub fn encode_picture_with_progress<W: Write>(
    picture: &Picture,
    config: &ImageEncoderConfig,
    out: W,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<EncodeOutcome> {
    config.validate()?;
    Limits::default().check_dimensions(picture.width as u32, picture.height as u32)?;
    let params = config.params_for(picture.width as u32, picture.height as u32, picture.layout);
    let planes = coded_planes(picture, &params);
    let (map, map_across) = activity_map(
        &planes[0],
        config.activity_strength,
        params.activity_scales.len(),
    );
    let header = StreamHeader {
        version: FORMAT_VERSION,
        media: MediaKind::Image,
        transform: config.transform.to_u8(),
        params: params.to_bytes(),
    };
    let mut writer = ContainerWriter::new(out, &header)?;
    let tuning = CodingTuning {
        ac_rounding: config.ac_rounding,
        lambda: config.lambda,
    };
    let block_tuning = config.block_tuning();
    let mut tiles: Vec<Option<TilePixels>> = Vec::new();
    let pipeline_config = PipelineConfig::with_threads(config.threads);
    let tile_count = params.tile_count();
    let source = (0..tile_count).map(Ok);
    let stats = pipeline::run(
        &pipeline_config,
        source,
        ("transform", |index: usize| {
            let activity = tile_activity(&params, &map, map_across, index);
            Ok(if params.block_coder {
                // The block coder transforms inside its search, in the next stage.
                tile::TileAnalysis {
                    index,
                    planes: Vec::new(),
                    activity,
                }
            } else {
                analyze_tile(&params, &planes, index, activity)
            })
        }),
        ("entropy", |analysis: tile::TileAnalysis| {
            Ok(if params.block_coder {
                blocks::encode_tile(
                    &params,
                    &block_tuning,
                    config.lambda,
                    &planes,
                    analysis.index,
                    &analysis.activity,
                    config.reconstruct,
                )
            } else {
                code_tile(&params, &tuning, &analysis, config.reconstruct)
            })
        }),
        |(payload, pixels): (Vec<u8>, Option<TilePixels>)| {
            writer.write_packet(true, &payload)?;
            tiles.push(pixels);
            progress(tiles.len(), tile_count);
            Ok(())
        },
    )?;
    let bytes = writer.bytes_written();
    let mut inner = writer.finish(&[])?;
    inner
        .flush()
        .map_err(|e| Error::io("cannot flush the encoded stream", e))?;
    let total = bytes + end_packet_size();
    let reconstruction = if config.reconstruct {
        let tiles: Vec<TilePixels> = tiles.into_iter().flatten().collect();
        Some(assemble(&params, tiles).0)
    } else {
        None
    };
    Ok(EncodeOutcome {
        params,
        bytes: total,
        reconstruction,
        stats,
    })
}

fn end_packet_size() -> u64 {
    crate::container::PACKET_OVERHEAD_BYTES as u64
}

/// Puts decoded tiles together and finishes the picture: chroma upsampling, colour
/// conversion. Missing tiles stay mid-grey; their indices are returned.
pub fn assemble(params: &ImageParams, tiles: Vec<TilePixels>) -> (Picture, Vec<usize>) {
    let mut planes: Vec<Plane> = (0..params.plane_count())
        .map(|p| {
            let (w, h) = params.padded_plane(p);
            Plane::filled(w, h, 128)
        })
        .collect();
    let mut present = vec![false; params.tile_count()];
    let mut filter = restore::PictureFilter::new(params);
    let mut edges: Vec<deblock::EdgeMap> = planes
        .iter()
        .map(|p| deblock::EdgeMap::empty(p.width, p.height))
        .collect();
    for tile in tiles {
        if tile.index >= present.len() || tile.planes.len() != planes.len() {
            continue;
        }
        present[tile.index] = true;
        if let Some(f) = &tile.restore {
            filter.paste(params, tile.index, f);
        }
        for (p, map) in tile.edges.iter().enumerate() {
            let rect = params.tile_rect(tile.index, p);
            edges[p].paste(map, rect.x / 4, rect.y / 4);
        }
        for (p, src) in tile.planes.iter().enumerate() {
            let rect = params.tile_rect(tile.index, p);
            let dst = &mut planes[p];
            for y in 0..rect.height {
                let d = (rect.y + y) * dst.width + rect.x;
                dst.data[d..d + rect.width]
                    .copy_from_slice(&src.data[y * src.width..y * src.width + rect.width]);
            }
        }
    }
    if params.deblock {
        for (p, plane) in planes.iter_mut().enumerate() {
            // The step of the first AC coefficients represents the plane's quantization.
            let strength = restore::deblock_strength(params, p);
            if params.block_coder {
                deblock::deblock_edges(plane, &edges[p], &strength);
            } else {
                deblock::deblock_plane(plane, &strength);
            }
        }
    }
    if params.restore {
        filter.apply(params, &mut planes);
    }
    let missing = present
        .iter()
        .enumerate()
        .filter(|(_, &p)| !p)
        .map(|(i, _)| i)
        .collect();
    let (w, h) = (params.width as usize, params.height as usize);
    let y = planes[0].cropped(w, h);
    // Colour pictures have three planes (`plane_count`), gray ones one.
    let picture = match planes.as_slice() {
        [_, cb, cr] => {
            let (cw, ch) = params.visible_plane(1);
            let (cb, cr) = (cb.cropped(cw, ch), cr.cropped(cw, ch));
            if params.sampling == ChromaSampling::Yuv420 {
                ycbcr_to_rgb(&y, &upsample_2x2(&cb, w, h), &upsample_2x2(&cr, w, h))
            } else {
                ycbcr_to_rgb(&y, &cb, &cr)
            }
        }
        _ => Picture {
            width: w,
            height: h,
            layout: PixelLayout::Gray,
            data: y.data,
        },
    };
    (picture, missing)
}

/// A decoded picture and what went wrong on the way.
#[derive(Debug)]
pub struct DecodedPicture {
    pub picture: Picture,
    pub params: ImageParams,
    /// One line per damaged stretch of the stream or undecodable tile.
    pub damage: Vec<String>,
    /// Tiles (strips, for predictive streams) that could not be decoded and were filled
    /// with grey.
    pub concealed_tiles: Vec<usize>,
    /// How many tiles (or strips) the picture has.
    pub tile_count: usize,
    /// The parameters of a lossless or near-lossless stream; `params` then gives only the
    /// size and layout.
    pub predictive: Option<lossless::LosslessParams>,
    /// The 16-bit samples of a 16-bit lossless stream (`picture` then holds them rounded to
    /// 8 bits).
    pub deep: Option<crate::signal::DeepPicture>,
    /// True when the stream ended with its end-of-stream packet.
    pub complete: bool,
}

impl DecodedPicture {
    /// The damage in the common report form (each concealed tile counts once).
    pub fn report(&self) -> crate::codec::DecodeReport {
        crate::codec::DecodeReport {
            damage: self.damage.clone(),
            concealed: self.concealed_tiles.len() as u64,
            complete: self.complete,
        }
    }
}

/// Options of the image decoder.
#[derive(Debug, Clone, Default)]
pub struct ImageDecodeOptions {
    pub threads: usize,
    pub limits: Limits,
}

/// Decodes an image stream from any reader.
pub fn decode_picture<R: Read + Send>(
    input: R,
    options: &ImageDecodeOptions,
) -> Result<DecodedPicture> {
    let reader = ContainerReader::new(input, options.limits)?;
    decode_picture_stream(reader, options)
}

/// Decodes a tile with the syntax the stream's parameters name.
pub(crate) fn decode_any_tile(params: &ImageParams, payload: &[u8]) -> Result<TilePixels> {
    if params.block_coder {
        blocks::decode_tile(params, payload)
    } else {
        decode_tile(params, payload)
    }
}

enum TileOutcome {
    Tile(TilePixels),
    Damage(String),
}

/// Decodes an image stream whose header was already read.
pub fn decode_picture_stream<R: Read + Send>(
    mut reader: ContainerReader<R>,
    options: &ImageDecodeOptions,
) -> Result<DecodedPicture> {
    let header = reader.header().clone();
    if header.media != MediaKind::Image {
        return Err(Error::InvalidArgument(format!(
            "the stream holds {:?}, not an image",
            header.media
        )));
    }
    if header.transform == lossless::PREDICTIVE_TRANSFORM_ID {
        return decode_predictive(reader, options);
    }
    let transform = TransformId::from_u8(header.transform)?;
    let mut params = ImageParams::from_bytes(&header.params, &options.limits)?;
    params.transform = transform;
    let mut damage = Vec::new();
    let mut tiles = Vec::new();
    let source = std::iter::from_fn(|| match reader.next_event() {
        Ok(Some(event)) => Some(Ok(event)),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    });
    pipeline::run_one(
        &PipelineConfig::with_threads(options.threads),
        source,
        ("decode", |event: ReadEvent| {
            Ok(match event {
                ReadEvent::Packet(packet) => match decode_any_tile(&params, &packet.payload) {
                    Ok(tile) => TileOutcome::Tile(tile),
                    Err(e) => TileOutcome::Damage(format!("packet {}: {e}", packet.sequence)),
                },
                ReadEvent::Damaged(d) => TileOutcome::Damage(d.to_string()),
            })
        }),
        |outcome| {
            match outcome {
                TileOutcome::Tile(t) => tiles.push(t),
                TileOutcome::Damage(d) => damage.push(d),
            }
            Ok(())
        },
    )?;
    let complete = reader.is_complete();
    let (picture, concealed_tiles) = assemble(&params, tiles);
    Ok(DecodedPicture {
        picture,
        damage,
        tile_count: params.tile_count(),
        params,
        concealed_tiles,
        complete,
        predictive: None,
        deep: None,
    })
}

/// Decodes a lossless or near-lossless stream into a [`DecodedPicture`].
fn decode_predictive<R: Read + Send>(
    reader: ContainerReader<R>,
    options: &ImageDecodeOptions,
) -> Result<DecodedPicture> {
    let decoded = lossless::decode_lossless_stream(reader, options.threads, &options.limits)?;
    let p = decoded.params;
    let config = ImageEncoderConfig {
        quality: 100,
        deblock: false,
        sampling: ChromaSampling::Yuv444,
        ..ImageEncoderConfig::default()
    };
    Ok(DecodedPicture {
        params: config.params_for(p.width, p.height, p.layout()),
        tile_count: p.strip_count(),
        damage: decoded.damage,
        concealed_tiles: decoded.concealed_strips,
        complete: decoded.complete,
        picture: decoded.picture,
        predictive: Some(p),
        deep: decoded.deep,
    })
}
