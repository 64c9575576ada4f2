//! `deploygov`: the command line and read-only dashboard over a deploygov SQLite database.
//!
//! Each command parses its arguments, calls one core `Engine` function (or a few reads for
//! display) and prints the result; the domain logic lives only in the core. Exit codes: 0 ok,
//! 1 unexpected failure, 2 usage error, 10 + the core's error code otherwise (docs/cli.md).

mod args;
mod commands;
mod context;
mod demo;
mod error;
mod output;
mod serve;

use clap::Parser;

fn main() {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { error::EXIT_USAGE } else { 0 };
            // Help and version go to stdout; usage errors to stderr with clap's own text.
            let _ignored = e.print();
            std::process::exit(code);
        }
    };
    let json = cli.global.json;
    let code = match commands::run(cli) {
        Ok(code) => code,
        Err(e) if e.broken_pipe => 0,
        Err(e) => {
            if json {
                eprintln!("{}", e.json());
            } else {
                eprintln!("{}", e.line());
            }
            e.exit_code()
        }
    };
    std::process::exit(code);
}
