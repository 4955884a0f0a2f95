//! `ofauto-local`: the whole local stack in one supervised process. See `ofauto_local::stack`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let opts = match ofauto_local::stack::parse_options(std::env::args().skip(1), |k| {
        std::env::var(k).ok()
    }) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{}", ofauto_local::stack::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ofauto-local: {e}\n\n{}", ofauto_local::stack::USAGE);
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "info,aws_smithy_runtime=warn,aws_config=warn,hyper=warn,tower_http=warn",
        )
    });
    // Plain text, readable next to the functions' JSON lines. Untrusted text is only ever logged
    // as a Debug field (escaped), and the writer keeps each event on one line regardless.
    tracing_subscriber::fmt()
        .with_writer(ofauto_local::logs::stderr_one_line)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter)
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ofauto-local: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(ofauto_local::stack::run(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
