//! `auth.enroll_totp(#{ issuer })`: the logged-in viewer's second factor, as one widget. With
//! TOTP off it draws a button that starts an enrolment; while one is pending, the QR code, the
//! secret for typing in by hand and a code field; a right code turns TOTP on and that one run
//! shows the recovery codes; with TOTP on, a form that turns it off with a current code or the
//! password. Returns whether TOTP is on. The host does all the checking (`crate::auth`): the
//! pending secret stays in the server-side session, never in the form.

use rhai::{Dynamic, EvalAltResult, Map, NativeCallContext};

use super::auth::FormCall;
use super::context;
use super::options::error;
use crate::page::TotpSetup;
use crate::session_state::{AuthAction, AuthFormSpec};

type Res<T> = Result<T, Box<EvalAltResult>>;

const ENABLED: &str = "Two-factor authentication is on. Save these recovery codes now, somewhere safe: each \
     one logs you in once in place of a code, and they are not shown again.";
const DISABLED: &str = "Two-factor authentication is off.";
const WIDGET: &str = "Enroll TOTP";

pub(super) fn enroll_totp(ctx: &NativeCallContext, opts: Map) -> Res<bool> {
    let extra = ["issuer"];
    let begin = FormCall::new(ctx, AuthAction::EnrollTotp, opts.clone(), &extra)?;
    if begin.viewer.is_none() {
        return Err(error("enroll_totp() needs a logged-in user: call it after login()".into(), begin.pos));
    }
    let issuer = issuer(&begin)?;
    let confirm = FormCall::new(ctx, AuthAction::ConfirmTotp, opts.clone(), &extra)?;
    let disable = FormCall::new(ctx, AuthAction::DisableTotp, opts, &extra)?;
    let view = context::with(|c| c.auth.second_factor.clone())?;
    let title = begin.label("Form name", "Two-factor authentication")?;
    if view.enrolled {
        let codes = recovery_codes(&confirm);
        let fields = vec![disable.field("code_or_password", "Authenticator code or password", "password", "off")?];
        let mut form = disable.view(title, fields, disable.label("Disable", "Turn off")?, None);
        if !codes.is_empty() {
            form.success = Some(ENABLED.into());
            form.recovery_codes = codes;
            confirm.call_back(ctx, WIDGET, Dynamic::TRUE)?;
        }
        disable.draw_view(form, AuthFormSpec::default())?;
        return Ok(true);
    }
    if let Some(enrolment) = view.enrolment {
        let fields = vec![confirm.field("code", "Code from the app", "text", "one-time-code")?];
        let mut form = confirm.view(title, fields, confirm.label("Confirm", "Turn on")?, None);
        form.totp = Some(TotpSetup { qr_svg: enrolment.qr_svg, secret: enrolment.secret });
        confirm.draw_view(form, AuthFormSpec::default())?;
        return Ok(false);
    }
    let success = matches!(disable.outcome, Some(Ok(_))).then(|| DISABLED.to_owned());
    if success.is_some() {
        disable.call_back(ctx, WIDGET, Dynamic::FALSE)?;
    }
    let mut form = begin.view(title, Vec::new(), begin.label("Enroll", "Set up two-factor authentication")?, success);
    // A confirmation that came after the enrolment expired says so here.
    form.error = form.error.or_else(|| confirm.outcome.as_ref().and_then(|o| o.as_ref().err().cloned()));
    begin.draw_view(form, AuthFormSpec { issuer, ..AuthFormSpec::default() })?;
    Ok(false)
}

/// The `issuer` option: the name an authenticator app lists the account under.
fn issuer(call: &FormCall) -> Res<Option<String>> {
    let issuer = call.opts.string("issuer")?;
    match issuer {
        Some(name) if name.trim().is_empty() || name.chars().count() > 64 => {
            Err(error("option `issuer` must be a name of 1 to 64 characters".into(), call.pos))
        }
        _ => Ok(issuer.map(|name| name.trim().to_owned())),
    }
}

/// The recovery codes of a confirmation this run answers (for this run only).
fn recovery_codes(confirm: &FormCall) -> Vec<String> {
    let Some(Ok(value)) = &confirm.outcome else { return Vec::new() };
    let codes = value.get("recovery_codes").and_then(|codes| codes.as_array());
    codes.map(|codes| codes.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}
