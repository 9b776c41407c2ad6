//! `frameseal`: device keys and signed frame streams from the command line.
//!
//! ```text
//! frameseal keygen camera                               camera.key + camera.pub
//! frameseal sign --key camera.key --out clip.fseal shots/
//! frameseal verify --key camera.pub clip.fseal
//! frameseal inspect clip.fseal                         (or camera.pub: fingerprint, pairing code)
//! frameseal rotate camera.key camera2                   camera2.key/.pub + camera2.rotation.fseal
//! frameseal seal --codec h264 --key camera.key in.h264 sealed.h264   (seals inside the video)
//! frameseal verify --codec h264 --key camera.pub sealed.h264
//! frameseal inspect --codec h264 sealed.h264          (every unit's seal, no key needed)
//! frameseal verify --signed-video --trust-ca ca.pem camera.mp4   (Axis / ONVIF signed video)
//! ```
//!
//! The relay demo is a program of its own (`demo/`, `frameseal-demo`).

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

// `say!`: `println!` that shrugs off a closed stdout (`frameseal inspect x
// | head`): what is printed is a courtesy, the exit code is the verdict.
#[macro_use]
extern crate frameseal_native;

mod args;
mod error;
mod inspect;
mod keyfile;
mod keygen;
mod keyline;
mod rotate;
mod seal;
mod sign;
mod signed_video;
mod stream;
mod time;
mod units;
mod verify;

use std::process::ExitCode;

const HELP: &str = "\
frameseal: sign camera frames and check them against the linked camera's key

usage: frameseal COMMAND [OPTIONS]

commands:
  keygen   create a device key pair: NAME.key (secret, mode 0600) and NAME.pub
  sign     wrap a JPEG, or a directory of JPEGs, into a signed frame stream
  verify   check a frame stream against a public key; non-zero exit on any drop;
           with --signed-video, a recording signed by an Axis or ONVIF camera
           (.mp4, .h264, .h265; AV1 .ivf, .obu): a verdict per GOP
  inspect  print the headers of a frame stream (no key needed), or a key
           file's fingerprint and pairing code; with --codec, the seal in
           every unit of a media file
  rotate   replace a camera's key: new key files and a rotation frame signed by the old key
  seal     put a seal inside every unit of a media file (H.264, H.265, AV1 in IVF or OBUs, JPEG)

`frameseal COMMAND --help` shows a command's options.";

type Command = (
    &'static str,
    &'static args::Spec,
    fn(&args::Args) -> Result<(), error::CliError>,
);

const COMMANDS: [Command; 6] = [
    ("keygen", &keygen::SPEC, keygen::run),
    ("sign", &sign::SPEC, sign::run),
    ("verify", &verify::SPEC, verify::run),
    ("inspect", &inspect::SPEC, inspect::run),
    ("rotate", &rotate::SPEC, rotate::run),
    ("seal", &seal::SPEC, seal::run),
];

fn main() -> ExitCode {
    let mut argv = std::env::args_os().skip(1);
    let Some(command) = argv.next() else {
        eprintln!("{HELP}");
        return ExitCode::from(2);
    };
    let command = command.to_string_lossy();
    if matches!(&*command, "help" | "--help" | "-h") {
        say!("{HELP}");
        return ExitCode::SUCCESS;
    }
    if matches!(&*command, "--version" | "-V") {
        say!("frameseal {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let Some((_, spec, run)) = COMMANDS.iter().find(|(name, ..)| *name == command) else {
        eprintln!("error: unknown command '{command}'\n\n{HELP}");
        return ExitCode::from(2);
    };
    let argv: Vec<_> = argv.collect();
    if argv.iter().any(|a| a == "--help" || a == "-h") {
        say!("usage: {}", spec.usage);
        return ExitCode::SUCCESS;
    }
    match spec.parse(argv).and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
