//! Control characters in text meant for people, written visibly.
//!
//! Names, paths and labels come from policy files, file names and the live services, so any
//! of them may hold a terminal escape sequence (clear the screen, retitle the window), a
//! carriage return that overwrites a line, or a bidi override that makes text read backwards.
//! Every text rendering (terminal text, markdown, diagnostics, logs, the action provider's
//! display text) passes what it did not write itself through [`escape_text`] or
//! [`escape_line`], so such a character shows as `\u{1b}` instead of acting. JSON is left to
//! serde, which keeps values as they are.
//!
//! Escaped: C0 controls (U+0000–U+001F) but tab and newline, DEL (U+007F), C1 controls
//! (U+0080–U+009F), and the bidi embeddings, overrides and isolates (U+202A–U+202E,
//! U+2066–U+2069). Each is written `\u{HEX}`, lower-case hex without padding, as Rust writes
//! it. A backslash is not escaped: the form is for reading, not for parsing back.

use std::borrow::Cow;
use std::fmt;

/// Whether `c` acts on a terminal or on the reading order, rather than showing: always
/// escaped, whatever the context.
pub fn is_control(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{b}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// Text that may span lines (a message, a snippet of a file): every control character but
/// tab and newline written as `\u{HEX}`. A carriage return is kept only as part of a CRLF line
/// end, where it moves nothing.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape(s, true, |_| {})
}

/// Text that must stay on one line (a label, a name, a table cell): as [`escape_text`], and
/// every newline too, so a name cannot forge a line of its own.
pub fn escape_line(s: &str) -> Cow<'_, str> {
    escape(s, false, |_| {})
}

/// One character [`escape_text_mapped`] escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escape {
    /// Its byte offset in the original text.
    pub offset: usize,
    /// Its length in bytes in the original text.
    pub len: usize,
    /// The length in bytes of what replaced it.
    pub written: usize,
}

/// [`escape_text`], with every escape it made, in order: for text whose byte offsets are
/// pointed into (a snippet with labelled spans).
pub fn escape_text_mapped(s: &str) -> (Cow<'_, str>, Vec<Escape>) {
    let mut escapes = Vec::new();
    let out = escape(s, true, |e| escapes.push(e));
    (out, escapes)
}

/// The one escaping loop; `lines` keeps newlines (and the CR of a CRLF).
fn escape(s: &str, lines: bool, mut on_escape: impl FnMut(Escape)) -> Cow<'_, str> {
    let escaped = |c: char, next: Option<char>| {
        if c == '\n' {
            !lines
        } else if c == '\r' && lines && next == Some('\n') {
            false
        } else {
            is_control(c)
        }
    };
    let mut chars = s.char_indices().peekable();
    let mut out: Option<String> = None;
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|(_, n)| *n);
        if escaped(c, next) {
            let out = out.get_or_insert_with(|| {
                let mut o = String::with_capacity(s.len() + 8);
                o.push_str(&s[..i]);
                o
            });
            let form = format!("\\u{{{:x}}}", c as u32);
            on_escape(Escape {
                offset: i,
                len: c.len_utf8(),
                written: form.len(),
            });
            out.push_str(&form);
        } else if let Some(out) = out.as_mut() {
            out.push(c);
        }
    }
    match out {
        Some(o) => Cow::Owned(o),
        None => Cow::Borrowed(s),
    }
}

/// Displays a value with its control characters escaped as [`escape_text`] does: for messages
/// built from errors, at the edge where they are printed.
pub struct Escaped<T>(pub T);

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape_text(&self.0.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_written_visibly_and_layout_is_kept() {
        assert_eq!(escape_text("a\x1b]0;pwned\x07b"), "a\\u{1b}]0;pwned\\u{7}b");
        assert_eq!(
            escape_text("over\rwrite\nnext\tcol"),
            "over\\u{d}write\nnext\tcol"
        );
        assert_eq!(escape_text("del\x7f c1\u{9b}"), "del\\u{7f} c1\\u{9b}");
        assert_eq!(
            escape_text("\u{202e}gpj.exe\u{2066}x\u{2069}"),
            "\\u{202e}gpj.exe\\u{2066}x\\u{2069}"
        );
        assert_eq!(escape_text("\0"), "\\u{0}");
    }

    #[test]
    fn a_line_escapes_its_newlines_too() {
        assert_eq!(escape_line("a\nsafety: {}"), "a\\u{a}safety: {}");
        assert_eq!(escape_line("tab\tkept"), "tab\tkept");
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in [
            "",
            "lab-members",
            "ünïcode → ✓ …",
            "/disthome/alice/",
            "\\u{1b}",
        ] {
            assert!(matches!(escape_line(s), Cow::Borrowed(b) if b == s), "{s}");
        }
        // Characters next to the escaped ranges show as they are.
        let near = "\u{a0}\u{2029}\u{202f}\u{2065}\u{206a}";
        assert_eq!(escape_text(near), near);
    }

    #[test]
    fn a_crlf_line_end_is_kept_but_a_lone_carriage_return_is_not() {
        assert_eq!(escape_text("a\r\nb\rc"), "a\r\nb\\u{d}c");
        assert_eq!(escape_line("a\r\nb"), "a\\u{d}\\u{a}b");
    }

    #[test]
    fn mapped_escapes_give_offsets_and_lengths() {
        let (out, escapes) = escape_text_mapped("é\x1bx\u{202e}");
        assert_eq!(out, "é\\u{1b}x\\u{202e}");
        assert_eq!(
            escapes,
            [
                Escape {
                    offset: 2,
                    len: 1,
                    written: 6
                },
                Escape {
                    offset: 4,
                    len: 3,
                    written: 8
                },
            ]
        );
    }

    #[test]
    fn escaping_twice_changes_nothing_more() {
        let once = escape_line("\x1b[2J\n\u{85}").into_owned();
        assert_eq!(escape_line(&once), once);
    }

    #[test]
    fn escaped_displays_escape() {
        assert_eq!(Escaped(format_args!("x{}", '\x1b')).to_string(), "x\\u{1b}");
    }
}

/// Text with control characters escaped as `\u{…}` (on one line), then each character
/// `replace` maps replaced: the one loop every markup escaping (HTML, markdown, graphs) shares.
pub fn escape_markup(s: &str, replace: impl Fn(char) -> Option<&'static str>) -> String {
    let line = escape_line(s);
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match replace(c) {
            Some(r) => out.push_str(r),
            None => out.push(c),
        }
    }
    out
}

/// The entities of the three characters every HTML-like markup must escape.
fn html_entity(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        _ => None,
    }
}

/// Text made safe for HTML text and attribute values (the access review's page): control
/// characters escaped as `\u{…}`, and `& < > " '` as entities.
pub fn html_text(s: &str) -> String {
    escape_markup(s, |c| match c {
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        c => html_entity(c),
    })
}

// The one markdown escaping of accord's renderings (the plan comment, drift, the access
// review and graphs): data from policy files and live services never becomes markup.

/// Text made safe for a table cell or a line of markdown: control characters escaped as
/// `\u{…}` (so nothing breaks a line), HTML characters as entities (so `</details>` or a tag
/// stays text), and `|` and markdown punctuation behind a backslash (so nothing becomes a
/// column, a link or emphasis).
pub fn markdown_text(s: &str) -> String {
    escape_markup(s, |c| match c {
        '|' => Some("\\|"),
        '\\' => Some("\\\\"),
        '`' => Some("\\`"),
        '*' => Some("\\*"),
        '_' => Some("\\_"),
        '[' => Some("\\["),
        ']' => Some("\\]"),
        '#' => Some("\\#"),
        '~' => Some("\\~"),
        '!' => Some("\\!"),
        c => html_entity(c),
    })
}

/// An inline code span that survives backticks in its content and `|` inside a table, on one
/// line, with control characters escaped.
pub fn markdown_code(s: &str) -> String {
    let s = escape_line(s);
    let longest = longest_backtick_run(&s);
    let ticks = "`".repeat(longest + 1);
    let pad = if longest > 0 { " " } else { "" };
    format!("{ticks}{pad}{}{pad}{ticks}", s.replace('|', "\\|"))
}

/// The longest run of backticks in `s`.
fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod markdown_tests {
    use super::*;

    #[test]
    fn code_spans_survive_pipes_and_backticks() {
        assert_eq!(markdown_code("a|b"), "`a\\|b`");
        assert_eq!(markdown_code("a`b"), "`` a`b ``");
        assert_eq!(markdown_code("</details>"), "`</details>`");
    }

    #[test]
    fn text_escapes_pipes_html_markdown_and_line_breaks() {
        assert_eq!(markdown_text("a_b *c*"), "a\\_b \\*c\\*");
        assert_eq!(markdown_text("a|b"), "a\\|b");
        assert_eq!(markdown_text("</details>"), "&lt;/details&gt;");
        assert_eq!(markdown_text("a\nb"), "a\\\\u{a}b");
        assert_eq!(markdown_text("&amp;"), "&amp;amp;");
    }
}
