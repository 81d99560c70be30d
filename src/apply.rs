//! Executes a plan: starts each change when its dependencies are done, stops starting
//! new work after a failure, and reports every change as applied, failed or skipped.
