//! The block coder: intra coding of square blocks with a recursive partition, directional
//! prediction and transforms of four sizes. The picture codec codes its tiles with it.
//!
//! A tile is walked in 32×32 luma coding trees. Each tree node is either split in four or
//! coded whole as a leaf; a leaf predicts its luma from the reconstructed neighbours
//! (DC, planar or one of thirteen directions, [`intra`]), transforms the residual with a
//! DCT of the leaf's size ([`dct`]; an 8×8 leaf may instead be four 4×4 blocks), and
//! codes the quantized levels with context models ([`coeffs`]). Chroma follows the luma
//! partition with its own mode, which may be chroma from luma. The encoder chooses
//! partitions and modes by rate-distortion cost priced with the very models that code
//! them ([`encode`]); the decoder mirrors the walk ([`decode`]). All reconstruction is
//! integer arithmetic shared by both ([`recon`]), so they agree bit for bit.

pub(crate) mod coeffs;
pub(crate) mod dct;
pub(crate) mod decode;
pub(crate) mod encode;
pub(crate) mod intra;
pub(crate) mod recon;
pub(crate) mod state;
pub(crate) mod syntax;
