//! End-to-end tests of the `flan-data` binary on the shipped rows.

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo(rel: &str) -> PathBuf {
    // The crate directory cargo passes at run time: a cached build may come from a checkout
    // at another path.
    PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join(rel)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flan-data"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flan-data-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn committed_default_dataset_is_up_to_date() {
    let out = tmp("default.jsonl");
    let o = run(&["build-default", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let built = std::fs::read_to_string(&out).unwrap();
    let committed = std::fs::read_to_string(repo("../public/data/default.jsonl")).unwrap();
    assert!(built == committed, "public/data/default.jsonl is stale: run `cargo run -p flan-data --release -- build-default`");
    assert!(committed.len() < 2_000_000);
    assert!(text(&o.stdout).contains("derived: tflan"));
}

#[test]
fn validate_reports_bad_lines_and_fails() {
    let file = tmp("two_bad.jsonl");
    let good =
        std::fs::read_to_string(repo("../public/data/sources/agentinstruct/db.sample.jsonl"))
            .unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(1, "{\"id\": \"broken\", \"conversation\": [");
    lines.insert(3, "{\"id\": \"x\", \"turns\": []}");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let o = run(&["validate", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let stdout = text(&o.stdout);
    assert!(stdout.contains(":2: invalid JSON at column"), "{stdout}");
    assert!(
        stdout.contains(":4: missing field `conversation`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("two_bad.jsonl     4          2") || stdout.contains("4          2"),
        "{stdout}"
    );
    let ok = run(&[
        "validate",
        repo("../public/data/default.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));
}

#[test]
fn convert_negatives_rebalance_and_errors() {
    let src = repo("../public/data/sources");
    let os = src.join("agentinstruct/os.sample.jsonl");
    let o = run(&["convert", "--rule", "tflan", os.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().count(), 4);
    assert!(text(&o.stderr).contains("rows out"));
    let q = src.join("toolbench/instruction/G1_query.json");
    let o = run(&["convert", q.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("use `flan-data negatives"));
    let o = run(&["negatives", q.to_str().unwrap()]);
    assert!(o.status.success());
    assert_eq!(text(&o.stdout).lines().count(), 10);
    let tflan_file = tmp("tflan.jsonl");
    let answers = src.join("toolbench/answer_generation.derived.jsonl");
    let o = run(&[
        "convert",
        "--rule",
        "tflan",
        "--out",
        tflan_file.to_str().unwrap(),
        answers.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(&[
        "rebalance",
        "--ratio",
        "1:0.25:0.75",
        tflan_file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("tokens before"));
    let o = run(&["rebalance", "--ratio", "1:2", tflan_file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["frobnicate"]);
    assert!(text(&o.stderr).contains("unknown command `frobnicate`"));
    for cmd in [
        "stats",
        "validate",
        "generate",
        "convert",
        "negatives",
        "rebalance",
        "build-default",
        "bench",
    ] {
        let o = run(&[cmd, "--help"]);
        assert!(
            o.status.success() && text(&o.stdout).starts_with("USAGE: flan-data"),
            "{cmd}"
        );
    }
}

#[test]
fn generate_streams_valid_rows_and_stats_reads_them() {
    let file = tmp("gen.jsonl");
    let o = run(&[
        "generate",
        "500",
        "--seed",
        "9",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v = run(&["validate", file.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0));
    let s = run(&["stats", "--json", file.to_str().unwrap()]);
    let stats: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(stats["samples"], 500);
    let again = tmp("gen2.jsonl");
    run(&[
        "generate",
        "500",
        "--seed",
        "9",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn negatives_from_the_default_data_equal_those_from_the_query_files() {
    let from_rows = tmp("neg-rows.jsonl");
    let o = run(&[
        "negatives",
        "--seed",
        "42",
        "--out",
        from_rows.to_str().unwrap(),
        repo("../public/data/default.jsonl").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("queries read"),
        "{}",
        text(&o.stderr)
    );
    let from_files = tmp("neg-files.jsonl");
    let q = |g: &str| {
        repo(&format!(
            "../public/data/sources/toolbench/instruction/{g}_query.json"
        ))
    };
    let o = run(&[
        "negatives",
        "--out",
        from_files.to_str().unwrap(),
        q("G1").to_str().unwrap(),
        q("G2").to_str().unwrap(),
        q("G3").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let a = std::fs::read_to_string(&from_rows).unwrap();
    assert_eq!(a, std::fs::read_to_string(&from_files).unwrap());
    assert_eq!(
        a.lines()
            .filter(|l| l.contains("\"negative_no_tools\""))
            .count(),
        10
    );
    // A file without any query is an error, not an empty output.
    let none = run(&[
        "negatives",
        repo("../public/data/sources/agentinstruct/os.sample.jsonl")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none.stderr));
    assert!(text(&none.stderr).contains("no ToolBench query found"));
}

#[test]
fn validate_an_empty_file_reports_zero_rows_without_failing() {
    let empty = tmp("empty.jsonl");
    std::fs::write(&empty, b"").unwrap();
    let blank = tmp("blank.jsonl");
    std::fs::write(&blank, b"\xEF\xBB\xBF\r\n\n  \n").unwrap();
    for file in [&empty, &blank] {
        let o = run(&["validate", file.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let stdout = text(&o.stdout);
        let row = stdout.lines().last().unwrap();
        assert_eq!(
            row.split_whitespace().skip(1).collect::<Vec<_>>(),
            ["0", "0"],
            "{stdout}"
        );
        assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
    }
}
