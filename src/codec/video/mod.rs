//! The video codec: Y4M frames in, a quanta stream out (one packet per frame), and back.
//!
//! Encoding pads each frame to whole 16×16 macroblocks and codes it as a keyframe (I, every
//! slice coded with the picture codec's block coder, [`keyframe`]; or, for 4:2:2 and the
//! approximate transforms, every macroblock intra) or an inter frame (P, predicted from one
//! of the last `--refs` reconstructions since the keyframe, named per macroblock, by
//! quarter-sample motion compensation, with skip, inter and intra macroblocks chosen by
//! rate-distortion cost priced with the models that code them; inter residuals as 16×16,
//! 8×8 or 4×4 DCTs of the block coder, [`tx`]). Frames are cut into slices
//! of whole macroblock rows, coded in parallel; the reconstruction is deblocked in the loop
//! and joins the references. Inter frames take quantizer indices in a pattern of period 8
//! around the rate control's ([`rate`]). A lookahead ([`lookahead`]) estimates motion on the
//! source frames, ahead of coding and on its own thread when the frames come as a stream
//! ([`VideoEncoder::encode_stream`]): its vectors seed the coder's search and its costs find
//! scene cuts. Keyframes come every `keyint` frames and at scene cuts. The
//! decoder's integer arithmetic is shared with the encoder, so decoder output equals the
//! encoder's reconstruction bit for bit and prediction never drifts. A damaged or lost
//! packet is reported and concealed by repeating the last good frame until the next
//! keyframe. docs/FORMAT.md ("Video") specifies the stream.
//!
//! Each module imports only from modules listed before it: the definitions (`params`, `qp`,
//! `tuning`, `rate`, `residual`, `tx`), the frame-wide tools (`motion`, `loopfilter`,
//! `lookahead`), what a frame's slices share (`frame`), the macroblock (`intra`, `syntax`,
//! `mb`), one slice (`slice`, or `keyframe` for a block-coded keyframe's), and on top the [`VideoEncoder`] (`encoder`) and the
//! [`VideoDecoder`] and [`VideoStreamDecoder`] (`decoder`), re-exported here.

mod coder;
mod decoder;
mod encoder;
pub(crate) mod frame;
pub(crate) mod intra;
pub mod keyframe;
pub mod lookahead;
pub(crate) mod loopfilter;
mod mb;
pub(crate) mod motion;
mod packet_decoder;
mod packet_encoder;
pub mod params;
pub(crate) mod qp;
pub mod rate;
pub(crate) mod residual;
pub mod slice;
pub(crate) mod syntax;
pub mod target;
pub mod tuning;
pub(crate) mod tx;

pub use decoder::{DecodedFrame, VideoDecoder, VideoStreamDecoder, MAX_CONCEALED_FPS};
pub use encoder::{FrameStats, VideoEncoder, VideoEncoderConfig, VideoSummary, MAX_LOOKAHEAD};
pub use packet_decoder::VideoPacketDecoder;
pub use packet_encoder::{FrameFormat, VideoPacketEncoder};
pub use params::VideoParams;
pub use tuning::{Preset, Tuning};
