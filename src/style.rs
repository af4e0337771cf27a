//! Colour for text on standard output (`--color`): whether a run colours at all, and the three
//! tones the text output uses (`check`'s PASS/WARN/FAIL, `verify`'s ok/CHANGED/…). Renderers
//! take a [`Paint`] and stay plain-text functions; `cmd/` decides, since only it knows where the
//! text goes (a file written with `-o` is never coloured).

use std::io::IsTerminal;

/// What a word says, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Holds (PASS, ok): green.
    Good,
    /// Worth a look, not a failure (WARN, note): yellow.
    Warn,
    /// Fails (FAIL, CHANGED, MISSING…): bold red.
    Bad,
}

/// Whether to colour, decided once per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paint {
    on: bool,
}

impl Paint {
    pub(crate) const PLAIN: Paint = Paint { on: false };
    pub(crate) const COLOUR: Paint = Paint { on: true };

    /// `--color auto` for standard output: colour a terminal, unless NO_COLOR is set to anything
    /// but the empty string (<https://no-color.org>) or the terminal is `dumb`.
    pub(crate) fn auto() -> Paint {
        Paint {
            on: auto_wants_colour(
                std::io::stdout().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
                std::env::var_os("TERM").as_deref(),
            ),
        }
    }

    /// `text` in the tone's colour, or as it is when colour is off. Pad before painting: the
    /// escape codes take no columns but count as characters.
    pub(crate) fn paint(self, tone: Tone, text: &str) -> String {
        if !self.on {
            return text.to_string();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Warn => "33",
            Tone::Bad => "1;31",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

fn auto_wants_colour(
    terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
    term: Option<&std::ffi::OsStr>,
) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty()) && term.is_none_or(|t| t != "dumb")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        assert!(auto_wants_colour(true, None, Some(OsStr::new("xterm"))));
        assert!(auto_wants_colour(true, Some(OsStr::new("")), None));
        assert!(!auto_wants_colour(false, None, None));
        assert!(!auto_wants_colour(true, Some(OsStr::new("1")), None));
        assert!(!auto_wants_colour(true, None, Some(OsStr::new("dumb"))));
    }

    #[test]
    fn plain_paint_leaves_text_alone() {
        assert_eq!(Paint::PLAIN.paint(Tone::Bad, "FAIL"), "FAIL");
        assert_eq!(
            Paint::COLOUR.paint(Tone::Good, "PASS"),
            "\x1b[32mPASS\x1b[0m"
        );
    }
}
