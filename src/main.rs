//! The `verdict-badges` binary: a thin shell over [`verdict_badges::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    verdict_badges::cli::main()
}
