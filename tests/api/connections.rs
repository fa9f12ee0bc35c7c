//! SQL connections over HTTP: the shop example reads the SQLite database shipped with the
//! examples (through the repository's own runnel.toml), and a failing query shows an error box
//! at its line, with no URL or password in the page or the log, while the rest keeps working.

use runnel::config::{RunArgs, Settings};

use crate::binary::Binary;
use crate::both_stores;
use crate::client::{Running, Session};
use crate::support::databases::PgSchema;
use crate::support::{self, RedisServer, ScriptDir, StoreKind, TestApp, repo_path};

both_stores!(the_shop_example_serves_orders_from_its_sqlite_database_and_filters_them_with_bound_parameters);

/// The examples served with the connections of the repository's runnel.toml.
fn start_examples(kind: StoreKind) -> Running {
    let file = Settings::from_run_args(RunArgs { config: Some(repo_path("runnel.toml")), ..RunArgs::default() })
        .expect("the example settings are valid");
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let mut settings = support::settings("scripts", kind, redis.as_ref());
    settings.connections = file.connections;
    Running { app: TestApp::spawn(settings), redis }
}

/// The value of the metric labelled `label`.
fn metric(html: &str, label: &str) -> String {
    let marker = format!("rn-metric-label\">{label}</div><div class=\"rn-metric-value\">");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no metric {label}")) + marker.len();
    html[start..].split('<').next().unwrap().to_owned()
}

async fn the_shop_example_serves_orders_from_its_sqlite_database_and_filters_them_with_bound_parameters(
    kind: StoreKind,
) {
    let running = start_examples(kind);
    let mut session = Session::new(&running.app);
    let page = session.open("/shop").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("rn-script-error"), "the example runs without an error");
    assert_eq!(metric(&page.body, "Orders"), "2000");
    assert_eq!(metric(&page.body, "Not shipped yet"), "181");
    // Categories come from the database, sorted: All, Coffee, Equipment, Gifts, Tea.
    let coffee = session.send("shop", "selectbox:Category", &["1"]).await;
    assert_eq!(coffee.status, 200);
    assert_eq!(metric(&coffee.body, "Orders"), "600", "three coffee products of 200 orders each");
    assert!(!coffee.body.contains("Equipment</td>"), "no other category's orders are listed");
}

#[tokio::test]
async fn a_failing_query_is_an_error_box_at_its_line_and_neither_page_nor_log_shows_the_password() {
    let schema = PgSchema::with("CREATE TABLE users (name text); INSERT INTO users VALUES ('ann');");
    let url = schema.url_with_password("Sup3rSecret");
    let dir = ScriptDir::with(&[
        (
            "broken.rhai",
            "title(\"Users\");\nlet db = connection(\"users\");\ntable(db.query(\"SELECT name FROM users\"));\n\
             db.query(\"SELECT * FROM no_such_table\");\ntext(\"never drawn\");\n",
        ),
        ("fine.rhai", "table(connection(\"users\").query(\"SELECT name FROM users\"));\n"),
        ("runnel.toml", &format!("[connections.users]\nurl = {url:?}\n")),
    ]);
    let config = dir.file("runnel.toml");
    let server = Binary::start(&[dir.path.to_str().unwrap(), "--config", config.to_str().unwrap()]);
    let page = reqwest::get(server.url("/broken")).await.unwrap().text().await.unwrap();
    assert!(page.contains("<td>ann</td>"), "the table drawn before the error stays");
    assert!(page.contains("Error in broken.rhai, line 4"), "{page}");
    assert!(page.contains("connection `users`: the database refused the query") && page.contains("no_such_table"));
    assert!(!page.contains("never drawn"));
    let fine = reqwest::get(server.url("/fine")).await.unwrap().text().await.unwrap();
    assert!(fine.contains("<td>ann</td>") && !fine.contains("rn-script-error"), "the other page works");
    server.wait_for_line(|line| line.contains("query failed"));
    for text in [page, fine].iter().chain(server.log().iter()) {
        assert!(!text.contains("Sup3rSecret") && !text.contains("postgres://"), "a secret is shown: {text}");
    }
}
