//! Prints the BD-rate (PCHIP) of a test curve against an anchor curve.
//!
//! Usage: `cargo run --release --example bd_rate -- "r1,q1 r2,q2 ..." "r1,q1 r2,q2 ..."`
//! with the anchor first; rates in any unit (kbit/s), qualities in dB.

use quanta::metrics::bd_rate::{bd_rate, BdMethod};

fn parse(arg: &str) -> Vec<(f64, f64)> {
    arg.split_whitespace()
        .filter_map(|p| {
            let (r, q) = p.split_once(',')?;
            Some((r.parse().ok()?, q.parse().ok()?))
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: bd_rate \"anchor r,q ...\" \"test r,q ...\"");
        std::process::exit(2);
    }
    match bd_rate(&parse(&args[1]), &parse(&args[2]), BdMethod::Pchip) {
        Ok(v) => println!("{v:.2}"),
        Err(e) => {
            eprintln!("bd_rate: {e}");
            std::process::exit(1);
        }
    }
}
