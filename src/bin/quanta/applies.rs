//! Which options of `quanta encode` and `quanta decode` apply to which media kind. An option
//! given on the command line for a kind it does not apply to (`--tile` for audio,
//! `--preset` for a picture, `decode --bits` for video) is a usage error naming the kind,
//! exit status 2, before anything is read or written; it is never silently ignored.

use clap::parser::ValueSource;
use clap::ArgMatches;

/// The media kind of an input or a stream, as options see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Picture,
    Audio,
    Video,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Picture => "pictures",
            Kind::Audio => "audio",
            Kind::Video => "video",
        }
    }
}

const ALL: &[Kind] = &[Kind::Picture, Kind::Audio, Kind::Video];
const PICTURE: &[Kind] = &[Kind::Picture];
const AUDIO: &[Kind] = &[Kind::Audio];
const VIDEO: &[Kind] = &[Kind::Video];
const PICTURE_VIDEO: &[Kind] = &[Kind::Picture, Kind::Video];
const AUDIO_VIDEO: &[Kind] = &[Kind::Audio, Kind::Video];
const PICTURE_AUDIO: &[Kind] = &[Kind::Picture, Kind::Audio];

/// Every option of `quanta encode` (by clap id) and the kinds it applies to.
pub const ENCODE_OPTIONS: &[(&str, &[Kind])] = &[
    ("input", ALL),
    ("output", ALL),
    ("quality", ALL),
    ("threads", ALL),
    ("chroma", PICTURE),
    ("tile", PICTURE),
    ("transform", PICTURE_VIDEO),
    ("weighting", PICTURE),
    ("chroma_scale", PICTURE),
    ("activity", PICTURE),
    ("rounding", PICTURE),
    ("lambda", PICTURE),
    ("bitrate", AUDIO_VIDEO),
    ("no_deblock", PICTURE_VIDEO),
    ("no_restore", PICTURE),
    ("max_error", PICTURE),
    ("speed", PICTURE),
    ("blocks_8x8", PICTURE_VIDEO),
    ("lossless", PICTURE_AUDIO),
    ("crf", VIDEO),
    ("vbv_maxrate", VIDEO),
    ("vbv_bufsize", VIDEO),
    ("keyint", VIDEO),
    ("preset", VIDEO),
    ("search_range", VIDEO),
    ("no_scene_cut", VIDEO),
    ("lookahead", VIDEO),
    ("lambda_scale", VIDEO),
    ("inter_rounding", VIDEO),
    ("key_qp_offset", VIDEO),
    ("flat_qp", VIDEO),
    ("refs", VIDEO),
    ("bframes", VIDEO),
    ("b_qp_offset", VIDEO),
    ("no_halves", VIDEO),
    ("newest_refs", VIDEO),
    ("mb_qp_strength", VIDEO),
    ("segment", AUDIO_VIDEO),
    ("tune", PICTURE_AUDIO),
    ("input_format", AUDIO),
    ("rate", AUDIO),
    ("channels", AUDIO),
    ("frame", AUDIO),
    ("masking", AUDIO),
    ("no_block_switching", AUDIO),
    ("transient_threshold", AUDIO),
    ("demand", AUDIO),
    ("target_psnr", ALL),
    ("target_ssim", PICTURE_VIDEO),
];

/// Every option of `quanta decode` and the kinds of stream it applies to.
pub const DECODE_OPTIONS: &[(&str, &[Kind])] = &[
    ("input", ALL),
    ("output", ALL),
    ("threads", ALL),
    ("format", PICTURE_AUDIO),
    ("bits", AUDIO),
];

/// A usage error (exit status 2) when an option given on the command line does not apply
/// to `kind`; `table` is [`ENCODE_OPTIONS`] or [`DECODE_OPTIONS`].
pub fn check(matches: &ArgMatches, table: &[(&str, &[Kind])], kind: Kind) {
    if let Some(message) = misapplied(matches, table, kind) {
        clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, message + "\n").exit();
    }
}

/// The message of the first option given for a kind it does not apply to.
fn misapplied(matches: &ArgMatches, table: &[(&str, &[Kind])], kind: Kind) -> Option<String> {
    for id in matches.ids() {
        let id = id.as_str();
        if matches.value_source(id) != Some(ValueSource::CommandLine) {
            continue;
        }
        let Some((_, kinds)) = table.iter().find(|(name, _)| *name == id) else {
            continue;
        };
        if !kinds.contains(&kind) {
            let applies: Vec<&str> = kinds.iter().map(|k| k.noun()).collect();
            return Some(format!(
                "--{} does not apply to {} (it applies to {})",
                id.replace('_', "-"),
                kind.noun(),
                applies.join(" and ")
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Args, Command};

    fn matches(words: &[&str]) -> ArgMatches {
        let command = crate::encode::EncodeArgs::augment_args(Command::new("encode"));
        command.try_get_matches_from(words).unwrap()
    }

    #[test]
    fn every_option_has_its_kinds() {
        let encode = crate::encode::EncodeArgs::augment_args(Command::new("encode"));
        let decode = crate::decode::DecodeArgs::augment_args(Command::new("decode"));
        for (command, table) in [(encode, ENCODE_OPTIONS), (decode, DECODE_OPTIONS)] {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                assert!(
                    table.iter().any(|(name, _)| *name == id),
                    "--{id} of {} has no entry",
                    command.get_name()
                );
            }
        }
    }

    #[test]
    fn misapplied_options_are_named_with_the_kind() {
        let m = matches(&["encode", "a.wav", "-o", "a.qnt", "--tile", "256"]);
        let message = misapplied(&m, ENCODE_OPTIONS, Kind::Audio).unwrap();
        assert_eq!(
            message,
            "--tile does not apply to audio (it applies to pictures)"
        );
        assert_eq!(misapplied(&m, ENCODE_OPTIONS, Kind::Picture), None);
        let m = matches(&["encode", "a.png", "-o", "a.qnt", "--preset", "fast"]);
        let message = misapplied(&m, ENCODE_OPTIONS, Kind::Picture).unwrap();
        assert!(
            message.contains("--preset") && message.contains("pictures"),
            "{message}"
        );
        // Defaults are not "given": a plain encode passes for every kind.
        let m = matches(&[
            "encode",
            "a.y4m",
            "-o",
            "a.qnt",
            "-q",
            "60",
            "--threads",
            "2",
        ]);
        for kind in [Kind::Picture, Kind::Audio, Kind::Video] {
            assert_eq!(misapplied(&m, ENCODE_OPTIONS, kind), None);
        }
        let m = matches(&["encode", "a.y4m", "-o", "a.qnt", "--no-deblock"]);
        assert!(misapplied(&m, ENCODE_OPTIONS, Kind::Audio)
            .unwrap()
            .contains("--no-deblock"));
    }
}
