//! SQL connections through the headless harness, against the machine's PostgreSQL (a schema of
//! each test's own, dropped afterwards) and SQLite files in a data folder of the test's own:
//! types, bound parameters, read-only and writable connections, the timeout, the row cap, the
//! shared cache, and clear errors without secrets.

use std::sync::Arc;
use std::time::{Duration, Instant};

use runnel::config::{ConnectionSettings, ScriptLimits};
use runnel::datasource::Connections;
use runnel::harness::AppTest;
use runnel::script::Runner;
use serde_json::{Value, json};

use super::{DataDir, error_message};
use crate::support::databases::{PgSchema, sqlite_sql};

const USERS: &str = "CREATE TABLE users (name text); INSERT INTO users VALUES ('ann'), ('bob'), ('o''brien');";

/// A runner whose scripts may open `connections`, reading files from `data`.
fn runner_with(connections: &[ConnectionSettings], data: &DataDir, limits: ScriptLimits) -> Runner {
    let opened = Connections::open(connections, &data.path()).expect("the connections are valid");
    Runner::new(limits).with_data_dir(data.path()).with_connections(Arc::new(opened))
}

fn runner(connections: &[ConnectionSettings], data: &DataDir) -> Runner {
    runner_with(connections, data, ScriptLimits::default())
}

/// Runs `source` and returns `state.out`, insisting that the run had no error.
fn out(source: &str, runner: Runner) -> Value {
    let app = AppTest::with_runner(source, runner);
    assert!(app.page().error.is_none(), "the script failed: {:?}", app.page().error);
    app.state("out").cloned().unwrap_or(json!(null))
}

fn postgres(schema: &PgSchema) -> ConnectionSettings {
    ConnectionSettings::new("pg", &schema.url())
}

fn writable(mut settings: ConnectionSettings) -> ConnectionSettings {
    settings.writable = true;
    settings
}

/// A data folder holding the SQLite file `shop.sqlite` made by `setup`.
fn sqlite_folder(setup: &str) -> DataDir {
    let data = DataDir::with(&[]);
    sqlite_sql(&data.path().join("shop.sqlite"), setup);
    data
}

fn sqlite() -> ConnectionSettings {
    ConnectionSettings::new("shop", "sqlite:shop.sqlite")
}

// ---- Types ----

#[test]
fn postgres_types_become_frame_types_with_nulls_kept() {
    let schema = PgSchema::with(
        "CREATE TABLE kinds (i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric(10,3), t text,
                             v varchar(10), b bool, d date, ts timestamp, tz timestamptz, u uuid, j jsonb);
         INSERT INTO kinds VALUES (1, 2, 3, 1.5, 2.25, 12345.678, 'text', 'varchar', true, '2024-02-29',
                                   '2024-02-29 12:30:00', '2024-02-29 12:30:00+02',
                                   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": 1}'),
                                  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);",
    );
    let data = DataDir::with(&[]);
    let found = out(
        r#"let c = connection("pg");
           let df = c.query("SELECT * FROM kinds ORDER BY i2 NULLS LAST");
           let none = c.query("SELECT * FROM kinds WHERE false");
           state.out = #{ types: df.dtypes(), empty_types: none.dtypes(), rows: df.to_rows(),
                          sums: c.query("SELECT sum(i8) AS total, avg(f8) AS mean, count(*) AS n FROM kinds").dtypes() };"#,
        runner(&[postgres(&schema)], &data),
    );
    let types = json!([
        "i64",
        "i64",
        "i64",
        "f64",
        "f64",
        "f64",
        "str",
        "str",
        "bool",
        "date",
        "datetime[μs]",
        "datetime[μs]",
        "str",
        "str"
    ]);
    assert_eq!(found["types"], types);
    assert_eq!(found["empty_types"], types, "an empty result keeps its columns' types");
    assert_eq!(found["sums"], json!(["f64", "f64", "i64"]), "sum(int8) and avg are NUMERIC in PostgreSQL");
    let first = &found["rows"][0];
    assert_eq!(
        (&first["i2"], &first["i8"], &first["f4"], &first["n"]),
        (&json!(1), &json!(3), &json!(1.5), &json!(12345.678))
    );
    assert_eq!((&first["t"], &first["v"], &first["b"]), (&json!("text"), &json!("varchar"), &json!(true)));
    assert_eq!(first["d"], "2024-02-29");
    assert!(first["ts"].as_str().unwrap().starts_with("2024-02-29 12:30:00"), "{}", first["ts"]);
    assert!(
        first["tz"].as_str().unwrap().starts_with("2024-02-29 10:30:00"),
        "a zoned time arrives in UTC: {}",
        first["tz"]
    );
    assert_eq!(first["u"], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    assert_eq!(first["j"], "{\"a\": 1}");
    let second = found["rows"][1].as_object().unwrap();
    assert!(second.values().all(Value::is_null), "every null stays a null: {second:?}");
}

#[test]
fn sqlite_types_follow_the_declared_type_and_else_the_stored_value() {
    let data = sqlite_folder(
        "CREATE TABLE kinds (i INTEGER, r REAL, t TEXT, b BOOLEAN, d DATE, ts DATETIME, n NUMERIC, mixed);
         INSERT INTO kinds VALUES (1, 1.5, 'x', 1, '2024-02-29', '2024-02-29 12:30:00', 7, 1),
                                  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2.5);",
    );
    let found = out(
        r#"let df = connection("shop").query("SELECT * FROM kinds ORDER BY i NULLS LAST");
           state.out = #{ types: df.dtypes(), rows: df.to_rows() };"#,
        runner(&[sqlite()], &data),
    );
    assert_eq!(found["types"], json!(["i64", "f64", "str", "bool", "date", "datetime[μs]", "i64", "f64"]));
    let first = &found["rows"][0];
    assert_eq!(
        (&first["i"], &first["r"], &first["t"], &first["b"]),
        (&json!(1), &json!(1.5), &json!("x"), &json!(true))
    );
    assert_eq!(first["d"], "2024-02-29");
    assert_eq!(found["rows"][1]["mixed"], 2.5, "whole numbers and fractions in one column become floats");
    assert!(found["rows"][1]["i"].is_null());
}

// ---- Bound parameters ----

const INJECTION: &str = r#"
    let c = connection(state.db);
    let p = if state.db == "pg" { "$1" } else { "?" };
    let named = |value| c.query(`SELECT name FROM users WHERE name = ${p}`, [value]).len();
    state.out = #{
        quote: named.call("o'brien"),
        always_true: named.call("x' OR '1'='1"),
        drop: named.call("'; DROP TABLE users; --"),
        all: c.query("SELECT count(*) AS n FROM users").item(),
    };
"#;

#[test]
fn a_bound_parameter_stays_a_value_even_when_it_looks_like_sql() {
    let schema = PgSchema::with(USERS);
    let data = sqlite_folder(USERS);
    for db in ["pg", "shop"] {
        let source = format!("state.db = {db:?};{INJECTION}");
        let found = out(&source, runner(&[postgres(&schema), sqlite()], &data));
        assert_eq!(found, json!({"quote": 1, "always_true": 0, "drop": 0, "all": 3}), "{db}");
    }
}

#[test]
fn a_parameter_that_is_not_a_plain_value_is_a_clear_error() {
    let schema = PgSchema::with(USERS);
    let data = DataDir::with(&[]);
    let app = AppTest::with_runner(
        r#"connection("pg").query("SELECT name FROM users WHERE name = $1", [["ann", "bob"]]);"#,
        runner(&[postgres(&schema)], &data),
    );
    assert!(error_message(&app).contains("parameter 1 is array"), "{}", error_message(&app));
}

// ---- Read-only and writable ----

/// Tries each statement with `execute` and reports what happened, then counts the users.
const WRITES: &str = r#"
    let c = connection(state.db);
    let said = [];
    for sql in state.writes {
        try { c.execute(sql); said.push("done"); } catch (e) { said.push(`${e}`); }
    }
    state.out = #{ said: said, users: c.query("SELECT count(*) AS n FROM users").item() };
"#;

fn try_writes(db: &str, writes: &[&str], runner: Runner) -> (Vec<String>, i64) {
    let source = format!("state.db = {db:?}; state.writes = {writes:?};{WRITES}");
    let found = out(&source, runner);
    let said = found["said"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
    (said, found["users"].as_i64().unwrap())
}

#[test]
fn a_read_only_postgres_connection_refuses_writes_even_after_a_statement_turns_read_only_off() {
    let schema = PgSchema::with(USERS);
    let data = DataDir::with(&[]);
    let writes = [
        "INSERT INTO users VALUES ('eve')",
        "SET default_transaction_read_only = off",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        "DELETE FROM users",
    ];
    let (said, users) = try_writes("pg", &writes, runner(&[postgres(&schema)], &data));
    assert!(said[0].contains("read-only") && said[0].contains("writable = true"), "{}", said[0]);
    assert!(said[3].contains("read-only"), "the next statement is still read-only: {}", said[3]);
    assert_eq!(users, 3, "nothing was written");
}

#[test]
fn a_read_only_sqlite_connection_refuses_writes_and_never_reaches_another_file() {
    let data = sqlite_folder(USERS);
    let writes = [
        "INSERT INTO users VALUES ('eve')",
        "PRAGMA query_only = OFF",
        "DELETE FROM users",
        "ATTACH DATABASE 'other.sqlite' AS other",
        "VACUUM INTO 'copy.sqlite'",
    ];
    let (said, users) = try_writes("shop", &writes, runner(&[sqlite()], &data));
    assert!(said[0].contains("read-only") && said[0].contains("writable = true"), "{}", said[0]);
    assert!(said[2].contains("read-only"), "opened read-only, a pragma cannot undo it: {}", said[2]);
    assert!(said[3].contains("too many attached databases"), "{}", said[3]);
    assert!(said[4] != "done", "VACUUM INTO writes no copy: {}", said[4]);
    assert!(!data.path().join("other.sqlite").exists() && !data.path().join("copy.sqlite").exists());
    assert_eq!(users, 3, "nothing was written");
}

#[test]
fn a_writable_connection_writes_and_its_writes_drop_its_cached_results() {
    let schema = PgSchema::with(USERS);
    let data = sqlite_folder(USERS);
    let connections = [writable(postgres(&schema)), writable(sqlite())];
    for db in ["pg", "shop"] {
        let source = format!(
            r#"let c = connection({db:?});
               let p = if {db:?} == "pg" {{ "$1" }} else {{ "?" }};
               let before = c.query("SELECT count(*) AS n FROM users", [], #{{ ttl: 60 }}).item();
               let added = c.execute(`INSERT INTO users VALUES (${{p}})`, ["eve"]);
               let after = c.query("SELECT count(*) AS n FROM users", [], #{{ ttl: 60 }}).item();
               let returned = c.query(`INSERT INTO users VALUES (${{p}}) RETURNING name`, ["fay"]).column("name");
               state.out = [before, added, after, returned];"#
        );
        assert_eq!(out(&source, runner(&connections, &data)), json!([3, 1, 4, ["fay"]]), "{db}");
    }
}

// ---- Timeout, row cap, unreachable ----

#[test]
fn a_statement_that_runs_too_long_stops_at_the_connection_timeout() {
    let schema = PgSchema::with("");
    let data = sqlite_folder("CREATE TABLE t (x)");
    let mut pg = postgres(&schema);
    let mut shop = sqlite();
    pg.timeout = Duration::from_millis(300);
    shop.timeout = Duration::from_millis(300);
    let slow = [
        ("pg", "SELECT pg_sleep(10)"),
        ("shop", "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"),
    ];
    for (db, sql) in slow {
        let started = Instant::now();
        let app = AppTest::with_runner(
            &format!("connection({db:?}).query({sql:?});"),
            runner(&[pg.clone(), shop.clone()], &data),
        );
        let message = error_message(&app);
        assert!(message.contains("longer than the connection's timeout of 0.3 s"), "{db}: {message}");
        assert!(started.elapsed() < Duration::from_secs(3), "{db}: stopped in {:?}", started.elapsed());
    }
}

#[test]
fn a_result_larger_than_the_frame_cap_is_a_clear_error() {
    let schema = PgSchema::with("");
    let data = sqlite_folder("CREATE TABLE t (x)");
    let limits = ScriptLimits { max_frame_rows: 100, ..ScriptLimits::default() };
    let large = [
        ("pg", "SELECT generate_series(1, 1000) AS n"),
        ("shop", "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1000) SELECT i FROM r"),
    ];
    for (db, sql) in large {
        let source = format!("text(\"before\"); connection({db:?}).query({sql:?}); text(\"after\");");
        let app = AppTest::with_runner(&source, runner_with(&[postgres(&schema), sqlite()], &data, limits.clone()));
        let message = error_message(&app);
        assert!(message.contains("more than 100 rows") && message.contains("max_frame_rows"), "{db}: {message}");
        assert_eq!(app.page().texts(), vec!["before".to_owned()], "what was drawn before the error stays");
    }
}

#[test]
fn an_unreachable_database_is_a_clear_error_within_the_timeout() {
    let closed_port = crate::support::server::free_port();
    let urls = [
        format!("postgres://postgres:Sup3rSecret@127.0.0.1:{closed_port}/test"),
        // A non-routed address: the connection attempt hangs until the timeout.
        "postgres://postgres:Sup3rSecret@10.255.255.1:5432/test".to_owned(),
    ];
    let data = DataDir::with(&[]);
    for url in urls {
        let mut pg = ConnectionSettings::new("pg", &url);
        pg.timeout = Duration::from_millis(500);
        let started = Instant::now();
        let app = AppTest::with_runner(r#"connection("pg").query("SELECT 1");"#, runner(&[pg], &data));
        let message = error_message(&app);
        assert!(message.contains("connection `pg`: cannot reach the database"), "{message}");
        assert!(!message.contains("Sup3rSecret") && !message.contains("postgres://"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(3), "gave up after {:?}", started.elapsed());
    }
}

// ---- The shared cache ----

#[test]
fn a_result_with_a_ttl_is_shared_by_sessions_until_it_expires() {
    let schema = PgSchema::with(USERS);
    let data = DataDir::with(&[]);
    let runner = runner(&[postgres(&schema)], &data);
    let script = r#"let c = connection("pg");
        let count = "SELECT count(*) AS n FROM users WHERE name <> $1";
        state.out = #{ cached: c.query(count, ["nobody"], #{ ttl: 60 }).item(),
                       brief: c.query(count, ["nobody"], #{ ttl: 0.3 }).item(),
                       other_params: c.query(count, ["ann"], #{ ttl: 60 }).item(),
                       live: c.query(count, ["nobody"]).item() };"#;
    let first = AppTest::with_runner(script, runner.clone());
    assert_eq!(first.state("out"), Some(&json!({"cached": 3, "brief": 3, "other_params": 2, "live": 3})));
    schema.sql("INSERT INTO users VALUES ('carl')");
    let mut second = AppTest::with_runner(script, runner.clone());
    let seen = second.state("out").cloned().unwrap();
    assert_eq!(
        (&seen["cached"], &seen["other_params"]),
        (&json!(3), &json!(2)),
        "another session gets the cached results"
    );
    assert_eq!(seen["live"], 4, "a query without a ttl always asks the database");
    let deadline = Instant::now() + Duration::from_secs(5);
    while second.state("out").unwrap()["brief"] != 4 {
        assert!(Instant::now() < deadline, "the short-lived result never expired");
        std::thread::sleep(Duration::from_millis(50));
        second.run();
    }
    assert_eq!(second.state("out").unwrap()["cached"], 3, "the long-lived one is still cached");
}

// ---- Errors ----

#[test]
fn a_bad_query_is_an_error_at_its_line_without_the_url_or_password() {
    let schema = PgSchema::with(USERS);
    let data = DataDir::with(&[]);
    let pg = ConnectionSettings::new("pg", &schema.url_with_password("Sup3rSecret"));
    let app = AppTest::with_runner(
        "text(\"before\");\nlet c = connection(\"pg\");\nc.query(\"SELECT * FROM no_such_table\");\ntext(\"after\");",
        runner(&[pg], &data),
    );
    let error = app.page().error.clone().expect("an error box");
    assert_eq!(error.line, Some(3), "{error:?}");
    assert!(error.message.contains("connection `pg`: the database refused the query"), "{}", error.message);
    assert!(error.message.contains("no_such_table"), "{}", error.message);
    assert!(!error.message.contains("Sup3rSecret") && !error.message.contains("postgres://"), "{}", error.message);
    assert_eq!(app.page().texts(), vec!["before".to_owned()]);
}

#[test]
fn an_unknown_connection_name_lists_the_configured_ones() {
    let schema = PgSchema::with("");
    let data = sqlite_folder("CREATE TABLE t (x)");
    let app = AppTest::with_runner(r#"connection("warehouse");"#, runner(&[postgres(&schema), sqlite()], &data));
    let message = error_message(&app);
    assert!(message.contains("no connection named \"warehouse\"") && message.contains("pg, shop"), "{message}");
}

#[test]
fn a_connection_the_host_cannot_use_fails_at_start_with_one_line() {
    let data = sqlite_folder("CREATE TABLE t (x)");
    std::fs::write(data.0.join("outside.sqlite"), "").unwrap();
    std::os::unix::fs::symlink(data.0.join("outside.sqlite"), data.path().join("link.sqlite")).unwrap();
    let refused = [
        ("sqlite:../outside.sqlite", "not a file name inside the data folder"),
        ("sqlite:/etc/passwd", "not a file name inside the data folder"),
        ("sqlite:link.sqlite", "leads out of the data folder"),
        ("sqlite:shop.sqlite?mode=rwc", "takes no options"),
        ("postgres://postgres:Sup3rSecret@127.0.0.1/test?sslmode=require", "TLS"),
        ("postgres://postgres:Sup3rSecret@127.0.0.1:notaport/test", "the PostgreSQL URL is not valid"),
    ];
    for (url, expected) in refused {
        let message = Connections::open(&[ConnectionSettings::new("db", url)], &data.path()).err().unwrap().to_string();
        assert!(message.starts_with("connection `db`: ") && message.contains(expected), "{url}: {message}");
        assert!(!message.contains("Sup3rSecret") && !message.contains('\n'), "{message}");
        assert!(!message.contains(&data.0.display().to_string()), "no server path: {message}");
    }
}

#[test]
fn a_sqlite_file_that_is_missing_or_becomes_a_way_out_is_an_error_of_each_query() {
    let data = DataDir::with(&[]);
    let later = ConnectionSettings::new("later", "sqlite:later.sqlite");
    let runner = runner(&[later], &data);
    let query = r#"connection("later").query("SELECT count(*) AS n FROM t");"#;
    let message = error_message(&AppTest::with_runner(query, runner.clone()));
    assert!(message.contains("there is no file \"later.sqlite\" in the data folder"), "{message}");
    assert!(!message.contains(&data.0.display().to_string()), "no server path: {message}");
    sqlite_sql(&data.0.join("outside.sqlite"), "CREATE TABLE t (x)");
    std::os::unix::fs::symlink(data.0.join("outside.sqlite"), data.path().join("later.sqlite")).unwrap();
    let message = error_message(&AppTest::with_runner(query, runner.clone()));
    assert!(message.contains("leads out of the data folder"), "{message}");
    std::fs::remove_file(data.path().join("later.sqlite")).unwrap();
    sqlite_sql(&data.path().join("later.sqlite"), "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    let found = out(&format!("state.out = {}", query.trim_end_matches(';').to_owned() + ".item();"), runner);
    assert_eq!(found, json!(1), "once the file is there, the same connection reads it");
}
