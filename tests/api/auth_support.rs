//! An app with the authenticator on, for the auth tests: the repo's example scripts (or a
//! folder of the test's own) and a private copy of the sample credentials file.

use std::time::Duration;

use runnel::auth::credentials::Reload;
use runnel::config::Settings;

use crate::support::{self, CredentialsFile, RedisServer, ScriptDir, StoreKind, TestApp};

pub const MEMBERS: &str = "members";
pub const LOGGED_IN: &str = "Hello, John Smith";
pub const LOGIN_FORM: &str = "Members login";
/// The start of the one answer to every failed login.
pub const LOGIN_FAILED: &str = "Login failed: the username or password is incorrect, or there were too many";
/// The one answer to a registration, whether or not the username was free.
pub const REGISTRATION_RECEIVED: &str = "Registration received. If this username was free, you can log in with it now.";

pub struct AuthApp {
    pub app: TestApp,
    pub redis: Option<RedisServer>,
    pub credentials: CredentialsFile,
    _scripts: Option<ScriptDir>,
}

impl AuthApp {
    pub fn start(kind: StoreKind) -> Self {
        Self::build(kind, CredentialsFile::sample(), None, |_| {})
    }

    /// With the test's own credentials, scripts (else the repo's) and settings tweak.
    pub fn build(
        kind: StoreKind,
        credentials: CredentialsFile,
        scripts: Option<ScriptDir>,
        tweak: impl FnOnce(&mut Settings),
    ) -> Self {
        let redis = (kind == StoreKind::Redis).then(RedisServer::start);
        let dir = scripts.as_ref().map_or_else(|| support::repo_path("scripts"), |s| s.path.clone());
        let mut settings = support::auth_settings(&dir, &credentials, kind, redis.as_ref());
        tweak(&mut settings);
        let app = TestApp::spawn(settings);
        Self { app, redis, credentials, _scripts: scripts }
    }

    /// On a private Redis whose `SAVE` snapshot a restart loads back (a store restore).
    pub fn with_redis_snapshots() -> Self {
        let redis = RedisServer::start_with_snapshots();
        let credentials = CredentialsFile::sample();
        let scripts = support::repo_path("scripts");
        let settings = support::auth_settings(&scripts, &credentials, StoreKind::Redis, Some(&redis));
        Self { app: TestApp::spawn(settings), redis: Some(redis), credentials, _scripts: None }
    }

    /// Another instance of the host on the same store and credentials file.
    pub fn second_instance(&self) -> TestApp {
        let mut settings = support::auth_settings(
            &support::repo_path("scripts"),
            &self.credentials,
            StoreKind::Redis,
            self.redis.as_ref(),
        );
        settings.watch = false;
        TestApp::spawn(settings)
    }

    /// Writes the credentials file in place, as an admin's editor would, and returns once the
    /// app's watcher has reloaded it (bounded: a watcher that never reports fails the test).
    pub async fn edit_credentials(&self, text: &str) {
        let credentials = self.app.credentials.as_ref().expect("the authenticator is on");
        let mut reloads = credentials.reloads();
        self.credentials.write(text);
        // An in-place write can be seen halfway (empty, refused) before it is whole.
        let applied = async { while reloads.recv().await.expect("the watcher reports reloads") != Reload::Applied {} };
        tokio::time::timeout(Duration::from_secs(10), applied)
            .await
            .expect("the app's watcher reloads the credentials file within 10 s");
    }
}
