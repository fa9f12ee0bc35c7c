//! Benchmarks of the dashboard building blocks: rendering a 1,000-row table and a
//! 1,000-point chart, and rerunning a page shaped like Streamlit's typical demo.

use std::hint::black_box;
use std::time::Instant;

use runnel::config::ScriptLimits;
use runnel::render::{RenderContext, fragment};
use runnel::script::{CompiledScript, PageName, RunRequest, Runner};
use runnel::session_state::{Event, SessionData};

use super::{Dashboard, Latency, RERUN_ITERATIONS, RerunResult, print_rerun, us};

const BLOCK_ITERATIONS: usize = 300;

/// A script that builds 1,000 rows and draws them with `element`.
fn thousand_rows(element: &str) -> String {
    format!(
        r#"fn rows() {{ let out = []; for i in 0..1000 {{ out.push(#{{ x: i, y: (i * 37) % 101, name: `row ${{i}}` }}); }} out }}
           let data = cache("rows", 0, Fn("rows"), []);
           {element};"#
    )
}

/// Runs and renders `source` repeatedly; prints run and render percentiles.
fn measure_block(name: &str, source: &str) {
    let runner = Runner::new(ScriptLimits::default());
    let script = CompiledScript::from_source(runner.engine(), PageName::parse("block").expect("a page name"), source);
    let ctx = RenderContext {
        page: "block",
        csrf: "token",
        action: "/block/event".into(),
        base: "",
        media_key: &Default::default(),
    };
    let (mut runs, mut renders) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    for i in 0..BLOCK_ITERATIONS + 20 {
        let start = Instant::now();
        let output = runner.run(&script, &SessionData::default(), RunRequest::default()).expect("no event to refuse");
        let ran = Instant::now();
        assert!(output.page.error.is_none(), "{name}: {:?}", output.page.error);
        bytes = black_box(fragment(&output.page, &[], &ctx)).len();
        if i >= 20 {
            runs.push(ran - start);
            renders.push(ran.elapsed());
        }
    }
    let (run, render) = (Latency::of(&mut runs), Latency::of(&mut renders));
    println!("\n[render-blocks] {name}: {BLOCK_ITERATIONS} iterations, fragment {bytes} bytes");
    println!("  {:<16} {:>9} {:>9} {:>9} {:>9}", "", "p50 µs", "p99 µs", "mean µs", "max µs");
    for (label, l) in [("run (cached rows)", run), ("render", render)] {
        println!("  {label:<16} {:>9.1} {:>9.1} {:>9.1} {:>9.1}", us(l.p50), us(l.p99), us(l.mean), us(l.max));
    }
}

pub fn bench_render_blocks() {
    measure_block("table of 1,000 rows", &thousand_rows("table(data)"));
    measure_block("line chart of 1,000 points", &thousand_rows(r#"line_chart(data, #{ x: "x", y: "y" })"#));
}

/// The demo page: click the counter (a full rerun with a 200-row table and a 200-point chart).
pub fn bench_rerun_demo() -> RerunResult {
    let demo = Dashboard::load("demo", "scripts/05_demo.rhai");
    let click = Event { widget: demo.widget_id("Increment"), values: vec!["true".into()], ..Event::default() };
    let (total, run, render, html_bytes) = demo.measure(RERUN_ITERATIONS, |_| click.clone());
    let result = RerunResult { name: "demo", what: "click Increment", total, run, render, html_bytes };
    print_rerun(&result);
    result
}
