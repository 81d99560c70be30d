//! Where a workspace's files come from (a folder on disk, or files in memory), and the one
//! check that a path names a regular file inside a folder, symlinks resolved.
//!
//! On disk a policy file may be a symlink. One that resolves inside the workspace (into a
//! dot-folder too) is followed, and a file reached by two paths is read once. One that
//! resolves outside the workspace or to nothing, and anything that is not a regular file (a
//! FIFO, a socket, a device), is refused with an error naming it: never skipped, since a
//! skipped file makes the plan revoke everything it declares, and never read, since a
//! diagnostic would show its lines.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::ast::WorkspaceFile;
use super::diagnostics::{Diagnostics, PolicyDiagnostic, codes, display_path, origin_of};
use super::limits;
use super::origin::SourceFile;

/// Why a path is not a regular file inside a folder.
#[derive(Debug, thiserror::Error)]
pub enum Containment {
    /// Nothing is there, or a symlink leads nowhere.
    #[error("does not exist")]
    NotFound,
    /// It resolves (through `..` or a symlink) to this path, outside the folder.
    #[error("resolves to {}, outside", .0.display())]
    Outside(PathBuf),
    /// It is a folder, a FIFO, a socket or a device.
    #[error("is {0}, not a regular file")]
    NotAFile(&'static str),
    /// It could not be looked at.
    #[error("{0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for Containment {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => Containment::NotFound,
            _ => Containment::Io(e),
        }
    }
}

/// The canonical path of `rel` (relative to `root`; an absolute path is taken as is) when it
/// resolves, every symlink followed, to `root` or something inside it.
pub fn resolve_inside(root: &Path, rel: &Path) -> Result<PathBuf, Containment> {
    inside(&root.canonicalize()?, rel)
}

/// [`resolve_inside`] under a root already canonical.
fn inside(root: &Path, rel: &Path) -> Result<PathBuf, Containment> {
    let full = root.join(rel).canonicalize()?;
    if full.starts_with(root) {
        Ok(full)
    } else {
        Err(Containment::Outside(full))
    }
}

/// As [`resolve_inside`], for a regular file only.
pub fn file_inside(root: &Path, rel: &Path) -> Result<PathBuf, Containment> {
    regular_file(resolve_inside(root, rel)?)
}

/// `full` when it is a regular file.
fn regular_file(full: PathBuf) -> Result<PathBuf, Containment> {
    let kind = fs::metadata(&full)?.file_type();
    if kind.is_file() {
        Ok(full)
    } else {
        Err(Containment::NotAFile(kind_name(&kind)))
    }
}

/// What a path that is not a regular file is, for messages.
fn kind_name(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "a special file"
    }
}

/// Why a file could not be read.
pub(super) enum ReadError {
    /// It is not a regular file inside the workspace.
    Unusable(Containment),
    /// Larger than the limit: its size.
    TooLarge(u64),
}

/// What a workspace walk found at a path the globs may select.
pub(super) enum Found {
    /// A regular file.
    File {
        /// On disk, its canonical path, which tells two paths to one file apart.
        id: Option<PathBuf>,
        /// Reached through a symlink: the file's own path is preferred when both match.
        linked: bool,
    },
    /// Never read, and why: an error when the globs select it.
    Refused(Containment),
}

/// Where a workspace's files come from: a folder, or files in memory. Everything else
/// (globs, limits, parsing, merging, checks) is shared.
pub(super) trait Source {
    /// Calls `f` with every path relative to the root that may be a policy file, skipping
    /// dot-folders and dot-files, until `f` returns false. Folders that cannot be read, and
    /// symlinked folders resolving outside the workspace, go to `diags`.
    fn each_file(&self, diags: &mut Diagnostics, f: &mut dyn FnMut(&Path, Found) -> bool);
    /// The contents of file `rel`, refused without reading it when it is too large or not a
    /// regular file inside the workspace.
    fn read(&self, rel: &Path, max: u64) -> Result<Vec<u8>, ReadError>;
    /// Checks, without reading it, that `rel` is a regular file inside the workspace; on disk,
    /// its canonical path.
    fn locate(&self, rel: &Path) -> Result<Option<PathBuf>, Containment>;
}

/// A workspace folder.
pub(super) struct Disk {
    /// The folder with every symlink resolved; none when it does not exist.
    canonical: Option<PathBuf>,
}

impl Disk {
    /// The folder `root`.
    pub(super) fn new(root: &Path) -> Self {
        Disk {
            canonical: root.canonicalize().ok(),
        }
    }

    /// [`file_inside`] the folder.
    fn file(&self, rel: &Path) -> Result<PathBuf, Containment> {
        let root = self.canonical.as_deref().ok_or(Containment::NotFound)?;
        regular_file(inside(root, rel)?)
    }
}

impl Source for Disk {
    fn each_file(&self, diags: &mut Diagnostics, f: &mut dyn FnMut(&Path, Found) -> bool) {
        let Some(root) = &self.canonical else {
            return;
        };
        let mut walk = Walk {
            root,
            followed: HashSet::new(),
            ancestors: Vec::new(),
            diags,
            f,
        };
        walk.folder(root, Path::new(""), false);
    }

    fn read(&self, rel: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
        let path = self.file(rel).map_err(ReadError::Unusable)?;
        let io = |e: std::io::Error| ReadError::Unusable(e.into());
        let mut file = fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if size > max {
            return Err(ReadError::TooLarge(size));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        // The file may grow between the two calls: read no more than the limit allows.
        (&mut file)
            .take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > max {
            return Err(ReadError::TooLarge(bytes.len() as u64));
        }
        Ok(bytes)
    }

    fn locate(&self, rel: &Path) -> Result<Option<PathBuf>, Containment> {
        self.file(rel).map(Some)
    }
}

/// One walk of a workspace folder.
struct Walk<'a> {
    /// The canonical root.
    root: &'a Path,
    /// Folders walked through a symlink: each at most once, so links cannot multiply the walk.
    followed: HashSet<PathBuf>,
    /// The folders being walked, outermost first: a link to one of them is a loop.
    ancestors: Vec<PathBuf>,
    diags: &'a mut Diagnostics,
    f: &'a mut dyn FnMut(&Path, Found) -> bool,
}

impl Walk<'_> {
    /// Walks the canonical folder `dir`, reached as `rel` (through a symlink when `linked`);
    /// false once `f` asked to stop.
    fn folder(&mut self, dir: &Path, rel: &Path, linked: bool) -> bool {
        let entries = fs::read_dir(dir).and_then(|d| d.collect::<Result<Vec<_>, _>>());
        let mut entries = match entries {
            Ok(e) => e,
            Err(e) => {
                self.diags.push(PolicyDiagnostic::at_file(
                    codes::IO,
                    rel,
                    format!("cannot read the workspace folder: {e}"),
                ));
                return true;
            }
        };
        entries.sort_by_key(|e| e.file_name());
        self.ancestors.push(dir.to_path_buf());
        let go_on = entries.iter().all(|entry| self.entry(entry, rel, linked));
        self.ancestors.pop();
        go_on
    }

    /// One entry of a folder; false once `f` asked to stop.
    fn entry(&mut self, entry: &fs::DirEntry, parent: &Path, linked: bool) -> bool {
        let name = entry.file_name();
        // Dot-folders (`.accord/`, `.git/`, `.github/`) hold state and tooling, never policy.
        if name.to_string_lossy().starts_with('.') {
            return true;
        }
        let (path, rel) = (entry.path(), parent.join(&name));
        let found = match entry.file_type() {
            Ok(t) if t.is_dir() => return self.folder(&path, &rel, linked),
            Ok(t) if t.is_file() => Found::File {
                id: Some(path),
                linked,
            },
            Ok(t) if t.is_symlink() => match self.link(&path) {
                Ok(target) if target.is_dir() => return self.linked_folder(target, &rel),
                Ok(target) => Found::File {
                    id: Some(target),
                    linked: true,
                },
                Err(Containment::Outside(to)) if to.is_dir() => {
                    // No glob can tell whether policy lies below: refused whatever they are.
                    self.diags.push(refused(
                        &rel,
                        "this symlinked folder",
                        &Containment::Outside(to),
                    ));
                    return true;
                }
                Err(why) => Found::Refused(why),
            },
            Ok(t) => Found::Refused(Containment::NotAFile(kind_name(&t))),
            Err(e) => Found::Refused(e.into()),
        };
        (self.f)(&rel, found)
    }

    /// Where a symlink leads, when that is a file or folder inside the workspace.
    fn link(&self, path: &Path) -> Result<PathBuf, Containment> {
        let target = path.canonicalize()?;
        if !target.starts_with(self.root) {
            return Err(Containment::Outside(target));
        }
        let kind = fs::metadata(&target)?.file_type();
        if kind.is_dir() || kind.is_file() {
            Ok(target)
        } else {
            Err(Containment::NotAFile(kind_name(&kind)))
        }
    }

    /// Walks a folder reached through a symlink, unless it is being walked (a loop) or was
    /// followed already.
    fn linked_folder(&mut self, target: PathBuf, rel: &Path) -> bool {
        if self.ancestors.contains(&target) || !self.followed.insert(target.clone()) {
            return true;
        }
        self.folder(&target, rel, true)
    }
}

/// A workspace in memory: relative path → contents.
pub(super) struct Memory<'a>(pub(super) BTreeMap<PathBuf, &'a [u8]>);

/// A plain relative path: only names, no `..`, no root.
fn is_plain(rel: &Path) -> bool {
    rel.components().next().is_some() && rel.components().all(|c| matches!(c, Component::Normal(_)))
}

impl Source for Memory<'_> {
    fn each_file(&self, _diags: &mut Diagnostics, f: &mut dyn FnMut(&Path, Found) -> bool) {
        for rel in self.0.keys() {
            // As on disk: only plain relative paths, and never inside a dot-folder.
            let hidden = rel
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
            let found = Found::File {
                id: None,
                linked: false,
            };
            if is_plain(rel) && !hidden && !f(rel, found) {
                return;
            }
        }
    }

    fn read(&self, rel: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
        self.locate(rel).map_err(ReadError::Unusable)?;
        let bytes = self.0[rel];
        if bytes.len() as u64 > max {
            return Err(ReadError::TooLarge(bytes.len() as u64));
        }
        Ok(bytes.to_vec())
    }

    fn locate(&self, rel: &Path) -> Result<Option<PathBuf>, Containment> {
        if !is_plain(rel) {
            return Err(Containment::Outside(rel.to_path_buf()));
        }
        match self.0.contains_key(rel) {
            true => Ok(None),
            false => Err(Containment::NotFound),
        }
    }
}

/// The error of a path that is never read: `what` names it in the message.
pub(super) fn refused(rel: &Path, what: &str, why: &Containment) -> PolicyDiagnostic {
    let (message, help) = match why {
        Containment::NotFound => (
            format!("{what} leads nowhere: its target does not exist"),
            "remove the link, or point it at a file inside the workspace",
        ),
        Containment::Outside(to) => (
            format!(
                "{what} resolves to `{}`, outside the workspace: accord reads nothing outside it",
                display_path(to)
            ),
            "copy the file into the workspace, or link to one inside it (a dot-folder such as `.shared/` is fine)",
        ),
        Containment::NotAFile(kind) => (
            format!("{what} is {kind}, not a regular file: accord never reads it"),
            "policy files are regular files, or symlinks to regular files inside the workspace",
        ),
        Containment::Io(e) => (format!("cannot read {what}: {e}"), ""),
    };
    let d = PolicyDiagnostic::at_file(codes::REFUSED_FILE, rel, message);
    if help.is_empty() {
        d
    } else {
        d.with_help(help)
    }
}

/// The text of a file, or why it cannot be had: the message of an IO diagnostic or a limit.
pub(super) fn read_text(
    source: &dyn Source,
    rel: &Path,
    what: &str,
    max: u64,
) -> Result<String, Box<PolicyDiagnostic>> {
    let bytes = match source.read(rel, max) {
        Ok(b) => b,
        Err(ReadError::TooLarge(size)) => {
            return Err(Box::new(PolicyDiagnostic::at_file(
                codes::LIMIT,
                rel,
                format!(
                    "{what} is {}, over the limit of {} per file",
                    limits::human_bytes(size),
                    limits::human_bytes(max)
                ),
            )
            .with_help("split it: a container (a group, an endpoint's rules) may be spread over several files")));
        }
        Err(ReadError::Unusable(Containment::NotFound)) => {
            let e = std::io::Error::from(std::io::ErrorKind::NotFound);
            return Err(Box::new(PolicyDiagnostic::at_file(
                codes::IO,
                rel,
                format!("cannot read {what}: {e}"),
            )));
        }
        Err(ReadError::Unusable(why)) => return Err(Box::new(refused(rel, what, &why))),
    };
    String::from_utf8(bytes).map_err(|_| {
        Box::new(PolicyDiagnostic::at_file(
            codes::IO,
            rel,
            format!("cannot read {what}: stream did not contain valid UTF-8"),
        ))
    })
}

/// Checks that every embedded target's seed is a regular file inside the workspace, with an
/// error at its place in `accord.yaml` (`files[0]`) when it is not; returns the canonical
/// paths of those found, which are never policy.
pub(super) fn check_seeds(
    source: &dyn Source,
    files: &[SourceFile],
    wf: &WorkspaceFile,
    diags: &mut Diagnostics,
) -> HashSet<PathBuf> {
    let mut found = HashSet::new();
    for (name, t) in wf.targets.iter() {
        let Some(seed) = t.seed.as_ref().filter(|s| !s.value.is_empty()) else {
            continue;
        };
        if t.embedded.as_ref().map(|e| e.value) != Some(true) {
            continue;
        }
        let (message, label) = match source.locate(Path::new(&seed.value)) {
            Ok(id) => {
                found.extend(id);
                continue;
            }
            Err(Containment::NotFound) => (
                format!(
                    "the seed `{}` of target `{}` does not exist in the workspace",
                    seed.value, name.value
                ),
                "no such file",
            ),
            Err(Containment::Outside(_)) => (
                format!(
                    "the seed `{}` of target `{}` is outside the workspace",
                    seed.value, name.value
                ),
                "outside the workspace",
            ),
            Err(Containment::NotAFile(kind)) => (
                format!(
                    "the seed `{}` of target `{}` is {kind}, not a file",
                    seed.value, name.value
                ),
                "not a file",
            ),
            Err(Containment::Io(e)) => (
                format!(
                    "cannot read the seed `{}` of target `{}`: {e}",
                    seed.value, name.value
                ),
                "unreadable",
            ),
        };
        let o = origin_of(files, 0, &seed.referenced);
        diags.push(
            PolicyDiagnostic::new(codes::BAD_TARGET, files, &o, message)
                .with_label(label)
                .with_help("a seed is a file inside the workspace (symlinks resolved), named relative to it, e.g. `seed: live.yaml`"),
        );
    }
    found
}
