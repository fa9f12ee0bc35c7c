//! The `runnel` binary: parse the command line, then run or check. A failure is reported in
//! two lines (what failed, what to do) with a non-zero exit code, never with a backtrace.

use std::process::ExitCode;

use clap::Parser;
use runnel::config::{Cli, Command, SessionsCommand, Settings};
use runnel::startup::Application;

fn main() -> ExitCode {
    runnel::failure::install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("{}", runnel::failure::usage_report(&err.render().to_string()));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", runnel::failure::report(&err));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { path } => {
            let failed = runnel::check::check(&path, &mut std::io::stdout())?;
            Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::HashPassword => {
            let password = runnel::password_prompt::read_password()?;
            println!("{}", runnel::auth::password::hash_now(&password)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Sessions(SessionsCommand::End(args)) => {
            match actix_web::rt::System::new().block_on(runnel::admin::end_sessions(&args)) {
                Ok(line) => {
                    println!("{line}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    // One line with its causes: an operator's command, not a crash.
                    eprintln!("runnel sessions end: {err:#}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Definitions { dir, scripts } => {
            for file in runnel::definitions::write(&dir, &scripts)? {
                println!("{}", file.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::SampleData { rows, out } => {
            runnel::sample::write_sales(&out, rows)?;
            println!("{} ({rows} orders)", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => {
            let settings = Settings::from_run_args(*args)?;
            runnel::telemetry::init(settings.log_format);
            actix_web::rt::System::new().block_on(serve(settings))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let store = match &settings.store {
        runnel::config::StoreSettings::Memory => "in-memory",
        runnel::config::StoreSettings::Redis { .. } => "redis",
    };
    let app = Application::build(settings.clone())?;
    tracing::info!(
        "serving {} on http://{}:{} ({store} sessions)",
        settings.scripts.display(),
        settings.bind,
        app.port()
    );
    actix_web::rt::spawn(app.shutdown().on_signal());
    app.run_until_stopped().await?;
    Ok(())
}
