//! The `tephra` binary: everything lives in the library; this only calls the CLI.

fn main() -> std::process::ExitCode {
    tephra::cli::main()
}
