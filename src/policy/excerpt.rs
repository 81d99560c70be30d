//! The parts of a file a diagnostic's snippet shows, and the escaped copy a snippet is
//! rendered from, so a control character in a policy file shows instead of acting.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::origin::Origin;
use crate::escape::{escape_line, escape_text_mapped};

/// Lines kept before and after each place of a diagnostic (miette shows one).
const EXCERPT_LINES: usize = 3;

/// The most bytes kept on either side of a place, and of the place itself: a snippet of a
/// huge one-line file stays small.
pub(super) const EXCERPT_BYTES: usize = 2048;

/// The parts of a file a diagnostic's snippet shows: a few lines around each of its places.
///
/// A diagnostic never holds (or scans) the whole file, which may be 16 MiB and have a
/// diagnostic on each of its lines: holding a copy each would exhaust memory.
#[derive(Debug, Clone)]
pub struct Excerpt {
    /// The file's path, as snippets name it.
    name: String,
    /// Disjoint windows, by offset.
    windows: Vec<Window>,
}

/// One contiguous part of a file.
#[derive(Debug, Clone)]
struct Window {
    /// Byte offset of `text` in the file.
    start: usize,
    /// 0-based line of `text`'s first byte.
    line: usize,
    /// 0-based byte column of `text`'s first byte (0 but in a line too long to keep whole).
    column: usize,
    /// The text.
    text: String,
    /// In an escaped copy, where each escape starts in `text` and how many bytes longer it is
    /// than the character it replaces (to give columns of the original); else empty.
    escapes: Vec<(usize, usize)>,
}

impl Window {
    fn end(&self) -> usize {
        self.start + self.text.len()
    }
}

impl Excerpt {
    /// The lines of `text` around `origin`.
    pub(super) fn new(name: String, text: &str, origin: &Origin) -> Excerpt {
        let mut e = Excerpt {
            name,
            windows: Vec::new(),
        };
        e.add(text, origin);
        e
    }

    /// Adds the lines of `text` around `origin`, merging windows that touch.
    pub(super) fn add(&mut self, text: &str, origin: &Origin) {
        let offset = char_floor(text, origin.offset.min(text.len()));
        let lo = char_floor(text, offset.saturating_sub(EXCERPT_BYTES));
        let start = match text[lo..offset].rmatch_indices('\n').nth(EXCERPT_LINES) {
            Some((i, _)) => lo + i + 1,
            None => lo,
        };
        let place_end = char_floor(
            text,
            offset + origin.len.min(EXCERPT_BYTES).min(text.len() - offset),
        );
        let hi = char_floor(text, (place_end + EXCERPT_BYTES).min(text.len()));
        let end = match text[place_end..hi].match_indices('\n').nth(EXCERPT_LINES) {
            Some((i, _)) => place_end + i + 1,
            None => hi,
        };
        let before = &text[start..offset];
        let newlines = before.matches('\n').count();
        let line = (origin.line as usize)
            .saturating_sub(1)
            .saturating_sub(newlines);
        let column = if start == 0 || text.as_bytes()[start - 1] == b'\n' {
            0
        } else {
            // A window cut inside a long line: its column, from the place's own.
            (origin.column as usize)
                .saturating_sub(1)
                .saturating_sub(before.len())
        };
        let (mut start, mut end, mut line, mut column) = (start, end, line, column);
        // Merge with every window this one touches.
        self.windows.retain(|w| {
            let touches = w.start <= end && start <= w.end();
            if touches {
                if w.start < start {
                    (start, line, column) = (w.start, w.line, w.column);
                }
                end = end.max(w.end());
            }
            !touches
        });
        let at = self.windows.partition_point(|w| w.start < start);
        self.windows.insert(
            at,
            Window {
                start,
                line,
                column,
                text: text[start..end].to_string(),
                escapes: Vec::new(),
            },
        );
    }
}

impl Excerpt {
    /// The copy a snippet is rendered from: control characters escaped, as
    /// [`crate::escape::escape_text`] does, with the map from this excerpt's offsets to the
    /// copy's, for the spans labelled in it.
    pub(super) fn escaped(&self) -> (Excerpt, OffsetMap) {
        let mut grown = 0;
        let mut windows = Vec::with_capacity(self.windows.len());
        let mut map = Vec::with_capacity(self.windows.len());
        for w in &self.windows {
            let (text, escapes) = escape_text_mapped(&w.text);
            let start = w.start + grown;
            let mut within = 0;
            let mut at = Vec::with_capacity(escapes.len());
            let mut after = Vec::with_capacity(escapes.len());
            for e in &escapes {
                let more = e.written - e.len;
                at.push((e.offset + within, more));
                within += more;
                after.push((e.offset + e.len, within));
            }
            map.push(MappedWindow {
                start: w.start,
                end: w.end(),
                to: start,
                after,
            });
            windows.push(Window {
                start,
                line: w.line,
                column: w.column,
                text: text.into_owned(),
                escapes: at,
            });
            grown += within;
        }
        let copy = Excerpt {
            name: escape_line(&self.name).into_owned(),
            windows,
        };
        (copy, OffsetMap(map))
    }

    /// How many bytes of the file it keeps.
    #[cfg(test)]
    pub(super) fn kept_bytes(&self) -> usize {
        self.windows.iter().map(|w| w.text.len()).sum()
    }
}

/// Where each offset of an excerpt is in its escaped copy.
#[derive(Debug, Clone)]
pub(super) struct OffsetMap(Vec<MappedWindow>);

/// One window of an excerpt and where it went in the copy.
#[derive(Debug, Clone)]
struct MappedWindow {
    /// Its offsets in the file.
    start: usize,
    end: usize,
    /// Its offset in the copy.
    to: usize,
    /// After each escaped character (its end, relative to `start`), how many bytes the window
    /// has grown so far.
    after: Vec<(usize, usize)>,
}

impl OffsetMap {
    /// The offset in the copy of offset `at` of the excerpt.
    fn offset(&self, at: usize) -> usize {
        let mut grown = 0;
        for w in &self.0 {
            if at < w.start {
                break;
            }
            let local = at - w.start;
            let more = w
                .after
                .iter()
                .take_while(|(end, _)| *end <= local)
                .last()
                .map_or(0, |(_, more)| *more);
            if at <= w.end {
                return w.to + local + more;
            }
            grown = w.to - w.start + w.after.last().map_or(0, |(_, m)| *m);
        }
        at + grown
    }

    /// The span in the copy of a span of the excerpt.
    pub(super) fn span(&self, span: SourceSpan) -> SourceSpan {
        let start = self.offset(span.offset());
        let end = self.offset(span.offset() + span.len());
        SourceSpan::new(start.into(), end - start)
    }
}

/// The largest char boundary of `text` at or before `i`.
pub(super) fn char_floor(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let (offset, len) = (span.offset(), span.len());
        let w = self
            .windows
            .iter()
            .find(|w| w.start <= offset && offset + len <= w.end())
            .ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new((offset - w.start).into(), len);
        let c = w
            .text
            .as_bytes()
            .read_span(&local, context_lines_before, context_lines_after)?;
        // In an escaped copy, the escapes between the line's start and the span widen the
        // line: the column is the original's.
        let line_start = local.offset().saturating_sub(c.column());
        let widened: usize = w
            .escapes
            .iter()
            .filter(|(at, _)| (line_start..local.offset()).contains(at))
            .map(|(_, more)| more)
            .sum();
        let column = c.column().saturating_sub(widened) + if c.line() == 0 { w.column } else { 0 };
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                c.data(),
                SourceSpan::new((c.span().offset() + w.start).into(), c.span().len()),
                c.line() + w.line,
                column,
                // miette counts lines from the start of what it scanned: the file's start.
                c.line_count() + w.line,
            )
            .with_language("yaml"),
        ))
    }
}
