//! A tiny `--flag value` / `--flag=value` reader shared by both binaries.
//!
//! Two binaries with a handful of flags each do not justify a CLI framework's compile time.

/// One flag as it appeared on the command line.
pub struct Flag {
    pub name: String,
    inline: Option<String>,
}

/// Walks the arguments flag by flag; values are pulled on demand so boolean flags need none.
pub struct ArgReader<I: Iterator<Item = String>> {
    args: I,
}

impl<I: Iterator<Item = String>> ArgReader<I> {
    pub fn new(args: I) -> Self {
        Self { args }
    }

    /// The next flag, or an error for a stray positional argument.
    pub fn next_flag(&mut self) -> Option<Result<Flag, String>> {
        let arg = self.args.next()?;
        let Some(body) = arg.strip_prefix("--") else {
            return Some(Err(format!("unexpected argument `{arg}`")));
        };
        Some(Ok(match body.split_once('=') {
            Some((name, value)) => Flag {
                name: name.to_string(),
                inline: Some(value.to_string()),
            },
            None => Flag {
                name: body.to_string(),
                inline: None,
            },
        }))
    }

    /// The value of `flag`, inline or as the next argument.
    pub fn value(&mut self, flag: &mut Flag) -> Result<String, String> {
        if let Some(v) = flag.inline.take() {
            return Ok(v);
        }
        self.args
            .next()
            .ok_or_else(|| format!("--{} needs a value", flag.name))
    }

    /// The value of `flag`, parsed.
    pub fn parsed<T: std::str::FromStr>(&mut self, flag: &mut Flag) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        let raw = self.value(flag)?;
        raw.parse()
            .map_err(|e| format!("--{}: invalid value `{raw}`: {e}", flag.name))
    }

    /// Rejects a value given to a boolean flag (`--x=1`), which would otherwise be ignored.
    pub fn switch(&mut self, flag: &Flag) -> Result<(), String> {
        match &flag.inline {
            Some(_) => Err(format!("--{} takes no value", flag.name)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(args: &[&str]) -> ArgReader<std::vec::IntoIter<String>> {
        ArgReader::new(
            args.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .into_iter(),
        )
    }

    #[test]
    fn reads_separate_and_inline_values() {
        let mut r = reader(&["--port", "0", "--table-name=t", "--exit-on-stdin-eof"]);
        let mut f = r.next_flag().unwrap().unwrap();
        assert_eq!(f.name, "port");
        assert_eq!(r.parsed::<u16>(&mut f).unwrap(), 0);
        let mut f = r.next_flag().unwrap().unwrap();
        assert_eq!(r.value(&mut f).unwrap(), "t");
        let f = r.next_flag().unwrap().unwrap();
        assert!(r.switch(&f).is_ok());
        assert!(r.next_flag().is_none());
    }

    #[test]
    fn rejects_positionals_and_missing_values() {
        let mut r = reader(&["stray"]);
        assert!(r.next_flag().unwrap().is_err());
        let mut r = reader(&["--port"]);
        let mut f = r.next_flag().unwrap().unwrap();
        assert!(r.value(&mut f).is_err());
    }
}
