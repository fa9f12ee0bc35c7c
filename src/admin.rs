//! Admin commands run from the command line against a deployment: `runnel sessions end USER`
//! ends every session and remember-me token of a user. The end is recorded durably in the
//! revocation file (a "valid after" time for the user, merged with what the file holds under its
//! lock, written atomically), which every running server watches and merges within moments; with
//! `--redis-url` the user's login and remember-me generations move on in Redis too, which every
//! instance sees at its next request.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::auth::audit::{self, AuditEvent};
use crate::auth::credentials::normalize_username;
use crate::auth::{Credentials, Logins, Remember, Revocations};
use crate::clock::Clock;
use crate::config::{EndSessionsArgs, LockTiming, StoreSettings};
use crate::session_store::Store;

/// How long the command's revocation matters at least: longer than any login lives, so the
/// command's write never prunes an entry a server still needs (servers prune by their own).
const KEEP: Duration = Duration::from_secs(400 * 86_400);

/// Ends every session of the user; returns the line to print.
pub async fn end_sessions(args: &EndSessionsArgs) -> anyhow::Result<String> {
    let username = normalize_username(&args.username);
    if username.is_empty() {
        bail!("give the username whose sessions end: runnel sessions end USER");
    }
    let revocations = Arc::new(revocation_record(args, &username)?);
    let path = revocations.path().to_owned();
    let store = match args.store() {
        Some(settings) => redis_store(&settings).await?,
        None => Store::from_settings(&StoreSettings::Memory, KEEP, LockTiming::default())?,
    };
    let logins = Logins::new(store.clone(), KEEP, KEEP, Clock::System, revocations.clone());
    let remember = Remember::new(store.clone(), Clock::System, None, logins.clone());
    logins.end_all(&username).await.context("ending the user's logins in Redis")?;
    remember.forget_all(&username).await.context("ending the user's remember-me tokens in Redis")?;
    // `end_all` held the revocation and tried the file; write it again to know that it landed.
    let persisted =
        tokio::task::spawn_blocking(move || revocations.persist(Clock::System.now_ms(), KEEP.as_millis() as u64));
    persisted.await.context("writing the revocation file")??;
    audit::record(AuditEvent::SessionsEnded, &username, "command-line");
    let in_redis = if args.store().is_some() { " and in Redis" } else { "" };
    Ok(format!("ended every session of {username}: recorded in {}{in_redis}", path.display()))
}

/// The deployment's revocation record, opened (a broken file is an error), for a user the
/// credentials file knows.
fn revocation_record(args: &EndSessionsArgs, username: &str) -> anyhow::Result<Revocations> {
    let credentials = args.credentials_file();
    if let Some(file) = &credentials {
        let credentials = Credentials::open(file)?;
        if credentials.doc().user(username).is_none() {
            bail!("there is no user {username:?} in {}", file.display());
        }
    }
    let path = match (&args.revocations, &credentials) {
        (Some(path), _) => path.clone(),
        (None, Some(file)) => Revocations::beside(file),
        (None, None) => bail!("give the deployment's --credentials FILE (or --revocations FILE)"),
    };
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !folder.is_dir() {
        bail!("the folder of the revocation file {} does not exist", path.display());
    }
    Revocations::open(&path)
}

/// The deployment's Redis, checked before anything is written.
async fn redis_store(settings: &StoreSettings) -> anyhow::Result<Store> {
    let store = Store::from_settings(settings, KEEP, LockTiming::default()).context("the Redis URL")?;
    store.ping().await.context("reaching Redis")?;
    Ok(store)
}
