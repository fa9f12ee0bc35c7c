//! What survives reruns: the state map, the widgets each page drew last and their values,
//! and how an event from the browser is checked and applied before the next run.
//! Plain data and pure functions: no Rhai, no HTTP, no store.

mod auth;
mod calendar;
mod event;
mod form;
mod spec;
mod upload;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use auth::{
    AUTH_KEYS, AuthAction, AuthFormSpec, AuthOutcome, AuthRequest, AuthRun, EnrolmentView, KEPT_FIELDS, ListedSession,
    MAX_AUTH_REQUESTS, PendingEnrolment, PendingLogin, SecondFactorView, Viewer,
};
pub use calendar::{add_years, datetime_text, parse_color, parse_date, parse_datetime, parse_time, time_text};
pub use event::{AppliedEvent, Event, EventError, apply_event};
pub use spec::{WidgetSpec, widget_id};
pub use upload::{CHECKED_TYPES, UploadedFile, bytes_of, stored_size};

/// Everything kept for one browser session, stored as one JSON document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionData {
    /// The script-visible `state` map, shared by all pages of the session.
    #[serde(default)]
    pub state: serde_json::Map<String, Value>,
    /// Per page: the widgets drawn in its last run, by widget id.
    #[serde(default)]
    pub pages: BTreeMap<String, PageWidgets>,
    /// The rendered result of a form POST made without JavaScript, shown once by the GET that
    /// follows its redirect (a rerun there would lose the button press).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash: Option<Flash>,
    /// The ids of the last events applied, newest last: a retried event is applied once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_events: Vec<String>,
    /// A login whose password was right and that waits for its second factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_login: Option<PendingLogin>,
    /// A TOTP enrolment that waits for its first code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_enrolment: Option<PendingEnrolment>,
    /// Per page: the fragments its last full run drew, by fragment id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fragments: BTreeMap<String, PageFragments>,
}

/// The fragments one page drew in its last full run.
pub type PageFragments = BTreeMap<String, FragmentRecord>;

/// What a rerun of one fragment needs: its shell (function, id, timer, dialog look), its
/// element id in the page the browser holds, and its nesting depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FragmentRecord {
    pub shell: crate::page::FragmentShell,
    pub path: String,
    pub depth: usize,
}

impl SessionData {
    /// The fragment `id` of `page`, as its last full run drew it.
    pub fn fragment(&self, page: &str, id: &str) -> Option<&FragmentRecord> {
        self.fragments.get(page)?.get(id)
    }

    /// The fragment whose rerun an event on `widget` of `page` asks for, if the widget lies in one.
    pub fn fragment_of_widget(&self, page: &str, widget: &str) -> Option<&FragmentRecord> {
        let id = self.pages.get(page)?.get(widget)?.fragment.as_deref()?;
        self.fragment(page, id)
    }
}

/// How many event ids a session remembers; a retry comes within a few events.
const REMEMBERED_EVENTS: usize = 32;

impl SessionData {
    /// What a login or logout leaves of the session: an empty session that holds only the
    /// `state` keys named in `keep` (never an auth key). Widget records, the flash and the
    /// applied events all go; a keyed widget finds its kept value in `state[key]`.
    pub fn reset_keeping(&self, keep: &[String]) -> Self {
        let kept = keep.iter().filter(|key| !AUTH_KEYS.contains(&key.as_str()));
        let state = kept.filter_map(|key| Some((key.clone(), self.state.get(key)?.clone()))).collect();
        Self { state, ..Self::default() }
    }

    /// The bytes of uploaded files the session holds now.
    pub fn upload_bytes(&self) -> u64 {
        let records = self.pages.values().flat_map(|widgets| widgets.values());
        records.filter(|r| matches!(r.spec, WidgetSpec::Files { .. })).map(|r| stored_size(&r.value)).sum()
    }

    /// The bytes of uploaded files the session would hold once `event` replaced the files of
    /// its widget on `page` (for the per-session upload cap).
    pub fn upload_bytes_after(&self, page: &str, event: &Event) -> u64 {
        let kept: u64 = self
            .pages
            .iter()
            .flat_map(|(name, widgets)| widgets.iter().map(move |(id, record)| (name, id, record)))
            .filter(|(name, id, _)| !(name.as_str() == page && **id == event.widget))
            .filter(|(_, _, record)| matches!(record.spec, WidgetSpec::Files { .. }))
            .map(|(_, _, record)| stored_size(&record.value))
            .sum();
        kept + event.files.iter().map(|f| f.bytes.len() as u64).sum::<u64>()
    }

    /// Whether the event with this id was applied already.
    pub fn has_applied(&self, event_id: &str) -> bool {
        self.applied_events.iter().any(|id| id == event_id)
    }

    /// Remembers an applied event's id (forgetting the oldest beyond a few dozen).
    pub fn remember_event(&mut self, event_id: String) {
        if self.has_applied(&event_id) {
            return;
        }
        self.applied_events.push(event_id);
        let excess = self.applied_events.len().saturating_sub(REMEMBERED_EVENTS);
        self.applied_events.drain(..excess);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flash {
    pub page: String,
    pub html: String,
    /// What the run set with `page_config` (title and icon of the document).
    #[serde(default)]
    pub config: crate::page::PageConfig,
}

/// The widgets one page drew in its last run.
pub type PageWidgets = BTreeMap<String, WidgetRecord>;

/// One widget as drawn in the last run: its domain, current value and callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetRecord {
    pub spec: WidgetSpec,
    pub value: Value,
    /// The `key` option, whose value is mirrored in `state[key]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
    /// The key of the form the widget lies in: it changes only when that form is submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// The id of the fragment the widget lies in: an event on it reruns only that fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fragment: Option<String>,
}

impl WidgetRecord {
    /// The record as a run that failed before drawing the widget keeps it: its value, except a
    /// chat message, which was for that run only.
    pub fn kept(mut self) -> Self {
        if matches!(self.spec, WidgetSpec::Message { .. }) {
            self.value = Value::Null;
        }
        self
    }
}

/// A callback to run before the next rerun: a script function and its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    pub function: String,
    #[serde(default)]
    pub args: Vec<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_keeps_only_the_named_state_keys_and_never_an_auth_key() {
        let mut data = SessionData::default();
        for (key, value) in [("theme", "dark"), ("note", "private"), ("username", "jsmith")] {
            data.state.insert(key.into(), Value::from(value));
        }
        data.pages.entry("desk".into()).or_default();
        data.flash = Some(Flash { page: "desk".into(), html: "<p>done</p>".into(), config: Default::default() });
        data.remember_event("e1".into());
        let keep = ["theme", "username", "absent"].map(String::from);
        let reset = data.reset_keeping(&keep);
        let mut expected = SessionData::default();
        expected.state.insert("theme".into(), Value::from("dark"));
        assert_eq!(reset, expected);
    }
}
