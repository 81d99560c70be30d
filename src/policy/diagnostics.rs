//! Policy diagnostics: one error at a policy location, rendered as `path:line:col: message`
//! in plain text and as a miette snippet with labels, help and a stable code.

use std::fmt;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, LabeledSpan, Severity, SourceCode, SourceSpan};
use serde_saphyr::{Location, MessageFormatter, UserMessageFormatter};

use super::excerpt::{EXCERPT_BYTES, Excerpt, char_floor};
use super::origin::{Origin, SourceFile};
use crate::escape::{escape_line, escape_text};

/// One error (or a note attached to one) at a place in a workspace file.
#[derive(Debug, Clone, thiserror::Error)]
pub struct PolicyDiagnostic {
    /// Stable code, e.g. `accord::policy::unknown_alias`.
    pub code: String,
    /// The message, without location.
    pub message: String,
    /// The file, relative to the workspace root (or as given, for files outside it).
    pub path: PathBuf,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The lines around each place, for the snippet (absent when the file could not be read).
    pub src: Option<Excerpt>,
    /// The primary span.
    pub span: Option<SourceSpan>,
    /// Text under the primary span.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// More labelled places in the same file, as `(path:line:col, span, label)`.
    pub secondary: Vec<(String, SourceSpan, String)>,
    /// Notes at places in other files (e.g. "first defined here").
    pub related: Vec<PolicyDiagnostic>,
    /// `Error` for diagnostics, `Advice` for notes.
    pub severity: Severity,
}

/// Codes, so that call sites and tests agree on the spelling.
pub mod codes {
    /// serde-saphyr syntax errors (malformed YAML, tabs, bad indentation).
    pub const SYNTAX: &str = "accord::policy::syntax";
    /// A field the format does not have.
    pub const UNKNOWN_FIELD: &str = "accord::policy::unknown_field";
    /// A value of the wrong YAML type.
    pub const WRONG_TYPE: &str = "accord::policy::wrong_type";
    /// A mapping key written twice in one mapping.
    pub const DUPLICATE_KEY: &str = "accord::policy::duplicate_key";
    /// A required field is missing.
    pub const MISSING_FIELD: &str = "accord::policy::missing_field";
    /// A file could not be read.
    pub const IO: &str = "accord::policy::io";
    /// A path the globs select that is never read: a symlink out of the workspace or to
    /// nothing, a FIFO, a socket, a device.
    pub const REFUSED_FILE: &str = "accord::policy::refused_file";
    /// No `accord.yaml`.
    pub const NO_WORKSPACE: &str = "accord::policy::no_workspace";
    /// A bad glob, or one that matches nothing.
    pub const GLOB: &str = "accord::policy::glob";
    /// A leaf written in two places.
    pub const DEFINED_TWICE: &str = "accord::policy::defined_twice";
    /// The same principal twice in one container.
    pub const SAME_PRINCIPAL: &str = "accord::policy::same_principal_twice";
    /// A bare word that is not a declared alias.
    pub const UNKNOWN_ALIAS: &str = "accord::policy::unknown_alias";
    /// `group:NAME` with NAME not declared.
    pub const UNDECLARED_GROUP: &str = "accord::policy::undeclared_group";
    /// A reference to a tombstoned group.
    pub const ABSENT_GROUP: &str = "accord::policy::absent_group_reference";
    /// A principal malformed or not allowed where it is written.
    pub const BAD_PRINCIPAL: &str = "accord::policy::bad_principal";
    /// An invalid alias name or target.
    pub const BAD_ALIAS: &str = "accord::policy::bad_alias";
    /// Not one of the allowed values.
    pub const INVALID_VALUE: &str = "accord::policy::invalid_value";
    /// An invalid group role.
    pub const INVALID_ROLE: &str = "accord::policy::invalid_role";
    /// Invalid Transfer permissions.
    pub const INVALID_PERMISSIONS: &str = "accord::policy::invalid_permissions";
    /// A path that is relative or lacks its trailing slash.
    pub const BAD_PATH: &str = "accord::policy::bad_path";
    /// A timestamp that is not RFC 3339 with a timezone.
    pub const BAD_TIMESTAMP: &str = "accord::policy::bad_timestamp";
    /// A value that must be a UUID and is not.
    pub const BAD_UUID: &str = "accord::policy::bad_uuid";
    /// A group name that is not allowed.
    pub const BAD_GROUP_NAME: &str = "accord::policy::bad_group_name";
    /// A guest collection name that is not allowed.
    pub const BAD_COLLECTION_NAME: &str = "accord::policy::bad_collection_name";
    /// A `{…}` placeholder that is unknown or not allowed where it is written.
    pub const BAD_PLACEHOLDER: &str = "accord::policy::bad_placeholder";
    /// A tombstone that also declares contents.
    pub const ABSENT_WITH_CONTENT: &str = "accord::policy::absent_with_content";
    /// A required setting is missing (after merging files).
    pub const MISSING: &str = "accord::policy::missing";
    /// A bad target in `accord.yaml`.
    pub const BAD_TARGET: &str = "accord::policy::bad_target";
    /// A bad `safety:` setting.
    pub const BAD_SAFETY: &str = "accord::policy::bad_safety";
    /// Over one of the limits of `policy::limits` (file size, nesting, aliases, files, objects).
    pub const LIMIT: &str = "accord::policy::limit";
    /// A generic error reported by a later stage at a policy location.
    pub const ERROR: &str = "accord::policy::error";
}

impl PolicyDiagnostic {
    /// An error with `code` at `origin` in `files`.
    pub fn new(
        code: &str,
        files: &[SourceFile],
        origin: &Origin,
        message: impl Into<String>,
    ) -> Self {
        let file = files.get(origin.file);
        let src = file.map(|f| Excerpt::new(display_path(&f.path), &f.text, origin));
        let span = file.map(|f| SourceSpan::new(origin.offset.into(), clamp_len(&f.text, origin)));
        PolicyDiagnostic {
            code: code.to_string(),
            message: message.into(),
            path: origin.path.to_path_buf(),
            line: origin.line,
            column: origin.column,
            src,
            span,
            label: None,
            help: None,
            secondary: Vec::new(),
            related: Vec::new(),
            severity: Severity::Error,
        }
    }

    /// An error about a whole file (unreadable, missing): no snippet, shown at 1:1.
    pub fn at_file(code: &str, path: &Path, message: impl Into<String>) -> Self {
        PolicyDiagnostic {
            code: code.to_string(),
            message: message.into(),
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            src: None,
            span: None,
            label: None,
            help: None,
            secondary: Vec::new(),
            related: Vec::new(),
            severity: Severity::Error,
        }
    }

    /// Sets the text under the primary span.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the help text when there is one.
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Adds a second place: a label in the same snippet when it is in the same file,
    /// else a note (a related diagnostic) showing the other file.
    pub fn also_at(mut self, files: &[SourceFile], origin: &Origin, label: &str) -> Self {
        let at = format!(
            "{}:{}:{}",
            display_path(&origin.path),
            origin.line,
            origin.column
        );
        let same_file = self.src.is_some()
            && files.get(origin.file).map(|f| &*f.path) == Some(self.path.as_path());
        if let (true, Some(src), Some(f)) = (same_file, self.src.as_mut(), files.get(origin.file)) {
            src.add(&f.text, origin);
            let span = SourceSpan::new(origin.offset.into(), clamp_len(&f.text, origin));
            self.secondary.push((at, span, label.to_string()));
        } else {
            let mut note = PolicyDiagnostic::new(&self.code, files, origin, label.to_string());
            note.label = Some(label.to_string());
            note.severity = Severity::Advice;
            self.related.push(note);
        }
        self
    }

    /// Converts a serde-saphyr error (syntax, type, shape) in file `file` into a diagnostic.
    pub fn from_yaml(files: &[SourceFile], file: usize, err: &serde_saphyr::Error) -> Self {
        let inner = err.without_snippet();
        let raw = UserMessageFormatter.format_message(inner).into_owned();
        let code = yaml_code(&raw);
        let (message, help) = explain_yaml(raw);
        let f = &files[file];
        let origin = match err.location() {
            Some(loc) => origin_of(files, file, &loc),
            None => Origin {
                file,
                path: f.path.clone(),
                line: 1,
                column: 1,
                offset: 0,
                len: 1,
            },
        };
        // `{id}` in a path inside `{ … }` opens a nested flow mapping: the usual cause.
        let line = f.text.lines().nth(origin.line.saturating_sub(1) as usize);
        let help = match line {
            Some(l) if l.contains("{id}") && l.contains("{ ") => Some(
                "inside `{ … }` a path holding `{id}` must be quoted: write `path: \"/disthome/{id}/\"`"
                    .to_string(),
            ),
            _ => help,
        };
        PolicyDiagnostic::new(code, files, &origin, message).with_help_opt(help)
    }

    /// Every `path:line:col` place this diagnostic cites after the primary one.
    fn other_places(&self) -> Vec<String> {
        self.secondary
            .iter()
            .map(|(at, _, _)| at.clone())
            .chain(self.related.iter().map(|r| r.place()))
            .collect()
    }

    /// `path:line:col`.
    pub fn place(&self) -> String {
        format!("{}:{}:{}", display_path(&self.path), self.line, self.column)
    }

    /// The copy rendered for people: control characters in its texts, its path and its
    /// snippet escaped (`crate::escape`), its spans moved to match.
    fn escaped(&self) -> PolicyDiagnostic {
        let (src, map) = match self.src.as_ref().map(Excerpt::escaped) {
            Some((src, map)) => (Some(src), Some(map)),
            None => (None, None),
        };
        let span = |s: SourceSpan| map.as_ref().map_or(s, |m| m.span(s));
        let line = |s: &str| escape_line(s).into_owned();
        PolicyDiagnostic {
            code: self.code.clone(),
            message: escape_text(&self.message).into_owned(),
            path: PathBuf::from(line(&display_path(&self.path))),
            line: self.line,
            column: self.column,
            src,
            span: self.span.map(span),
            label: self.label.as_deref().map(line),
            help: self.help.as_deref().map(|h| escape_text(h).into_owned()),
            secondary: (self.secondary.iter())
                .map(|(at, s, label)| (line(at), span(*s), line(label)))
                .collect(),
            related: self.related.iter().map(PolicyDiagnostic::escaped).collect(),
            severity: self.severity,
        }
    }
}

impl fmt::Display for PolicyDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place(), self.message)?;
        let others = self.other_places();
        if !others.is_empty() {
            write!(f, " (see also {})", others.join(", "))?;
        }
        Ok(())
    }
}

// Hand-written rather than derived: miette's derive only takes a literal code, and ours
// varies per check.
impl Diagnostic for PolicyDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.src.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        let primary = LabeledSpan::new_primary_with_span(self.label.clone(), span);
        let rest = self
            .secondary
            .iter()
            .map(|(_, s, l)| LabeledSpan::new_with_span(Some(l.clone()), *s));
        Some(Box::new(std::iter::once(primary).chain(rest)))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
        }
    }
}

/// Every error found while loading a workspace, in file and position order.
#[derive(Debug, Clone, Default, thiserror::Error)]
pub struct Diagnostics(pub Vec<PolicyDiagnostic>);

impl Diagnostics {
    /// Whether there is no error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds one error.
    pub fn push(&mut self, d: PolicyDiagnostic) {
        self.0.push(d);
    }

    /// Sorts by file, position and message so that output is deterministic.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (&a.path, a.line, a.column, &a.message).cmp(&(&b.path, b.line, b.column, &b.message))
        });
    }

    /// Renders every diagnostic with `handler`, then a count: what `accord validate` prints.
    /// Control characters from the files show escaped, never act on the terminal.
    pub fn render(&self, handler: &miette::GraphicalReportHandler) -> String {
        let mut out = String::new();
        for d in &self.0 {
            // Writing into a String cannot fail.
            let _ = handler.render_report(&mut out, &d.escaped());
            out.push('\n');
        }
        let n = self.0.len();
        out.push_str(&format!(
            "{n} error{} in the workspace\n",
            if n == 1 { "" } else { "s" }
        ));
        out
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl Diagnostic for Diagnostics {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("accord::policy"))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.0.iter().map(|d| d as &dyn Diagnostic)))
    }
}

impl From<PolicyDiagnostic> for Diagnostics {
    fn from(d: PolicyDiagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// An error at a policy origin, for later stages (e.g. "unknown username" found by
/// principal resolution).
pub fn error_at(
    ws_files: &[SourceFile],
    origin: &Origin,
    message: impl Into<String>,
    help: Option<String>,
) -> PolicyDiagnostic {
    PolicyDiagnostic::new(codes::ERROR, ws_files, origin, message).with_help_opt(help)
}

/// The origin of a serde-saphyr location in file `file`.
pub fn origin_of(files: &[SourceFile], file: usize, loc: &Location) -> Origin {
    let f = &files[file];
    let line = u32::try_from(loc.line()).unwrap_or(u32::MAX).max(1);
    let column = u32::try_from(loc.column()).unwrap_or(u32::MAX).max(1);
    let span = loc.span();
    // Byte offsets exist for string input, which is all we parse; fall back to
    // counting lines and columns should a location lack them.
    let offset = span
        .byte_offset()
        .map(|o| o as usize)
        .unwrap_or_else(|| offset_of(&f.text, line, column))
        .min(f.text.len());
    let len = span
        .byte_len()
        .map(|l| l as usize)
        .filter(|l| *l > 0)
        .unwrap_or_else(|| token_len(&f.text, offset));
    Origin {
        file,
        path: f.path.clone(),
        line,
        column,
        offset,
        len,
    }
}

/// The byte offset of a 1-based line and (char) column.
fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            return offset
                + l.char_indices()
                    .nth(column as usize - 1)
                    .map_or(l.len(), |(b, _)| b);
        }
        offset += l.len();
    }
    text.len()
}

/// The length of the token starting at `offset`: up to the end of the line, or of the
/// key when the text there is `key:`; at least 1 so the snippet shows a caret.
fn token_len(text: &str, offset: usize) -> usize {
    // Never more than an excerpt holds: a line may be megabytes long.
    let start = char_floor(text, offset);
    let rest = &text[start..char_floor(text, start.saturating_add(EXCERPT_BYTES))];
    let line = rest.split('\n').next().unwrap_or("");
    let line = line.trim_end();
    let end = line
        .find(": ")
        .or_else(|| line.strip_suffix(':').map(str::len))
        .unwrap_or(line.len());
    end.max(1)
}

/// Keeps a span inside its source so miette never panics on a bad offset, and inside the
/// excerpt kept of it.
fn clamp_len(text: &str, origin: &Origin) -> usize {
    let total = text.len();
    if origin.offset >= total {
        0
    } else {
        origin.len.min(total - origin.offset).min(EXCERPT_BYTES)
    }
}

/// Paths always print with `/`, whatever the platform, so snapshots are portable.
pub fn display_path(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// Rewords the parser's terser messages for people writing policy, and adds a hint.
fn explain_yaml(message: String) -> (String, Option<String>) {
    let schema_hint =
        "`accord schema` writes the JSON Schema, which lists every field and its type";
    match message.as_str() {
        "expected mapping start" => (
            "expected a mapping (`key: value` entries) here".into(),
            Some(schema_hint.into()),
        ),
        "expected sequence start" => ("expected a list here".into(), Some(schema_hint.into())),
        "invalid boolean" => (
            "expected a boolean (`true` or `false`)".into(),
            Some(schema_hint.into()),
        ),
        m if m.contains("tab") => (
            message.clone(),
            Some("indent with spaces: YAML does not allow tabs in indentation".into()),
        ),
        m if m.starts_with("unknown field") => (
            message.clone(),
            Some("check the spelling; fields are case-sensitive".into()),
        ),
        _ => (message, None),
    }
}

/// Picks a code for a serde-saphyr message.
fn yaml_code(message: &str) -> &'static str {
    if message.contains("unknown field") {
        codes::UNKNOWN_FIELD
    } else if message.contains("duplicate") {
        codes::DUPLICATE_KEY
    } else if message.contains("missing field") {
        codes::MISSING_FIELD
    } else if message.starts_with("invalid ") || message.contains("expected") {
        codes::WRONG_TYPE
    } else {
        codes::SYNTAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::{GraphicalReportHandler, GraphicalTheme};

    fn files(text: &str) -> Vec<SourceFile> {
        vec![SourceFile {
            path: Path::new("p.yaml").into(),
            text: text.to_string(),
        }]
    }

    fn origin(files: &[SourceFile], line: u32, column: u32, len: usize) -> Origin {
        Origin {
            file: 0,
            path: files[0].path.clone(),
            line,
            column,
            offset: offset_of(&files[0].text, line, column),
            len,
        }
    }

    /// How much of the source a diagnostic keeps.
    fn kept_bytes(d: &PolicyDiagnostic) -> usize {
        d.src.as_ref().unwrap().kept_bytes()
    }

    fn render(d: &PolicyDiagnostic) -> String {
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_links(false);
        let mut out = String::new();
        handler.render_report(&mut out, d).unwrap();
        out
    }

    /// A file of `n` lines `key{i}: value{i}`.
    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("key{i}: value{i}\n")).collect()
    }

    #[test]
    fn a_diagnostic_keeps_only_the_lines_around_its_places() {
        let files = files(&numbered(100_000));
        let d = PolicyDiagnostic::new(codes::ERROR, &files, &origin(&files, 50_000, 1, 8), "bad")
            .with_label("here")
            .also_at(&files, &origin(&files, 90_000, 1, 8), "and here");
        let kept = kept_bytes(&d);
        assert!(kept < 400, "{kept} bytes kept");
        let out = render(&d);
        assert!(out.contains("[p.yaml:50000:1]"), "{out}");
        assert!(out.contains("50000 │ key50000: value50000"), "{out}");
        assert!(out.contains("90000 │ key90000: value90000"), "{out}");
        assert!(out.contains("89999 │ key89999"), "{out}");
        assert!(!out.contains("key70000"), "{out}");
    }

    #[test]
    fn nearby_places_render_as_with_the_whole_file() {
        let text = numbered(30);
        let files = files(&text);
        let d = PolicyDiagnostic::new(codes::ERROR, &files, &origin(&files, 10, 1, 5), "bad")
            .with_label("here")
            .also_at(&files, &origin(&files, 14, 1, 5), "and here");
        // What miette renders from the whole text.
        let mut whole = d.clone();
        whole.src = None;
        struct Whole(PolicyDiagnostic, miette::NamedSource<String>);
        impl fmt::Debug for Whole {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
        impl fmt::Display for Whole {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
        impl std::error::Error for Whole {}
        impl Diagnostic for Whole {
            fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
                self.0.code()
            }
            fn source_code(&self) -> Option<&dyn SourceCode> {
                Some(&self.1)
            }
            fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
                self.0.labels()
            }
        }
        let reference = Whole(
            whole,
            miette::NamedSource::new("p.yaml", text.clone()).with_language("yaml"),
        );
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_links(false);
        let mut want = String::new();
        handler.render_report(&mut want, &reference).unwrap();
        assert_eq!(render(&d), want);
    }

    #[test]
    fn a_huge_line_is_cut_around_the_place() {
        let line = format!("groups: {{ {} }}\n", "g: {}, ".repeat(1_000_000));
        let files = files(&line);
        let d = PolicyDiagnostic::new(
            codes::ERROR,
            &files,
            &origin(&files, 1, 3_000_001, 1),
            "bad",
        )
        .with_label("here");
        let kept = kept_bytes(&d);
        assert!(kept <= 2 * EXCERPT_BYTES + 1, "{kept} bytes kept");
        let out = render(&d);
        assert!(out.contains("[p.yaml:1:3000001]"), "{out}");
    }

    #[test]
    fn many_diagnostics_of_a_big_file_stay_small() {
        let files = files(&numbered(200_000));
        let starts: Vec<usize> = std::iter::once(0)
            .chain(files[0].text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let diags: Vec<PolicyDiagnostic> = (1..=200_000)
            .step_by(7)
            .map(|l| {
                let o = Origin {
                    offset: starts[l as usize - 1],
                    ..origin(&files, 1, 1, 3)
                };
                let o = Origin { line: l, ..o };
                PolicyDiagnostic::new(codes::ERROR, &files, &o, "bad")
            })
            .collect();
        let kept: usize = diags
            .iter()
            .map(|d| d.src.as_ref().unwrap().kept_bytes())
            .sum();
        assert!(kept < 20 * files[0].text.len(), "{kept} bytes kept");
    }

    /// What `Diagnostics::render` prints for one diagnostic (its count line cut off).
    fn rendered(d: &PolicyDiagnostic) -> String {
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_links(false);
        let out = Diagnostics(vec![d.clone()]).render(&handler);
        out.trim_end_matches("1 error in the workspace\n")
            .to_string()
    }

    #[test]
    fn control_characters_show_escaped_and_labels_stay_under_their_text() {
        let text = "a: 1\nkey\x1b]0;title\x07: value\r\n\u{202e}b: 2\n";
        let files = files(text);
        let at = text.find("value").unwrap();
        let o = Origin {
            offset: at,
            ..origin(&files, 2, 16, 5)
        };
        let d = PolicyDiagnostic::new(codes::ERROR, &files, &o, "bad \x1b[2J")
            .with_label("here\x1b")
            .with_help("see \u{2066}x");
        let out = rendered(&d);
        for c in ['\x1b', '\x07', '\u{202e}', '\u{2066}'] {
            assert!(!out.contains(c), "{c:?} in {out}");
        }
        assert!(out.contains("bad \\u{1b}[2J"), "{out}");
        assert!(out.contains("see \\u{2066}x"), "{out}");
        // The header gives the place in the file, not in the escaped line.
        assert!(out.contains("[p.yaml:2:16]"), "{out}");
        let lines: Vec<&str> = out.lines().collect();
        let row = lines
            .iter()
            .position(|l| l.contains("key\\u{1b}]0;title\\u{7}: value"))
            .unwrap_or_else(|| panic!("{out}"));
        let column = |l: &str, pat: &str| l.find(pat).map(|b| l[..b].chars().count());
        assert_eq!(
            column(lines[row + 1], "─"),
            column(lines[row], "value"),
            "{out}"
        );
        assert!(lines[row + 2].contains("here\\u{1b}"), "{out}");
        assert!(out.contains("\\u{202e}b: 2"), "{out}");
        // Far from the first place, a second one still labels its own text.
        let far = format!("{text}{}x\x1b: late\n", "pad: 1\n".repeat(40));
        let files = super::tests::files(&far);
        let second = far.find("late").unwrap();
        let o2 = Origin {
            offset: second,
            ..origin(&files, 45, 7, 4)
        };
        let d =
            PolicyDiagnostic::new(codes::ERROR, &files, &o, "bad").also_at(&files, &o2, "there");
        let out = rendered(&d);
        let lines: Vec<&str> = out.lines().collect();
        let row = lines
            .iter()
            .position(|l| l.contains("x\\u{1b}: late"))
            .unwrap_or_else(|| panic!("{out}"));
        assert_eq!(
            column(lines[row + 1], "─"),
            column(lines[row], "late"),
            "{out}"
        );
    }
}
