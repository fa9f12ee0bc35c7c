//! The authenticator, as scripts see it (names follow Streamlit-Authenticator):
//! `let auth = authenticator();` then `auth.login()`, `auth.logout()`, `auth.register_user()`,
//! `auth.reset_password()`, `auth.forgot_password()`, `auth.reset_password_with_code()`,
//! `auth.forgot_username()`,
//! `auth.update_user_details()`, `auth.require_role(role)` and `auth.logout_everywhere()`.
//!
//! `login`, `logout` and `logout_everywhere` take `keep: ["key", …]`: the only `state` keys that
//! survive the session reset of that login or logout. It travels with the drawn form
//! ([`AuthFormSpec`]) because the host applies it when the form is posted.
//!
//! Recovery is two forms: `forgot_password()` returns, for a real account only, the username,
//! email and a single-use reset `code` for the script to deliver (by email, say); the visitor
//! sees one fixed notice either way. `reset_password_with_code()` takes the username, the code
//! and a new password, and returns `true` once the password is changed. The same holds for
//! `register_user()`: a new account's details go to the script, the page says the same for a
//! taken username (unless the operator chose `reveal_taken_usernames`). A script keeps that
//! promise by delivering these values, never showing them.
//!
//! These functions only draw forms and report results. Checking passwords, logging in and
//! out and writing the credentials file happen in the host (`crate::auth`) when a form is
//! posted, before the run that shows the result; who is logged in comes from the host too.

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, ImmutableString, Map, NativeCallContext, Position};
use serde_json::Value;

use super::context::{self, STOP};
use super::convert;
use super::options::{Options, error};
use crate::page::{AlertKind, AuthField, AuthFormView, ContainerId, Element, MAIN, SIDEBAR};
use crate::session_state::{AUTH_KEYS, AuthAction, AuthFormSpec, AuthRun, Viewer, WidgetRecord, WidgetSpec};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// A handle to the host's authenticator. It holds nothing itself.
#[derive(Debug, Clone, Copy)]
pub struct Authenticator;

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Authenticator>("Authenticator");
    engine.register_fn("authenticator", |ctx: NativeCallContext| -> Res<Authenticator> {
        let enabled = context::with(|c| c.auth.enabled)?;
        if !enabled {
            let message = "authenticator() needs a credentials file: start Runnel with --credentials FILE";
            return Err(error(message.into(), ctx.call_position()));
        }
        Ok(Authenticator)
    });
    macro_rules! method {
        ($name:expr, $f:expr) => {
            engine.register_fn($name, |ctx: NativeCallContext, _: &mut Authenticator| $f(&ctx, Map::new()));
            engine.register_fn($name, |ctx: NativeCallContext, _: &mut Authenticator, opts: Map| $f(&ctx, opts));
        };
    }
    method!("login", login);
    method!("logout", logout);
    method!("logout_everywhere", logout_everywhere);
    method!("register_user", register_user);
    method!("reset_password", reset_password);
    method!("forgot_password", forgot_password);
    method!("reset_password_with_code", reset_password_with_code);
    method!("forgot_username", forgot_username);
    method!("update_user_details", update_user_details);
    method!("enroll_totp", super::totp::enroll_totp);
    engine.register_fn("require_role", |ctx: NativeCallContext, _: &mut Authenticator, role: ImmutableString| {
        require_role(&ctx, &role)
    });
}

/// With the authenticator on, rewrites the auth keys of `state` from the verified viewer: a
/// script's writes to them never outlive the run. `authentication_status` is `()` when nobody is logged in, `false`
/// right after a failed login, `true` when logged in.
pub fn write_auth_keys(state: &mut Map, auth: &AuthRun) {
    if !auth.enabled {
        // Without a credentials file these are ordinary keys of the script's.
        return;
    }
    for key in AUTH_KEYS {
        state.remove(key);
    }
    let failed_login = matches!(&auth.outcome,
        Some(o) if matches!(o.action, AuthAction::Login | AuthAction::LoginCode) && o.result.is_err());
    match &auth.viewer {
        Some(viewer) => {
            state.insert("authentication_status".into(), Dynamic::TRUE);
            for (key, value) in viewer_map(viewer) {
                state.insert(key, value);
            }
        }
        None if failed_login => {
            state.insert("authentication_status".into(), Dynamic::FALSE);
        }
        None => {}
    }
}

fn viewer_map(viewer: &Viewer) -> Map {
    let json = serde_json::json!({
        "username": viewer.username, "name": viewer.name, "email": viewer.email, "roles": viewer.roles,
    });
    convert::to_dynamic(&json).try_cast::<Map>().unwrap_or_default()
}

/// Password and username recovery answer the same whether or not the account exists.
const RECOVERY_SENT: &str = "If that account exists, its owner will be contacted.";

/// Registration answers the same whether or not the username was free (by default).
const REGISTRATION_RECEIVED: &str = "Registration received. If this username was free, you can log in with it now.";

/// Options every form takes.
const COMMON: &[&str] = &["location", "fields", "callback", "clear_on_submit", "key"];

/// One form call: its options, where it draws, and what the host said about its last post.
pub(super) struct FormCall {
    action: AuthAction,
    pub(super) opts: Options,
    target: ContainerId,
    pub(super) pos: Position,
    pub(super) viewer: Option<Viewer>,
    /// The `key` option: it tells apart two forms of one action on a page.
    pub(super) key: Option<String>,
    /// `Some(Ok(value))` or `Some(Err(message))` when this run answers this form's post.
    pub(super) outcome: Option<Result<Value, String>>,
    /// What was typed into this form's non-secret fields, to show again (empty with
    /// `clear_on_submit: true`).
    entered: Vec<(String, String)>,
}

impl FormCall {
    pub(super) fn new(ctx: &NativeCallContext, action: AuthAction, opts: Map, extra: &[&str]) -> Res<Self> {
        let pos = ctx.call_position();
        let opts = Options::new(opts, pos, &[COMMON, extra].concat())?;
        let target = match opts.string("location")?.as_deref() {
            None | Some("main") => MAIN,
            Some("sidebar") => SIDEBAR,
            Some(other) => return Err(error(format!("location must be \"main\" or \"sidebar\", not {other:?}"), pos)),
        };
        let key = opts.key()?;
        // Cleared by default (Streamlit-Authenticator keeps them): recovery and registration then
        // answer with exactly the same page whatever was typed.
        let clear = opts.bool("clear_on_submit", true)?;
        let (viewer, posted) = context::with(|c| {
            let posted = c.auth.outcome.as_ref().filter(|o| o.action == action && o.key == key).cloned();
            (c.auth.viewer.clone(), posted)
        })?;
        let entered = posted.as_ref().filter(|_| !clear).map(|o| o.entered.clone()).unwrap_or_default();
        let outcome = posted.map(|o| o.result);
        Ok(Self { action, opts, target, pos, viewer, key, outcome, entered })
    }

    /// A label from the `fields` option (Streamlit-Authenticator's names), else the default.
    pub(super) fn label(&self, name: &str, default: &str) -> Res<String> {
        let Some(fields) = self.opts.raw("fields") else { return Ok(default.to_owned()) };
        let Some(map) = fields.clone().try_cast::<Map>() else {
            return Err(error("option `fields` must be a map of labels".into(), self.pos));
        };
        Ok(map.get(name).map(convert::display).unwrap_or_else(|| default.to_owned()))
    }

    /// A field labelled `label`, or what the `fields` option gives under that name.
    pub(super) fn field(
        &self,
        name: &'static str,
        label: &str,
        input: &'static str,
        autocomplete: &'static str,
    ) -> Res<AuthField> {
        let typed = self.entered.iter().find(|(field, _)| field == name).map(|(_, value)| value.clone());
        let value = typed.filter(|_| input != "password").unwrap_or_default();
        Ok(AuthField { name, label: self.label(label, label)?, input, autocomplete, value })
    }

    /// Records the form for its page (so its post is accepted) and draws it.
    pub(super) fn draw(
        &self,
        title: String,
        fields: Vec<AuthField>,
        submit: String,
        spec: AuthFormSpec,
        success: Option<String>,
    ) -> Res<()> {
        let success = success.filter(|_| matches!(self.outcome, Some(Ok(_))));
        self.draw_view(self.view(title, fields, submit, success), spec)
    }

    /// The form's view, with the error of this run's post if it failed.
    pub(super) fn view(
        &self,
        title: String,
        fields: Vec<AuthField>,
        submit: String,
        success: Option<String>,
    ) -> AuthFormView {
        let error = self.outcome.as_ref().and_then(|o| o.as_ref().err().cloned());
        AuthFormView {
            action: self.action.name(),
            key: self.key.clone(),
            title,
            fields,
            submit,
            error,
            success,
            totp: None,
            recovery_codes: Vec::new(),
        }
    }

    /// Records the form for its page (so its post is accepted) and draws `view`.
    pub(super) fn draw_view(&self, view: AuthFormView, spec: AuthFormSpec) -> Res<()> {
        let record = WidgetRecord {
            spec: WidgetSpec::AuthForm { form: spec },
            value: Value::Null,
            key: None,
            callback: None,
            form: None,
            fragment: None,
        };
        context::try_with(|c| {
            c.register_widget(&self.action.widget_id(self.key.as_deref()), record, self.pos)?;
            c.page.push(self.target, Element::AuthForm(view));
            Ok(())
        })
    }

    /// The success value of this run's post, after calling the `callback` option with it.
    pub(super) fn succeeded(&self, ctx: &NativeCallContext, widget: &str) -> Res<Option<Dynamic>> {
        let Some(Ok(value)) = &self.outcome else { return Ok(None) };
        let result = convert::to_dynamic(value);
        self.call_back(ctx, widget, result.clone())?;
        Ok(Some(result))
    }

    /// Calls the `callback` option, if any, with `#{ widget, result }`.
    pub(super) fn call_back(&self, ctx: &NativeCallContext, widget: &str, result: Dynamic) -> Res<()> {
        if let Some(callback) = self.opts.raw("callback") {
            let Some(function) = callback.clone().try_cast::<FnPtr>() else {
                return Err(error(
                    "option `callback` must be a function pointer such as Fn(\"name\")".into(),
                    self.pos,
                ));
            };
            let mut argument = Map::new();
            argument.insert("widget".into(), widget.into());
            argument.insert("result".into(), result);
            let _: Dynamic = function.call_within_context(ctx, (argument,))?;
        }
        Ok(())
    }

    /// The `keep` option of a login or logout: the `state` keys that survive its session reset.
    /// The auth keys cannot be kept: they always come from the login.
    fn keeping(&self) -> Res<AuthFormSpec> {
        let keep = self.opts.strings("keep")?.unwrap_or_default();
        if let Some(key) = keep.iter().find(|k| AUTH_KEYS.contains(&k.as_str())) {
            let message = format!("option `keep` cannot name {key:?}: the auth keys always come from the login");
            return Err(error(message, self.pos));
        }
        Ok(AuthFormSpec { keep, ..AuthFormSpec::default() })
    }

    fn spec(&self) -> Res<AuthFormSpec> {
        Ok(AuthFormSpec {
            min_password_len: self.opts.int("password_min_length")?.unwrap_or(8).clamp(1, 1024) as usize,
            strong_password: self.opts.bool("password_strong", false)?,
            ..AuthFormSpec::default()
        })
    }
}

fn login(ctx: &NativeCallContext, opts: Map) -> Res<Dynamic> {
    let mut call = FormCall::new(ctx, AuthAction::Login, opts.clone(), &["keep"])?;
    let code_call = FormCall::new(ctx, AuthAction::LoginCode, opts, &["keep"])?;
    let spec = call.keeping()?;
    if let Some(viewer) = &call.viewer {
        call.succeeded(ctx, "Login")?;
        code_call.succeeded(ctx, "Login")?;
        return Ok(viewer_map(viewer).into());
    }
    if context::with(|c| c.auth.second_factor.login_pending)? {
        // The password was right; the login waits for the second factor.
        let fields = vec![code_call.field("code", "Authentication code", "text", "one-time-code")?];
        let (title, submit) = (code_call.label("Form name", "Login")?, code_call.label("Verify", "Verify")?);
        code_call.draw(title, fields, submit, spec, None)?;
        return Ok(Dynamic::UNIT);
    }
    // A code that came too late shows its message on the password form.
    call.outcome = call.outcome.take().or(code_call.outcome);
    let fields = vec![
        call.field("username", "Username", "text", "username")?,
        call.field("password", "Password", "password", "current-password")?,
    ];
    let (title, submit) = (call.label("Form name", "Login")?, call.label("Login", "Login")?);
    call.draw(title, fields, submit, spec, None)?;
    Ok(Dynamic::UNIT)
}

fn logout(ctx: &NativeCallContext, opts: Map) -> Res<()> {
    let call = FormCall::new(ctx, AuthAction::Logout, opts, &["button_name", "keep"])?;
    let spec = call.keeping()?;
    call.succeeded(ctx, "Logout")?;
    if call.viewer.is_some() {
        let label = call.opts.string("button_name")?.unwrap_or_else(|| "Logout".into());
        call.draw(String::new(), Vec::new(), label, spec, None)?;
    }
    Ok(())
}

fn logout_everywhere(ctx: &NativeCallContext, opts: Map) -> Res<()> {
    let call = FormCall::new(ctx, AuthAction::LogoutEverywhere, opts, &["button_name", "keep"])?;
    let spec = call.keeping()?;
    call.succeeded(ctx, "Logout everywhere")?;
    if call.viewer.is_some() {
        let label = call.opts.string("button_name")?.unwrap_or_else(|| "Log out everywhere".into());
        call.draw(String::new(), Vec::new(), label, spec, None)?;
    }
    Ok(())
}

fn register_user(ctx: &NativeCallContext, opts: Map) -> Res<Dynamic> {
    let extra =
        ["pre_authorized", "domains", "roles", "password_min_length", "password_strong", "merge_username_email"];
    let call = FormCall::new(ctx, AuthAction::RegisterUser, opts, &extra)?;
    let mut spec = call.spec()?;
    spec.merge_username_email = call.opts.bool("merge_username_email", false)?;
    spec.domains = string_list(&call, "domains")?;
    spec.roles = string_list(&call, "roles")?;
    match call.opts.raw("pre_authorized") {
        None => {}
        Some(flag) if flag.is_bool() => spec.file_pre_authorized = flag.as_bool().unwrap_or(false),
        Some(_) => spec.allowed_emails = Some(string_list(&call, "pre_authorized")?),
    }
    let mut fields = vec![
        call.field("first_name", "First name", "text", "given-name")?,
        call.field("last_name", "Last name", "text", "family-name")?,
        call.field("email", "Email", "email", "email")?,
    ];
    if !spec.merge_username_email {
        fields.push(call.field("username", "Username", "text", "username")?);
    }
    fields.push(call.field("new_password", "Password", "password", "new-password")?);
    fields.push(call.field("new_password_repeat", "Repeat password", "password", "new-password")?);
    let (title, submit) = (call.label("Form name", "Register user")?, call.label("Register", "Register")?);
    let done = Some(REGISTRATION_RECEIVED.to_owned());
    call.draw(title, fields, submit, spec, done)?;
    Ok(call.succeeded(ctx, "Register user")?.unwrap_or(Dynamic::UNIT))
}

fn reset_password(ctx: &NativeCallContext, opts: Map) -> Res<bool> {
    let call = FormCall::new(ctx, AuthAction::ResetPassword, opts, &["password_min_length", "password_strong"])?;
    if call.viewer.is_none() {
        return Err(error("reset_password() needs a logged-in user: call it after login()".into(), call.pos));
    }
    let fields = vec![
        call.field("password", "Current password", "password", "current-password")?,
        call.field("new_password", "New password", "password", "new-password")?,
        call.field("new_password_repeat", "Repeat password", "password", "new-password")?,
    ];
    let (title, submit) = (call.label("Form name", "Reset password")?, call.label("Reset", "Reset")?);
    let spec = call.spec()?;
    call.draw(title, fields, submit, spec, Some("Password changed. Your other sessions were logged out.".into()))?;
    Ok(call.succeeded(ctx, "Reset password")?.is_some())
}

fn forgot_password(ctx: &NativeCallContext, opts: Map) -> Res<Dynamic> {
    recovery(ctx, opts, AuthAction::ForgotPassword, ("username", "Username", "text", "username"), "Forgot password")
}

/// The second step of recovery: the code the user received and a new password.
fn reset_password_with_code(ctx: &NativeCallContext, opts: Map) -> Res<bool> {
    let extra = ["password_min_length", "password_strong"];
    let call = FormCall::new(ctx, AuthAction::ResetPasswordWithCode, opts, &extra)?;
    let fields = vec![
        call.field("username", "Username", "text", "username")?,
        call.field("code", "Reset code", "text", "one-time-code")?,
        call.field("new_password", "New password", "password", "new-password")?,
        call.field("new_password_repeat", "Repeat password", "password", "new-password")?,
    ];
    let (title, submit) = (call.label("Form name", "Reset password with code")?, call.label("Reset", "Reset")?);
    let done = "Password changed. Log in with the new password; all other sessions were logged out.";
    call.draw(title, fields, submit, call.spec()?, Some(done.into()))?;
    Ok(call.succeeded(ctx, "Reset password with code")?.is_some())
}

fn forgot_username(ctx: &NativeCallContext, opts: Map) -> Res<Dynamic> {
    recovery(ctx, opts, AuthAction::ForgotUsername, ("email", "Email", "email", "email"), "Forgot username")
}

/// A recovery form: one field; the same notice on the page whether or not the account exists,
/// and the host's result for the script (and its callback) only for a real account.
fn recovery(
    ctx: &NativeCallContext,
    opts: Map,
    action: AuthAction,
    (name, label, input, autocomplete): (&'static str, &str, &'static str, &'static str),
    form_name: &str,
) -> Res<Dynamic> {
    let call = FormCall::new(ctx, action, opts, &[])?;
    let fields = vec![call.field(name, label, input, autocomplete)?];
    let (title, submit) = (call.label("Form name", form_name)?, call.label("Submit", "Submit")?);
    call.draw(title, fields, submit, AuthFormSpec::default(), Some(RECOVERY_SENT.into()))?;
    Ok(call.succeeded(ctx, form_name)?.unwrap_or(Dynamic::UNIT))
}

fn update_user_details(ctx: &NativeCallContext, opts: Map) -> Res<bool> {
    let call = FormCall::new(ctx, AuthAction::UpdateUserDetails, opts, &[])?;
    let Some(viewer) = call.viewer.clone() else {
        return Err(error("update_user_details() needs a logged-in user: call it after login()".into(), call.pos));
    };
    let (first, last) = viewer.name.split_once(' ').unwrap_or((viewer.name.as_str(), ""));
    let mut fields = vec![
        call.field("first_name", "First name", "text", "given-name")?,
        call.field("last_name", "Last name", "text", "family-name")?,
        call.field("email", "Email", "email", "email")?,
    ];
    for (field, value) in fields.iter_mut().zip([first, last, viewer.email.as_str()]) {
        field.value = value.to_owned();
    }
    let (title, submit) = (call.label("Form name", "Update user details")?, call.label("Update", "Update")?);
    call.draw(title, fields, submit, AuthFormSpec::default(), Some("Details updated.".into()))?;
    Ok(call.succeeded(ctx, "Update user details")?.is_some())
}

/// Stops the run with a clear message unless the viewer has `role`; returns the viewer.
fn require_role(ctx: &NativeCallContext, role: &str) -> Res<Dynamic> {
    let pos = ctx.call_position();
    let viewer = context::with(|c| c.auth.viewer.clone())?;
    let message = match &viewer {
        Some(v) if v.roles.iter().any(|r| r == role) => return Ok(viewer_map(v).into()),
        Some(_) => format!("Not allowed: this page needs the role \"{role}\"."),
        None => "Not allowed: log in to see this page.".to_owned(),
    };
    let body = super::display::markdown(&message);
    context::with(|c| c.page.push(MAIN, Element::Alert { kind: AlertKind::Error, body }))?;
    Err(context::end_run(STOP, pos))
}

fn string_list(call: &FormCall, name: &str) -> Res<Vec<String>> {
    let Some(value) = call.opts.raw(name) else { return Ok(Vec::new()) };
    let Some(list) = value.clone().try_cast::<rhai::Array>() else {
        return Err(error(format!("option `{name}` must be an array of strings"), call.pos));
    };
    Ok(list.iter().map(convert::display).collect())
}
