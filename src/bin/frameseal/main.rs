//! `frameseal`: device keys, signed frame streams and the relay demo from
//! the command line.
//!
//! ```text
//! frameseal keygen camera                               camera.key + camera.pub
//! frameseal sign --key camera.key --out clip.fseal shots/
//! frameseal verify --key camera.pub clip.fseal
//! frameseal inspect clip.fseal                         (or camera.pub: fingerprint, pairing code)
//! frameseal rotate camera.key camera2                   camera2.key/.pub + camera2.rotation.fseal
//! frameseal demo --port 8080
//! ```
//!
//! Native only: on wasm32 this binary is empty (see `main` at the bottom),
//! so `cargo build --target wasm32-unknown-unknown --all-targets` works and
//! none of the CLI's dependencies reach the JS package.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

/// `println!` that shrugs off a closed stdout (`frameseal inspect x | head`,
/// a demo whose terminal went away): what is printed is a courtesy, the
/// exit code is the verdict, and a closed pipe must not end a server.
#[cfg(not(target_arch = "wasm32"))]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod demo;
#[cfg(not(target_arch = "wasm32"))]
mod error;
#[cfg(not(target_arch = "wasm32"))]
mod hex;
#[cfg(not(target_arch = "wasm32"))]
mod inspect;
#[cfg(not(target_arch = "wasm32"))]
mod keyfile;
#[cfg(not(target_arch = "wasm32"))]
mod keygen;
#[cfg(not(target_arch = "wasm32"))]
mod random;
#[cfg(not(target_arch = "wasm32"))]
mod rotate;
#[cfg(not(target_arch = "wasm32"))]
mod sign;
#[cfg(not(target_arch = "wasm32"))]
mod stream;
#[cfg(not(target_arch = "wasm32"))]
mod time;
#[cfg(not(target_arch = "wasm32"))]
mod verify;

#[cfg(not(target_arch = "wasm32"))]
use std::process::ExitCode;

#[cfg(not(target_arch = "wasm32"))]
const HELP: &str = "\
frameseal: sign camera frames and check them against the linked camera's key

usage: frameseal COMMAND [OPTIONS]

commands:
  keygen   create a device key pair: NAME.key (secret, mode 0600) and NAME.pub
  sign     wrap a JPEG, or a directory of JPEGs, into a signed frame stream
  verify   check a frame stream against a public key; non-zero exit on any drop
  inspect  print the headers of a frame stream (no key needed), or a key
           file's fingerprint and pairing code
  rotate   replace a camera's key: new key files and a rotation frame signed by the old key
  demo     serve the relay demo: cameras, a faulty relay and the web page

`frameseal COMMAND --help` shows a command's options.";

#[cfg(not(target_arch = "wasm32"))]
type Command = (
    &'static str,
    &'static args::Spec,
    fn(&args::Args) -> Result<(), error::CliError>,
);

#[cfg(not(target_arch = "wasm32"))]
const COMMANDS: [Command; 6] = [
    ("keygen", &keygen::SPEC, keygen::run),
    ("sign", &sign::SPEC, sign::run),
    ("verify", &verify::SPEC, verify::run),
    ("inspect", &inspect::SPEC, inspect::run),
    ("rotate", &rotate::SPEC, rotate::run),
    ("demo", &demo::SPEC, demo::run),
];

#[cfg(not(target_arch = "wasm32"))]
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

/// The CLI is native only; on wasm32 the binary target is an empty program
/// so that builds of every target for wasm32 (clippy --all-targets) pass.
#[cfg(target_arch = "wasm32")]
fn main() {}
