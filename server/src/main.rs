//! `server`: the Flowmeter binary. All the work is in the library; `main`
//! only parses the command line and reports a failed start.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    server::cli::Cli::parse().run()
}
