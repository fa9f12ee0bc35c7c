//! An interaction from the browser, and applying it to the stored widgets before the rerun.

use super::{Callback, SessionData};

/// One interaction: which widget, and the raw values its form sent. A form's submit also
/// carries the values of every widget in the form (`fields`), applied together or not at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    pub widget: String,
    pub values: Vec<String>,
    /// Widget id -> raw values, for the widgets of a submitted form.
    pub fields: Vec<(String, Vec<String>)>,
    /// Chosen by the browser for each interaction and kept on retries, so that an event
    /// whose answer was lost is applied once however often it is sent.
    pub id: Option<String>,
    /// The files of a multipart event (a `file_uploader`'s).
    pub files: Vec<super::UploadedFile>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EventError {
    /// Also what a stale page gets, e.g. a logged-in page after a logout in another tab.
    #[error(
        "unknown widget {0:?} on this page. The page may be out of date (for example after a logout in another \
         tab): reload the page."
    )]
    UnknownWidget(String),
    #[error("invalid value for {widget:?}: {reason}")]
    InvalidValue { widget: String, reason: String },
}

/// What the rerun must know about an applied event.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedEvent {
    /// The widget id, when it was a button (true for exactly the next run).
    pub pressed: Option<String>,
    pub callback: Option<Callback>,
}

/// Checks the event against the widget's domain and sets its value (and `state[key]`).
/// On error nothing is changed.
pub fn apply_event(data: &mut SessionData, page: &str, event: &Event) -> Result<AppliedEvent, EventError> {
    let form = data.pages.get(page).and_then(|w| w.get(&event.widget)).and_then(|r| r.form.clone());
    if let Some(form) = form {
        if !event.files.is_empty() {
            let reason = "files are sent by their file uploader, outside a form".to_owned();
            return Err(EventError::InvalidValue { widget: event.widget.clone(), reason });
        }
        return super::form::apply_submit(data, page, event, &form);
    }
    if !event.fields.is_empty() {
        let reason = "only a form's submit button sends the values of other widgets".to_owned();
        return Err(EventError::InvalidValue { widget: event.widget.clone(), reason });
    }
    let record = data
        .pages
        .get_mut(page)
        .and_then(|widgets| widgets.get_mut(&event.widget))
        .ok_or_else(|| EventError::UnknownWidget(event.widget.clone()))?;
    let value = match &record.spec {
        super::WidgetSpec::Files { types, multiple, max_size } => {
            super::upload::parse_files(types, *multiple, *max_size, &event.values, &event.files)
        }
        _ if !event.files.is_empty() => Err("this widget takes no files".to_owned()),
        spec => spec.parse(&event.values),
    }
    .map_err(|reason| EventError::InvalidValue { widget: event.widget.clone(), reason })?;
    let pressed = matches!(record.spec, super::WidgetSpec::Button).then(|| event.widget.clone());
    if pressed.is_none() {
        record.value = value.clone();
        if let Some(key) = &record.key {
            data.state.insert(key.clone(), value);
        }
    }
    let callback = record.callback.clone();
    Ok(AppliedEvent { pressed, callback })
}

impl AppliedEvent {
    pub fn none() -> Self {
        Self { pressed: None, callback: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session_state::{WidgetRecord, WidgetSpec};
    use serde_json::Value;

    fn data_with_slider() -> SessionData {
        let mut data = SessionData::default();
        let record = WidgetRecord {
            spec: WidgetSpec::IntRange { min: 0, max: 10 },
            value: Value::from(3),
            key: Some("speed".into()),
            callback: None,
            form: None,
            fragment: None,
        };
        data.pages.entry("p".into()).or_default().insert("slider:key:speed".into(), record);
        data
    }

    #[test]
    fn a_valid_value_sets_the_widget_and_its_state_key() {
        let mut data = data_with_slider();
        let event = Event { widget: "slider:key:speed".into(), values: vec!["9".into()], ..Event::default() };
        apply_event(&mut data, "p", &event).unwrap();
        assert_eq!(data.pages["p"]["slider:key:speed"].value, Value::from(9));
        assert_eq!(data.state["speed"], Value::from(9));
    }

    #[test]
    fn an_invalid_value_changes_nothing() {
        let mut data = data_with_slider();
        let before = data.clone();
        let event = Event { widget: "slider:key:speed".into(), values: vec!["99".into()], ..Event::default() };
        assert!(matches!(apply_event(&mut data, "p", &event), Err(EventError::InvalidValue { .. })));
        assert_eq!(data, before);
    }

    #[test]
    fn an_unknown_widget_is_refused() {
        let mut data = data_with_slider();
        let event = Event { widget: "slider:nope".into(), values: vec!["1".into()], ..Event::default() };
        assert_eq!(apply_event(&mut data, "p", &event), Err(EventError::UnknownWidget("slider:nope".into())));
    }
}
