//! Saved plan files (`accord plan --out FILE`, `accord apply FILE`, `accord show FILE`).
//!
//! A saved plan is the approval: `apply FILE` runs it without a prompt, so it must refuse a
//! plan made by another accord layout, against another target, or from other policy files.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use super::model::{FORMAT_VERSION, Plan};
use super::render;

/// Why a saved plan cannot be read or applied.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    /// The file cannot be read at all.
    #[error("cannot read plan file {}: {cause}", path.display())]
    Unreadable {
        /// The plan file.
        path: PathBuf,
        /// The I/O error.
        cause: io::Error,
    },
    /// The file is not JSON, or not a plan.
    #[error("{} is not an accord plan: {reason}", path.display())]
    NotAPlan {
        /// The plan file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The plan was written in a layout this accord does not read.
    #[error(
        "unsupported plan format_version {found} (expected {expected}); make the plan again with this accord"
    )]
    UnsupportedVersion {
        /// The plan's `format_version`.
        found: u64,
        /// [`FORMAT_VERSION`].
        expected: u32,
    },
    /// The plan was made against another target.
    #[error("the plan was made for target `{plan}`, but the current target is `{current}`")]
    TargetMismatch {
        /// The plan's target.
        plan: String,
        /// The target now.
        current: String,
    },
    /// The workspace the plan records is gone, and no workspace is where the plan is used.
    #[error(
        "the plan was made from the workspace {workspace}, which no longer exists (moved or deleted), and neither the current folder nor {} holds an accord.yaml; run apply from the workspace folder, or make the plan again",
        plan_dir.display()
    )]
    WorkspaceMissing {
        /// The workspace folder the plan records.
        workspace: String,
        /// The plan file's folder.
        plan_dir: PathBuf,
    },
    /// The policy files changed since the plan was made.
    #[error(
        "the workspace changed since the plan was made (plan: {plan}, now: {current}); make the plan again"
    )]
    WorkspaceChanged {
        /// The plan's workspace digest.
        plan: String,
        /// The workspace digest now.
        current: String,
    },
}

/// Writes `plan` (redacted, pretty JSON) to `path` atomically: a reader sees the old file or
/// the new one, never half of one.
pub fn write(path: &Path, plan: &Plan) -> io::Result<()> {
    let tmp = temp_path(path)?;
    let result = write_then_rename(&tmp, path, |file| {
        let mut w = io::BufWriter::new(file);
        render::write_json(plan, &mut w)?;
        w.flush()
    });
    if result.is_err() {
        // Best effort: the temp file is ours and useless now; the original error matters more.
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A fresh name beside `path` (same directory, hence same file system, so rename is atomic).
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file path", path.display()),
        )
    })?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp_name = format!(".{}.{}.{n}.tmp", name.to_string_lossy(), std::process::id());
    Ok(path.with_file_name(tmp_name))
}

fn write_then_rename(
    tmp: &Path,
    path: &Path,
    body: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    // create_new: never clobber a file another writer is using as its temp.
    let mut file = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    body(&mut file)?;
    file.sync_all()?;
    drop(file);
    fs::rename(tmp, path)?;
    // Make the rename itself durable where directories can be synced (not on every OS).
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Reads a saved plan, refusing files that are not plans or use another `format_version`.
pub fn read(path: &Path) -> Result<Plan, PlanFileError> {
    let text = fs::read_to_string(path).map_err(|cause| PlanFileError::Unreadable {
        path: path.to_path_buf(),
        cause,
    })?;
    let not_a_plan = |reason: String| PlanFileError::NotAPlan {
        path: path.to_path_buf(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| not_a_plan(format!("not JSON: {e}")))?;
    // The version is checked before the layout, so a plan from a newer accord says so
    // instead of failing on whichever field changed.
    let version = value
        .get("format_version")
        .ok_or_else(|| not_a_plan("no `format_version`".into()))?
        .as_u64()
        .ok_or_else(|| not_a_plan("`format_version` is not a number".into()))?;
    if version != u64::from(FORMAT_VERSION) {
        return Err(PlanFileError::UnsupportedVersion {
            found: version,
            expected: FORMAT_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|e| not_a_plan(e.to_string()))
}

/// Refuses a saved plan whose format version, target or workspace digest differ from now.
pub fn check_current(
    plan: &Plan,
    target_name: &str,
    workspace_digest: &str,
) -> Result<(), PlanFileError> {
    if plan.format_version != FORMAT_VERSION {
        return Err(PlanFileError::UnsupportedVersion {
            found: plan.format_version.into(),
            expected: FORMAT_VERSION,
        });
    }
    if plan.target.name != target_name {
        return Err(PlanFileError::TargetMismatch {
            plan: plan.target.name.clone(),
            current: target_name.to_string(),
        });
    }
    if plan.workspace_digest != workspace_digest {
        return Err(PlanFileError::WorkspaceChanged {
            plan: plan.workspace_digest.clone(),
            current: workspace_digest.to_string(),
        });
    }
    Ok(())
}

/// The absolute form of a workspace folder, as a saved plan records it (`None` if the path
/// cannot be resolved or is not UTF-8: the plan then applies from its workspace only).
pub fn workspace_path(dir: &Path) -> Option<String> {
    fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.to_str().map(str::to_string))
}

/// The workspace folder to apply a saved plan `file` in: the one the plan records if it is
/// still there; else the current folder, else the plan file's folder, whichever holds an
/// `accord.yaml` (a plan made on another machine, as CI does). The digest check that follows
/// refuses a plan made from other policy files, wherever they are.
pub fn workspace_of(plan: &Plan, file: &Path) -> Result<PathBuf, PlanFileError> {
    if let Some(recorded) = plan.workspace.as_deref().map(Path::new)
        && recorded.is_dir()
    {
        return Ok(recorded.to_path_buf());
    }
    let plan_dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let found = [Path::new("."), plan_dir.as_path()]
        .into_iter()
        .find(|d| d.join("accord.yaml").is_file());
    match (found, &plan.workspace) {
        (Some(dir), _) => Ok(dir.to_path_buf()),
        (None, Some(workspace)) => Err(PlanFileError::WorkspaceMissing {
            workspace: workspace.clone(),
            plan_dir,
        }),
        // An older plan that records nothing: load the current folder, whose error says why.
        (None, None) => Ok(PathBuf::from(".")),
    }
}

/// `sha256:<hex>` over the workspace files sorted by path: each contributes its path
/// (`/`-separated), a NUL, its length (8 bytes, big-endian) and its contents.
///
/// The length makes the framing unambiguous: without it, moving bytes from the end of one
/// file to the start of the next path could give the same digest.
pub fn workspace_digest<P: AsRef<Path>, S: AsRef<str>>(
    files: impl IntoIterator<Item = (P, S)>,
) -> String {
    // Borrowed: at scale the workspace is megabytes of text.
    let files: Vec<(P, S)> = files.into_iter().collect();
    let mut sorted: Vec<(String, &str)> = files
        .iter()
        .map(|(path, contents)| (portable_path(path.as_ref()), contents.as_ref()))
        .collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    for (path, contents) in &sorted {
        hasher.update(path.as_bytes());
        hasher.update([0u8]);
        hasher.update((contents.len() as u64).to_be_bytes());
        hasher.update(contents.as_bytes());
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// The path with `/` separators, so that a plan made on one OS applies on another.
fn portable_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_ignores_order_and_separates_files() {
        let a = workspace_digest([
            (PathBuf::from("b.yaml"), "x"),
            (PathBuf::from("a.yaml"), "y"),
        ]);
        let b = workspace_digest([
            (PathBuf::from("a.yaml"), "y"),
            (PathBuf::from("b.yaml"), "x"),
        ]);
        assert_eq!(a, b);
        assert!(a.starts_with("sha256:") && a.len() == 7 + 64);
        // Without the length, `a.yaml` holding `y` then `b.yaml` holding `x` would hash
        // the same bytes as `a.yaml` alone holding `yb.yaml\0x`.
        let merged = workspace_digest([(PathBuf::from("a.yaml"), "yb.yaml\0x")]);
        assert_ne!(a, merged);
    }

    #[test]
    fn temp_names_are_hidden_and_unique() {
        let p = Path::new("/tmp/x/plan.json");
        let t1 = temp_path(p).unwrap();
        let t2 = temp_path(p).unwrap();
        assert_ne!(t1, t2);
        assert_eq!(t1.parent(), p.parent());
        assert!(
            t1.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".plan.json.")
        );
    }
}
