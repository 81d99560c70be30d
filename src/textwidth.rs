//! Display width of text in a terminal's columns (`unicode-width`): a CJK character takes
//! two, a combining mark none, `…` and `→` one, so padded columns line up whatever the names.
//! Every text renderer that pads a column measures with [`width`].

use unicode_width::UnicodeWidthStr;

/// The columns `s` takes on a terminal.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// The spaces that bring `s` to `column` columns (none when it is already as wide).
pub fn pad_to(s: &str, column: usize) -> usize {
    column.saturating_sub(width(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(width("研究室"), 6);
        assert_eq!(width("山田 …→"), 7);
        assert_eq!(width("e\u{301}"), 1, "a combining accent takes none");
        assert_eq!(pad_to("研究室", 8), 2);
        assert_eq!(pad_to("abcdefghij", 8), 0);
    }
}
