//! The status elements over HTTP: the example page's job shows its finished status, bar and
//! toast, a failed job shows the exception, and a bad value changes nothing, on both stores.

use crate::client::{Session, start};
use crate::{StoreKind, both_stores};

both_stores!(the_status_page_shows_a_finished_job_then_a_failed_one_and_refuses_a_bad_value);

const PAGE: &str = "status";
const RUN: &str = "button:Run the job";

async fn the_status_page_shows_a_finished_job_then_a_failed_one_and_refuses_a_bad_value(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let first = session.open("/status").await;
    assert_eq!(first.status, 200);
    assert!(!first.body.contains("rn-status"), "no job has run yet");
    // One step keeps the job short.
    assert_eq!(session.send(PAGE, "slider:Steps", &["1"]).await.status, 200);

    let done = session.click(PAGE, RUN).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains(r#"class="rn-status rn-status-complete">"#), "{}", done.body);
    assert!(done.body.contains("Job done: <strong>10</strong> items"));
    assert!(done.body.contains(r#"aria-valuenow="100""#) && done.body.contains("Step 1 of 1"));
    assert!(
        done.body.contains(r#"class="rn-toast rn-toast-0""#) && done.body.contains("Job <strong>1</strong> finished")
    );
    assert!(!done.body.contains("rn-spinner"), "the spinner is gone when the run ends");
    assert_eq!(session.count_on("/status").await, "1");

    assert_eq!(session.send(PAGE, "checkbox:Let the last step fail", &["true"]).await.status, 200);
    let failed = session.click(PAGE, RUN).await;
    assert_eq!(failed.status, 200);
    assert!(failed.body.contains("rn-status rn-status-error") && failed.body.contains("rn-exception"));
    assert!(failed.body.contains("the last step failed: no disk space left"));
    assert!(!failed.body.contains("rn-toast"));
    assert_eq!(session.count_on("/status").await, "1", "a failed job is not counted");

    let refused = session.send(PAGE, "slider:Steps", &["11"]).await;
    assert_eq!(refused.status, 422);
    let after = session.get("/status").await;
    assert!(after.body.contains(r#"min="1" max="10" step="1" value="1""#), "the slider keeps its last good value");
    assert_eq!(session.count_on("/status").await, "1");
}
