//! A headless harness: run a script with given widget values and inspect the page tree,
//! with no HTTP and no store. It goes through the same runner and event checks as the host.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::ScriptLimits;
use crate::page::Page;
use crate::script::{CompiledScript, PageName, RunRequest, Runner};
use crate::session_state::{Event, EventError, FragmentRecord, SessionData};

pub struct AppTest {
    runner: Runner,
    script: CompiledScript,
    data: SessionData,
    page: Page,
    /// What the last rerun of one fragment alone drew (its page holds only that fragment).
    part: Option<Page>,
    query: BTreeMap<String, String>,
}

impl AppTest {
    /// Compiles `source` as the page `name` and runs it once.
    pub fn from_source(source: &str) -> Self {
        Self::with_limits(source, ScriptLimits::default())
    }

    pub fn with_limits(source: &str, limits: ScriptLimits) -> Self {
        Self::with_runner(source, Runner::new(limits))
    }

    /// Like [`AppTest::from_source`], reading data files from `dir`.
    pub fn with_data_dir(source: &str, dir: impl Into<std::path::PathBuf>) -> Self {
        Self::with_runner(source, Runner::new(ScriptLimits::default()).with_data_dir(dir))
    }

    pub fn with_runner(source: &str, runner: Runner) -> Self {
        let script =
            CompiledScript::from_source(runner.engine(), PageName::parse("test").expect("a valid page name"), source);
        let (data, page, query) = (SessionData::default(), Page::new(), BTreeMap::new());
        let mut app = Self { runner, script, data, page, part: None, query };
        app.run();
        app
    }

    /// Reruns without an event (like a page refresh).
    pub fn run(&mut self) -> &Page {
        self.apply(None).expect("a run without an event cannot be refused")
    }

    /// Sends raw form values for a widget id, as the browser would.
    pub fn send(&mut self, widget: &str, values: &[&str]) -> Result<&Page, EventError> {
        let values = values.iter().map(|v| (*v).to_owned()).collect();
        self.apply(Some(Event { widget: widget.to_owned(), values, ..Event::default() }))
    }

    /// Clicks the button with this label.
    pub fn click(&mut self, label: &str) -> &Page {
        let id = self.widget_id(label);
        self.send(&id, &["true"]).expect("the button exists")
    }

    /// Sets the widget with this label from raw form values.
    pub fn set(&mut self, label: &str, values: &[&str]) -> Result<&Page, EventError> {
        let id = self.widget_id(label);
        self.send(&id, values)
    }

    /// Submits a form with its button labelled `button`, sending raw values for widgets by label.
    pub fn submit(&mut self, button: &str, fields: &[(&str, &[&str])]) -> Result<&Page, EventError> {
        let fields = fields
            .iter()
            .map(|(label, values)| (self.widget_id(label), values.iter().map(|v| (*v).to_owned()).collect()))
            .collect();
        let event =
            Event { widget: self.widget_id(button), values: vec!["true".into()], fields, id: None, files: Vec::new() };
        self.apply(Some(event))
    }

    pub fn page(&self) -> &Page {
        &self.page
    }

    pub fn data(&self) -> &SessionData {
        &self.data
    }

    /// A value of the state map, as JSON.
    pub fn state(&self, key: &str) -> Option<&serde_json::Value> {
        self.data.state.get(key)
    }

    pub fn set_query(&mut self, query: BTreeMap<String, String>) {
        self.query = query;
    }

    pub fn query(&self) -> &BTreeMap<String, String> {
        &self.query
    }

    fn widget_id(&self, label: &str) -> String {
        let in_part = self.part.as_ref().and_then(|p| p.widget(label));
        let widget = in_part.or_else(|| self.page.widget(label));
        widget.unwrap_or_else(|| panic!("no widget labelled {label:?} on the page")).id.clone()
    }

    /// Sends raw values for the widget with this label as the page's JavaScript does: a widget
    /// inside a fragment reruns only that fragment (see [`AppTest::part`]).
    pub fn set_in_fragment(&mut self, label: &str, values: &[&str]) -> Result<&Page, EventError> {
        let id = self.widget_id(label);
        let values = values.iter().map(|v| (*v).to_owned()).collect();
        let event = Event { widget: id.clone(), values, ..Event::default() };
        let part = self.data.fragment_of_widget(self.script.name.as_str(), &id).cloned();
        self.apply_part(Some(event), part)
    }

    /// Clicks the button with this label as the page's JavaScript does (see [`AppTest::set_in_fragment`]).
    pub fn click_in_fragment(&mut self, label: &str) -> &Page {
        self.set_in_fragment(label, &["true"]).expect("the button exists")
    }

    /// Reruns the fragment `id` alone, as its `run_every` timer does.
    pub fn rerun_fragment(&mut self, id: &str) -> &Page {
        let part = self.data.fragment(self.script.name.as_str(), id).cloned();
        let part = part.unwrap_or_else(|| panic!("no fragment {id:?} on the page"));
        self.apply_part(None, Some(part)).expect("a run without an event cannot be refused")
    }

    /// What the last rerun of a fragment alone drew; `None` after a full run.
    pub fn part(&self) -> Option<&Page> {
        self.part.as_ref()
    }

    fn apply_part(&mut self, event: Option<Event>, part: Option<FragmentRecord>) -> Result<&Page, EventError> {
        let Some(part) = part else { return self.apply(event) };
        let request = RunRequest { event, query: self.query.clone(), part: Some(part), ..RunRequest::default() };
        let output = self.runner.run(&self.script, &self.data, request)?;
        self.data = Arc::unwrap_or_clone(output.data);
        if let Some(query) = output.query {
            self.query = query;
        }
        if output.fragment.is_none() {
            // `rerun()` inside the fragment ran the whole page.
            self.page = output.page;
            self.part = None;
            return Ok(&self.page);
        }
        Ok(self.part.insert(output.page))
    }

    fn apply(&mut self, event: Option<Event>) -> Result<&Page, EventError> {
        let request = RunRequest { event, query: self.query.clone(), ..RunRequest::default() };
        let output = self.runner.run(&self.script, &self.data, request)?;
        self.data = Arc::unwrap_or_clone(output.data);
        self.page = output.page;
        self.part = None;
        if let Some(query) = output.query {
            self.query = query;
        }
        Ok(&self.page)
    }
}
