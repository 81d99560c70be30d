//! YAML written by `accord import`: scalars that read back as exactly the live value, keys of
//! any length, comments a live name cannot break out of.

use serde_json::Value;

use crate::escape::{escape_line, is_control};

/// A string as a YAML scalar in flow context (inside `{ }` or `[ ]`): plain when it surely
/// reads back as the same string, else double-quoted.
pub fn scalar(s: &str) -> String {
    quoted_unless_plain(s, "")
}

/// A string as a YAML scalar in block context (a mapping value on its own line), where plain
/// text may also hold spaces and a few punctuation marks: descriptions stay readable.
pub fn block_scalar(s: &str) -> String {
    quoted_unless_plain(s, " ,'()!?&*%;=")
}

fn quoted_unless_plain(s: &str, extra: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "nan", "inf", "-inf",
        "+inf", ".nan", ".inf", "-.inf", "+.inf",
    ];
    let lower = s.to_ascii_lowercase();
    let plain = s.chars().next().is_some_and(|c| {
        c.is_ascii_alphanumeric() || c == '_' || c == '/' || c == '.'
    }) && s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_./@+-:".contains(c) || extra.contains(c))
        && !s.ends_with([':', ' '])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains("::")
        && !KEYWORDS.contains(&lower.as_str())
        // Numbers, dates and sexagesimals in any YAML version.
        && !s.chars().all(|c| c.is_ascii_digit() || "+-._:".contains(c))
        && s.parse::<f64>().is_err()
        && !["0x", "0o", "0b"].iter().any(|p| lower.starts_with(p));
    if plain {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

/// A double-quoted YAML scalar holding exactly `s`. Characters YAML does not allow in a file
/// (C0 and C1 controls, DEL) and those that would mislead a reader of the file (bidi
/// controls, line and paragraph separators, a byte-order mark) are written as escapes.
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if is_control(c)
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The longest key YAML allows before `:` on one line (an implicit key), in characters.
const IMPLICIT_KEY_MAX: usize = 1024;

/// A mapping key at `indent`, ready for its value: `name:` on one line, or, when the key is
/// too long to be implicit, the explicit `? name` with `:` on the next line. The value (`: x`
/// or lines more indented) follows what this returns.
pub fn key(indent: &str, k: &str) -> String {
    let written = scalar(k);
    // The margin covers the `: ` YAML counts with the key.
    if written.chars().count() + 2 <= IMPLICIT_KEY_MAX {
        format!("{indent}{written}:")
    } else {
        format!("{indent}? {written}\n{indent}:")
    }
}

/// Text for a YAML comment: on one line, its control characters escaped, so a live name
/// can neither end the comment nor hide in it.
pub fn comment(s: &str) -> std::borrow::Cow<'_, str> {
    escape_line(s)
}

/// A policy field's value as YAML.
pub fn value(v: &Value) -> String {
    match v {
        Value::String(s) => scalar(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn scalars_read_back_as_the_same_string() {
        for s in [
            "alice",
            "alice@uchicago.edu",
            "/disthome/alice/",
            "2026-12-31T00:00:00Z",
            "8b7d57bc-1666-11ec-88b2-f50515619d57",
            "true",
            "No",
            "null",
            "~",
            "2024",
            "1e10",
            "0x1F",
            "1:20",
            "2026-06-30",
            "",
            "Lab's data: everything",
            "a, b",
            "#hash",
            "[x]",
            "{y}",
            "- dash",
            "tab\there",
            "line\nbreak",
            "ünïcode",
            "key: value",
            ".inf",
            "Lab members",
            "Read access, for (almost) everyone!",
            "trailing ",
            " leading",
            "two  spaces",
            "a # not a comment",
            "&anchor",
            "*alias",
            "? key",
            "!tag",
            "%directive",
            "esc\x1b[2J del\x7f c1\u{9b} nel\u{85} bidi\u{202e} sep\u{2028} bom\u{feff}",
            "quote \" backslash \\ cr\r",
            "x\nsafety: { max_deletes: 0 }",
            "日本語 ünïcödé ✓",
        ] {
            let yaml = format!(
                "k: {}\nl: [{}]\nb: {}\n",
                scalar(s),
                scalar(s),
                block_scalar(s)
            );
            let back: BTreeMap<String, Value> =
                serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
            assert_eq!(back["k"], Value::from(s), "{yaml}");
            assert_eq!(back["l"], Value::from(vec![s]), "{yaml}");
            assert_eq!(back["b"], Value::from(s), "{yaml}");
        }
        assert_eq!(scalar("alice"), "alice");
        assert_eq!(scalar("2026-12-31T00:00:00Z"), "2026-12-31T00:00:00Z");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(block_scalar("Lab members"), "Lab members");
        assert_eq!(scalar("Lab members"), "\"Lab members\"");
        assert_eq!(scalar("a\x1b\u{202e}"), "\"a\\u001B\\u202E\"");
    }

    #[test]
    fn keys_of_any_length_read_back() {
        for k in [
            "g".repeat(2000),
            format!("{}\n#: x", "é".repeat(1500)),
            "short".into(),
        ] {
            let yaml = format!("{} 1\n{}\n  a: 2\n", key("", &k), key("", "other"));
            let back: BTreeMap<String, Value> =
                serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
            assert_eq!(back[&k], Value::from(1), "{yaml}");
        }
        assert_eq!(key("  ", "lab"), "  lab:");
        assert!(key("  ", &"g".repeat(2000)).starts_with("  ? ggg"));
    }

    #[test]
    fn comments_stay_on_their_line() {
        assert_eq!(comment("a\nsafety: {}\x1b"), "a\\u{a}safety: {}\\u{1b}");
    }
}
