//! The `runnel` binary: parse the command line, then run or check.

use std::process::ExitCode;

use clap::Parser;
use runnel::config::{Cli, Command, Settings};
use runnel::startup::Application;

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { path } => {
            let failed = runnel::check::check(&path, &mut std::io::stdout())?;
            Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::HashPassword => {
            let mut password = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut password)?;
            let password = password.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(&password);
            if password.is_empty() {
                anyhow::bail!(
                    "give the password on standard input, e.g. `printf '%s' 'secret' | runnel hash-password`"
                );
            }
            println!("{}", runnel::auth::password::hash_now(password)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Definitions { dir, scripts } => {
            for file in runnel::definitions::write(&dir, &scripts)? {
                println!("{}", file.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => {
            let settings = Settings::from_run_args(*args)?;
            runnel::telemetry::init();
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
    app.run_until_stopped().await?;
    Ok(())
}
