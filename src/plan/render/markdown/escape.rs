//! The one markdown escaping of accord's renderings (the plan comment, drift, the access
//! review and graphs): data from policy files and live services never becomes markup.

use crate::escape::escape_line;

/// Text made safe for a table cell or a line of markdown: control characters escaped as
/// `\u{…}` (so nothing breaks a line), HTML characters as entities (so `</details>` or a tag
/// stays text), and `|` and markdown punctuation behind a backslash (so nothing becomes a
/// column, a link or emphasis).
pub fn text(s: &str) -> String {
    let line = escape_line(s);
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// An inline code span that survives backticks in its content and `|` inside a table, on one
/// line, with control characters escaped.
pub fn code(s: &str) -> String {
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
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_pipes_and_backticks() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("</details>"), "`</details>`");
    }

    #[test]
    fn text_escapes_pipes_html_markdown_and_line_breaks() {
        assert_eq!(text("a_b *c*"), "a\\_b \\*c\\*");
        assert_eq!(text("a|b"), "a\\|b");
        assert_eq!(text("</details>"), "&lt;/details&gt;");
        assert_eq!(text("a\nb"), "a\\\\u{a}b");
        assert_eq!(text("&amp;"), "&amp;amp;");
    }
}
