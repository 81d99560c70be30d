//! The `accord` binary: parse the command line, run, render errors, set the exit code.

fn main() -> std::process::ExitCode {
    accord::memory::tune_allocator();
    accord::cli::main()
}
