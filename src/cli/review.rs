//! `accord access review`: the periodic access review (`plan::access::Review`), rendered as
//! markdown, HTML or JSON, to stdout or a file.

use super::access::{ReviewArgs, ReviewFormat};
use super::*;
use crate::access::Question;
use crate::plan::access::Review;
use crate::plan::access::render::{html, markdown};

impl Ctx<'_> {
    pub(super) async fn review(&self, args: &ReviewArgs) -> Exit {
        let ws = match self.load(args.dir.as_deref()) {
            Ok(ws) => ws,
            Err(e) => return e,
        };
        let now = self.now.unwrap_or_else(chrono::Utc::now);
        let answer = match self
            .answer(&ws, &Question::Everything, args.from, now)
            .await
        {
            Ok(a) => a,
            Err(e) => return e,
        };
        let review = Review::new(answer, now, &args.expiring_within);
        let text = match args.format {
            ReviewFormat::Markdown => markdown::review(&review),
            ReviewFormat::Html => html::review(&review),
            ReviewFormat::Json => {
                serde_json::to_string_pretty(&review).expect("reviews serialise") + "\n"
            }
        };
        // The command ends here: freeing a review of millions of strings one by one would
        // cost a fifth of the run (profiled at bench/scale), and the process's exit frees it.
        std::mem::forget(review);
        match &args.out {
            Some(path) => {
                if let Err(e) = std::fs::write(path, text) {
                    return fail(format!("cannot write {}: {e}", path.display()));
                }
                eprintln!("Wrote the access review to {}", path.display());
            }
            None => {
                // A closed pipe (`| head`) is not an error worth a panic.
                out::print(&text);
            }
        }
        // As for the answer's states: the exit frees the loaded workspace faster.
        std::mem::forget(ws);
        Exit::Ok
    }
}
