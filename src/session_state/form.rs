//! Submitting a form: the values of all its widgets arrive with the submit button and are
//! checked like single events. One bad value refuses the whole submit and changes nothing.

use serde_json::Value;

use super::{AppliedEvent, Event, EventError, SessionData, WidgetSpec};

/// Applies a submit of the form `form`. `event.widget` must be that form's submit button.
pub fn apply_submit(data: &mut SessionData, page: &str, event: &Event, form: &str) -> Result<AppliedEvent, EventError> {
    let widgets = data.pages.get(page).ok_or_else(|| EventError::UnknownWidget(event.widget.clone()))?;
    let submit = &widgets[&event.widget];
    if !matches!(submit.spec, WidgetSpec::Button) {
        let reason = format!("this widget is sent with the submit button of the form {form:?}");
        return Err(EventError::InvalidValue { widget: event.widget.clone(), reason });
    }
    let callback = submit.callback.clone();
    let mut updates: Vec<(String, Value)> = Vec::with_capacity(event.fields.len());
    for (id, raw) in &event.fields {
        let record = widgets
            .get(id)
            .filter(|r| r.form.as_deref() == Some(form))
            .ok_or_else(|| EventError::UnknownWidget(id.clone()))?;
        if matches!(record.spec, WidgetSpec::Button) {
            continue;
        }
        // A multiselect in a form sends an empty marker, so that "none selected" arrives too.
        let raw: Vec<String> = match record.spec {
            WidgetSpec::MultiChoice { .. } => raw.iter().filter(|v| !v.is_empty()).cloned().collect(),
            _ => raw.clone(),
        };
        let value =
            record.spec.parse(&raw).map_err(|reason| EventError::InvalidValue { widget: id.clone(), reason })?;
        updates.push((id.clone(), value));
    }
    // Every id in `updates` was found in this page's widgets above.
    let widgets = data.pages.entry(page.to_owned()).or_default();
    for (id, value) in updates {
        let Some(record) = widgets.get_mut(&id) else { continue };
        record.value = value.clone();
        if let Some(key) = &record.key {
            data.state.insert(key.clone(), value);
        }
    }
    Ok(AppliedEvent { pressed: Some(event.widget.clone()), callback })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session_state::{WidgetRecord, apply_event};

    fn record(spec: WidgetSpec, value: Value, key: Option<&str>) -> WidgetRecord {
        WidgetRecord {
            spec,
            value,
            key: key.map(str::to_owned),
            callback: None,
            form: Some("f".into()),
            fragment: None,
        }
    }

    fn data_with_form() -> SessionData {
        let mut data = SessionData::default();
        let page = data.pages.entry("p".into()).or_default();
        page.insert("slider:key:n".into(), record(WidgetSpec::IntRange { min: 0, max: 10 }, Value::from(1), Some("n")));
        page.insert("text_input:Name".into(), record(WidgetSpec::Text { max_chars: None }, Value::from(""), None));
        page.insert("form_submit_button:Send".into(), record(WidgetSpec::Button, Value::Bool(false), None));
        data
    }

    fn submit(fields: &[(&str, &str)]) -> Event {
        let fields = fields.iter().map(|(id, v)| ((*id).to_owned(), vec![(*v).to_owned()])).collect();
        Event { widget: "form_submit_button:Send".into(), values: vec![], fields, id: None, files: Vec::new() }
    }

    #[test]
    fn a_submit_sets_every_value_of_the_form_and_presses_its_button() {
        let mut data = data_with_form();
        let applied =
            apply_event(&mut data, "p", &submit(&[("slider:key:n", "7"), ("text_input:Name", "Ada")])).unwrap();
        assert_eq!(applied.pressed.as_deref(), Some("form_submit_button:Send"));
        assert_eq!(data.state["n"], Value::from(7));
        assert_eq!(data.pages["p"]["text_input:Name"].value, Value::from("Ada"));
    }

    #[test]
    fn one_bad_value_refuses_the_whole_submit_and_changes_nothing() {
        let mut data = data_with_form();
        let before = data.clone();
        let event = submit(&[("text_input:Name", "Ada"), ("slider:key:n", "99")]);
        assert!(matches!(apply_event(&mut data, "p", &event), Err(EventError::InvalidValue { .. })));
        assert_eq!(data, before);
    }

    #[test]
    fn a_single_event_for_a_widget_inside_a_form_is_refused() {
        let mut data = data_with_form();
        let event = Event { widget: "slider:key:n".into(), values: vec!["3".into()], ..Event::default() };
        assert!(matches!(apply_event(&mut data, "p", &event), Err(EventError::InvalidValue { .. })));
    }

    #[test]
    fn a_value_for_a_widget_outside_the_form_is_refused() {
        let mut data = data_with_form();
        let event = submit(&[("slider:key:other", "3")]);
        assert_eq!(apply_event(&mut data, "p", &event), Err(EventError::UnknownWidget("slider:key:other".into())));
    }
}
