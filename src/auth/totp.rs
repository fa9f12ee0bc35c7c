//! TOTP (RFC 6238) for the second factor, without the store or the file: new secrets, the
//! `otpauth://` URL and its QR code as SVG, checking a code against a time step, and one-time
//! recovery codes. Parameters are the ones every authenticator app supports: HMAC-SHA-1,
//! 6 digits, 30-second steps, one step of skew either way.

use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Bytes of a new secret: 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
/// Seconds of one time step.
pub const STEP_SECONDS: u64 = 30;
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
/// Letters of a recovery code (no 0/o, 1/l/i): 12 of 32 symbols are 60 bits.
const CODE_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
const CODE_LEN: usize = 12;

/// A user's TOTP, as the credentials file keeps it under `totp:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TotpEntry {
    /// The shared secret, base32 (RFC 4648, no padding), as authenticator apps take it.
    pub secret: String,
    /// The time step of the last code accepted: a code of that step or an earlier one is refused.
    #[serde(default)]
    pub last_step: u64,
    /// Argon2id hashes of the unused recovery codes; a used code's hash is removed.
    #[serde(default)]
    pub recovery_codes: Vec<String>,
}

/// A new random secret in base32 (`ThreadRng`: ChaCha seeded from the operating system).
pub fn new_secret() -> String {
    let bytes: [u8; SECRET_BYTES] = rand::random();
    Secret::from(bytes.to_vec()).to_base32()
}

fn totp(secret: &str, issuer: &str, username: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret).ok()?;
    // The otpauth label separates issuer and account with a colon: neither may hold one.
    let issuer = issuer.replace(':', " ");
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        .with_account_name(username.replace(':', " "))
        .with_issuer(Some(issuer).filter(|i| !i.is_empty()))
        .build()
        .ok()
}

/// The time step of `code` if it is a valid code of `secret` at `now_secs` (±1 step).
pub fn matching_step(secret: &str, code: &str, now_secs: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret, "", "user")?.check(&code, now_secs)
}

/// The code of `secret` at `now_secs` (what an authenticator app shows; for tests and tools).
pub fn code_at(secret: &str, now_secs: u64) -> Option<String> {
    Some(totp(secret, "", "user")?.generate(now_secs).to_string())
}

/// The `otpauth://totp/…` URL an authenticator app scans.
pub fn otpauth_url(secret: &str, issuer: &str, username: &str) -> Option<String> {
    totp(secret, issuer, username)?.to_url().ok()
}

/// `text` as a QR code in an `<svg>` element: two `<path>`s with `fill` attributes and no
/// script or style, so the page's Content-Security-Policy lets it through inline.
pub fn qr_svg(text: &str) -> Option<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let drawn = code.render::<svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build();
    // Without the XML prolog, which has no place inside an HTML page.
    let start = drawn.find("<svg")?;
    let svg = drawn[start..].replacen("<svg", r#"<svg class="rn-qr" role="img" aria-label="QR code""#, 1);
    Some(svg)
}

/// New recovery codes, grouped for reading (`abcd-efgh-jkmn`).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES).map(|_| recovery_code()).collect()
}

fn recovery_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let letters: Vec<char> =
        (0..CODE_LEN).map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())])).collect();
    letters.chunks(4).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// A recovery code as typed, in the form it was hashed in: lowercase, without separators.
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// Whether `code` looks like a recovery code (and not like an authenticator code).
pub fn is_recovery_code(code: &str) -> bool {
    normalize_recovery_code(code).len() == CODE_LEN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_one_step_either_way_but_not_two() {
        let secret = new_secret();
        let now = 1_700_000_000;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(matching_step(&secret, &code, now), Some(now / STEP_SECONDS));
        assert_eq!(matching_step(&secret, &code, now + STEP_SECONDS), Some(now / STEP_SECONDS));
        assert_eq!(matching_step(&secret, &code, now + 2 * STEP_SECONDS), None);
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn the_qr_code_is_an_svg_without_script_or_style() {
        let url = otpauth_url(&new_secret(), "Runnel: demo", "jsmith").unwrap();
        assert!(url.starts_with("otpauth://totp/") && url.contains("issuer=Runnel"), "{url}");
        let svg = qr_svg(&url).unwrap();
        assert!(svg.starts_with("<svg class=\"rn-qr\"") && svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("<script") && !svg.contains("style"), "{svg}");
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_back_in_any_case_and_grouping() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(codes.iter().collect::<std::collections::BTreeSet<_>>().len(), RECOVERY_CODES);
        let typed = codes[0].to_uppercase().replace('-', " ");
        assert_eq!(normalize_recovery_code(&typed), codes[0].replace('-', ""));
        assert!(is_recovery_code(&typed) && !is_recovery_code("123456"));
    }
}
