//! A small argument parser: `--name value`, `--name=value`, switches, and
//! positional arguments, with `--` ending the options. Every mistake (an
//! unknown option, a missing or repeated value, a number that is not one)
//! becomes a [`CliError::Usage`] naming the option.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::str::FromStr;

use crate::error::CliError;

/// The options a command takes.
pub struct Spec {
    /// The command's usage line, shown with every mistake.
    pub usage: &'static str,
    /// Options that take a value (`--port 8080`), without the dashes.
    pub valued: &'static [&'static str],
    /// Options that take none (`--force`), without the dashes.
    pub switches: &'static [&'static str],
}

/// A parsed command line.
#[derive(Debug)]
pub struct Args {
    usage: &'static str,
    values: BTreeMap<&'static str, String>,
    switches: Vec<&'static str>,
    positionals: Vec<String>,
}

impl Spec {
    fn usage_error(&self, message: String) -> CliError {
        CliError::Usage {
            message,
            usage: self.usage,
        }
    }

    /// Parses `argv` (the arguments after the command name).
    pub fn parse(&self, argv: impl IntoIterator<Item = OsString>) -> Result<Args, CliError> {
        let mut args = Args {
            usage: self.usage,
            values: BTreeMap::new(),
            switches: Vec::new(),
            positionals: Vec::new(),
        };
        let mut argv = argv.into_iter();
        let mut options_done = false;
        while let Some(arg) = argv.next() {
            let arg = arg
                .into_string()
                .map_err(|raw| self.usage_error(format!("argument {raw:?} is not valid UTF-8")))?;
            let Some(option) = arg.strip_prefix("--").filter(|_| !options_done) else {
                args.positionals.push(arg);
                continue;
            };
            if option.is_empty() {
                options_done = true;
                continue;
            }
            let (name, inline) = match option.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (option, None),
            };
            if let Some(&name) = self.switches.iter().find(|s| **s == name) {
                if inline.is_some() {
                    return Err(self.usage_error(format!("--{name} takes no value")));
                }
                if args.switches.contains(&name) {
                    return Err(self.usage_error(format!("--{name} is given twice")));
                }
                args.switches.push(name);
            } else if let Some(&name) = self.valued.iter().find(|s| **s == name) {
                let value = match inline {
                    Some(v) => v,
                    None => argv
                        .next()
                        .and_then(|v| v.into_string().ok())
                        .ok_or_else(|| self.usage_error(format!("--{name} needs a value")))?,
                };
                if args.values.insert(name, value).is_some() {
                    return Err(self.usage_error(format!("--{name} is given twice")));
                }
            } else {
                return Err(self.usage_error(format!("unknown option '--{name}'")));
            }
        }
        Ok(args)
    }
}

impl Args {
    /// A usage error for this command.
    pub fn usage_error(&self, message: impl Into<String>) -> CliError {
        CliError::Usage {
            message: message.into(),
            usage: self.usage,
        }
    }

    /// Whether the switch `--name` was given.
    pub fn switch(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }

    /// The value of `--name`, if given.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of `--name` parsed as a `T` (`what` describes it for the
    /// error: "a port number").
    pub fn parsed<T: FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, CliError> {
        self.value(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| self.usage_error(format!("--{name} expects {what}, got '{v}'")))
            })
            .transpose()
    }

    /// Exactly one positional argument (`what` names it for the error).
    pub fn one_positional(&self, what: &str) -> Result<&str, CliError> {
        match self.positionals.as_slice() {
            [one] => Ok(one),
            [] => Err(self.usage_error(format!("missing {what}"))),
            [_, extra, ..] => Err(self.usage_error(format!("unexpected argument '{extra}'"))),
        }
    }

    /// Exactly two positional arguments (`what` names them for the error).
    pub fn two_positionals(&self, what: &str) -> Result<(&str, &str), CliError> {
        match self.positionals.as_slice() {
            [one, two] => Ok((one, two)),
            [_, _, extra, ..] => Err(self.usage_error(format!("unexpected argument '{extra}'"))),
            _ => Err(self.usage_error(format!("missing {what}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = Spec {
        usage: "t [--port N] [--force] FILE",
        valued: &["port", "key"],
        switches: &["force"],
    };

    fn parse(argv: &[&str]) -> Result<Args, CliError> {
        SPEC.parse(argv.iter().map(OsString::from))
    }

    fn message(r: Result<Args, CliError>) -> String {
        match r {
            Err(CliError::Usage { message, .. }) => message,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn values_switches_and_positionals() {
        let a = parse(&["--port", "80", "file", "--force", "--key=k.pub"]).unwrap();
        assert_eq!(a.parsed::<u16>("port", "a port").unwrap(), Some(80));
        assert_eq!(a.value("key"), Some("k.pub"));
        assert!(a.switch("force"));
        assert_eq!(a.one_positional("a file").unwrap(), "file");
    }

    #[test]
    fn double_dash_ends_the_options() {
        let a = parse(&["--", "--force"]).unwrap();
        assert!(!a.switch("force"));
        assert_eq!(a.one_positional("a file").unwrap(), "--force");
    }

    #[test]
    fn mistakes_name_the_option() {
        assert_eq!(message(parse(&["--nope"])), "unknown option '--nope'");
        assert_eq!(message(parse(&["--port"])), "--port needs a value");
        assert_eq!(
            message(parse(&["--port", "1", "--port=2"])),
            "--port is given twice"
        );
        assert_eq!(message(parse(&["--force=yes"])), "--force takes no value");
        let a = parse(&["--port", "http"]).unwrap();
        match a.parsed::<u16>("port", "a port number") {
            Err(CliError::Usage { message, .. }) => {
                assert_eq!(message, "--port expects a port number, got 'http'")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn positional_counts_are_checked() {
        let none = parse(&[]).unwrap();
        let two = parse(&["a", "b"]).unwrap();
        for (args, expected) in [(&none, "missing a file"), (&two, "unexpected argument 'b'")] {
            match args.one_positional("a file") {
                Err(CliError::Usage { message, .. }) => assert_eq!(message, expected),
                other => panic!("{other:?}"),
            }
        }
    }
}
