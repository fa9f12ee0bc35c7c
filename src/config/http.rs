//! The `[http]` table of `runnel.toml`: which hosts scripts may call (deny by default) and the
//! bounds of every call. Checked here, at start, so a typo is an error before anything runs.

use std::time::Duration;

use serde::Deserialize;

use crate::failure::Failure;

const ADVICE: &str = "fix the [http] table in runnel.toml (README \"Calling HTTP services\")";

/// The `[http]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HttpFile {
    allow: Option<Vec<String>>,
    allow_private: Option<bool>,
    timeout_ms: Option<u64>,
    max_response_bytes: Option<usize>,
    max_calls_per_run: Option<u32>,
}

/// A host scripts may call: `host`, `host:port` or `scheme://host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// `http` or `https`; `None` allows both.
    pub scheme: Option<String>,
    /// Lowercase; an IPv6 address without brackets.
    pub host: String,
    /// `None`: the scheme's default port only (80 or 443).
    pub port: Option<u16>,
}

impl AllowedHost {
    /// Whether a URL's scheme, host (lowercase) and port (the scheme's default when absent) match.
    pub fn admits(&self, scheme: &str, host: &str, port: u16) -> bool {
        let default_port = if scheme == "https" { 443 } else { 80 };
        self.scheme.as_deref().is_none_or(|s| s == scheme)
            && self.host == host
            && self.port.unwrap_or(default_port) == port
    }

    fn parse(entry: &str) -> Result<Self, String> {
        let bad =
            |why: &str| format!("`{entry}` in `allow` is not a host: {why} (write host, host:port or https://host)");
        let entry_lower = entry.trim().to_ascii_lowercase();
        let (scheme, rest) = match entry_lower.split_once("://") {
            Some((scheme @ ("http" | "https"), rest)) => (Some(scheme.to_owned()), rest),
            Some((other, _)) => return Err(bad(&format!("the scheme {other:?} is not http or https"))),
            None => (None, entry_lower.as_str()),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() || rest.contains(['/', '@', '?', '#', '*', ' ']) {
            return Err(bad("only a host and a port are allowed, no path, user or wildcard"));
        }
        let (host, port) = split_port(rest).map_err(|why| bad(&why))?;
        if host.is_empty() {
            return Err(bad("the host is missing"));
        }
        Ok(Self { scheme, host, port })
    }
}

/// `host[:port]`, with `[v6]` brackets around an IPv6 address.
fn split_port(text: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(v6) = text.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or("an IPv6 address lacks its `]`")?;
        (host, after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            Some(_) => return Err("write an IPv6 address in brackets: [::1]:8080".into()),
            None => (text, None),
        }
    };
    let port = port.map(|p| p.parse::<u16>().map_err(|_| format!("{p:?} is not a port"))).transpose()?;
    Ok((host.to_owned(), port))
}

/// How scripts may call HTTP services.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The hosts scripts may call; empty (the default) refuses every call.
    pub allow: Vec<AllowedHost>,
    /// Lets calls reach loopback, private and link-local addresses (refused by default).
    pub allow_private: bool,
    /// The longest one call may take, a streamed one included (a script may ask for less).
    pub timeout: Duration,
    /// The most bytes one response body may have (a streamed one in all).
    pub max_response_bytes: usize,
    /// The most calls one run may make.
    pub max_calls_per_run: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            allow_private: false,
            timeout: Duration::from_secs(10),
            max_response_bytes: 1 << 20,
            max_calls_per_run: 20,
        }
    }
}

impl HttpSettings {
    /// The settings a `[http]` table gives, checked; defaults fill the rest.
    pub(super) fn from_file(file: HttpFile) -> anyhow::Result<Self> {
        let fail = |problem: String| -> anyhow::Error { Failure::new(format!("[http]: {problem}"), ADVICE).into() };
        let defaults = Self::default();
        let allow = file.allow.unwrap_or_default().iter().map(|e| AllowedHost::parse(e)).collect::<Result<_, _>>();
        let timeout = match file.timeout_ms {
            Some(0) => return Err(fail("timeout_ms must be at least 1".into())),
            other => other.map_or(defaults.timeout, Duration::from_millis),
        };
        let max_response_bytes = match file.max_response_bytes {
            Some(0) => return Err(fail("max_response_bytes must be at least 1".into())),
            other => other.unwrap_or(defaults.max_response_bytes),
        };
        Ok(Self {
            allow: allow.map_err(fail)?,
            allow_private: file.allow_private.unwrap_or(false),
            timeout,
            max_response_bytes,
            max_calls_per_run: file.max_calls_per_run.unwrap_or(defaults.max_calls_per_run),
        })
    }

    /// The entry that admits this scheme, host and port, if any.
    pub fn admits(&self, scheme: &str, host: &str, port: u16) -> bool {
        self.allow.iter().any(|a| a.admits(scheme, host, port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(entry: &str) -> AllowedHost {
        AllowedHost::parse(entry).unwrap()
    }

    #[test]
    fn an_entry_is_a_host_with_an_optional_scheme_and_port() {
        let api = host("API.example.com");
        assert!(api.admits("https", "api.example.com", 443) && api.admits("http", "api.example.com", 80));
        assert!(!api.admits("https", "api.example.com", 8443), "a bare host means the default port only");
        assert!(!api.admits("https", "example.com", 443));
        let local = host("127.0.0.1:8080");
        assert!(local.admits("http", "127.0.0.1", 8080) && !local.admits("http", "127.0.0.1", 80));
        let tls = host("https://api.example.com/");
        assert!(tls.admits("https", "api.example.com", 443) && !tls.admits("http", "api.example.com", 80));
        assert_eq!(host("[::1]:9000"), AllowedHost { scheme: None, host: "::1".into(), port: Some(9000) });
    }

    #[test]
    fn an_entry_with_a_path_a_wildcard_or_another_scheme_is_refused() {
        for entry in ["https://api.example.com/v1", "*.example.com", "ftp://files", "user@host", "host:http", ""] {
            assert!(AllowedHost::parse(entry).is_err(), "{entry:?} is refused");
        }
    }

    #[test]
    fn the_table_is_checked_and_defaults_fill_the_rest() {
        let file: HttpFile = toml::from_str("allow = [\"api.example.com\"]\ntimeout_ms = 500").unwrap();
        let settings = HttpSettings::from_file(file).unwrap();
        assert_eq!(settings.timeout, Duration::from_millis(500));
        assert_eq!(settings.max_calls_per_run, 20);
        assert!(!settings.allow_private);
        let zero: HttpFile = toml::from_str("timeout_ms = 0").unwrap();
        assert!(HttpSettings::from_file(zero).is_err());
        assert!(toml::from_str::<HttpFile>("alow = []").is_err(), "a misspelt setting is an error");
    }
}
