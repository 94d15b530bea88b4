//! Subcommands of the `flan-data` binary. Hand-rolled argument parsing: each subcommand declares
//! its options; unknown options and missing values are errors with the subcommand's usage.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use flan_data::derive::negatives::negatives;
use flan_data::derive::react::{agentinstruct_react, toolbench_react};
use flan_data::derive::rebalance::{rebalance, DEFAULT_RATIO};
use flan_data::derive::sources::{
    agentinstruct_to_flan, detect, query_from_row, toolbench_answer, toolbench_answer_to_flan,
    toolbench_query, SourceKind,
};
use flan_data::derive::tflan::tflan;
use flan_data::derive::Rng;
use flan_data::{
    build_default, Dataset, DerivedFrom, FacetKind, JsonlParser, ParseEvent, Query, Role, Sample,
    Scope, SourceFiles, Stats,
};
use serde_json::{json, Value};

type CliResult<T> = Result<T, String>;

const MAIN_HELP: &str = "flan-data: Agent-FLAN dataset tool

USAGE: flan-data <COMMAND> [OPTIONS]

COMMANDS:
  stats FILE...          statistics of Agent-FLAN JSONL / JSON-array files
  validate FILE...       list bad lines (line number + reason); exit 1 if any
  generate N             N Agent-FLAN-shaped rows recombined from the shipped real rows
  convert FILE...        AgentInstruct / ToolBench source files -> Agent-FLAN JSONL
  negatives FILE...      ToolBench query files (G*_query.json) -> negative samples
  rebalance FILE...      loss-mask turns so capabilities follow a token ratio
  build-default          write public/data/default.jsonl (shipped rows + derived rows)
  bench                  parse/index/filter/search timings as JSON

Run `flan-data <COMMAND> --help` for the options of a command.";

struct Spec {
    name: &'static str,
    usage: &'static str,
    /// Options that take a value.
    options: &'static [&'static str],
    /// Options without a value.
    switches: &'static [&'static str],
}

struct Args {
    positional: Vec<String>,
    options: BTreeMap<String, String>,
    switches: Vec<String>,
}

impl Args {
    fn parse(spec: &Spec, raw: &[String]) -> CliResult<Option<Args>> {
        let mut args = Args {
            positional: vec![],
            options: BTreeMap::new(),
            switches: vec![],
        };
        let mut it = raw.iter();
        while let Some(a) = it.next() {
            if a == "--help" || a == "-h" {
                println!("{}", spec.usage);
                return Ok(None);
            }
            if let Some(name) = a.strip_prefix("--") {
                let (name, inline) = match name.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (name, None),
                };
                if spec.options.contains(&name) {
                    let value = match inline {
                        Some(v) => v,
                        None => it.next().cloned().ok_or_else(|| {
                            format!("option --{name} needs a value\n\n{}", spec.usage)
                        })?,
                    };
                    args.options.insert(name.to_string(), value);
                } else if spec.switches.contains(&name) {
                    args.switches.push(name.to_string());
                } else {
                    return Err(format!(
                        "unknown option --{name} for `{}`\n\n{}",
                        spec.name, spec.usage
                    ));
                }
            } else {
                args.positional.push(a.clone());
            }
        }
        Ok(Some(args))
    }

    fn opt(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    fn has(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    fn seed(&self) -> CliResult<u64> {
        self.opt("seed").map_or(Ok(42), |s| {
            s.parse()
                .map_err(|_| format!("--seed must be a whole number, got `{s}`"))
        })
    }

    fn files(&self, spec: &Spec) -> CliResult<&[String]> {
        if self.positional.is_empty() {
            return Err(format!(
                "`{}` needs at least one FILE\n\n{}",
                spec.name, spec.usage
            ));
        }
        Ok(&self.positional)
    }
}

/// Entry point: returns the process exit code.
pub fn run(raw: &[String]) -> CliResult<i32> {
    let Some((cmd, rest)) = raw.split_first() else {
        println!("{MAIN_HELP}");
        return Ok(2);
    };
    match cmd.as_str() {
        "stats" => cmd_stats(rest),
        "validate" => cmd_validate(rest),
        "generate" => cmd_generate(rest),
        "convert" => cmd_convert(rest),
        "negatives" => cmd_negatives(rest),
        "rebalance" => cmd_rebalance(rest),
        "build-default" => cmd_build_default(rest),
        "bench" => cmd_bench(rest),
        "--help" | "-h" | "help" => {
            println!("{MAIN_HELP}");
            Ok(0)
        }
        other => Err(format!("unknown command `{other}`\n\n{MAIN_HELP}")),
    }
}

// ---------------------------------------------------------------------------------------------
// IO helpers

fn default_sources_dir() -> PathBuf {
    flan_data::public_path("data/sources")
}

/// Streams a file through the push parser in 1 MiB chunks.
fn read_events(path: &str, mut on_event: impl FnMut(ParseEvent)) -> CliResult<(u64, u64)> {
    let mut file = File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let mut parser = JsonlParser::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("cannot read {path}: {e}"))?;
        if n == 0 {
            break;
        }
        parser.push_with(&buf[..n], &mut on_event);
    }
    parser.finish_with(&mut on_event);
    Ok((parser.sample_count(), parser.bad_line_count()))
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |f| f.to_string_lossy().into_owned())
}

/// Output sink: a file (`--out`) or stdout.
fn output(args: &Args) -> CliResult<Box<dyn Write>> {
    Ok(match args.opt("out") {
        Some(path) => {
            if let Some(dir) = Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            Box::new(BufWriter::new(
                File::create(path).map_err(|e| format!("cannot create {path}: {e}"))?,
            ))
        }
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

fn write_row(out: &mut dyn Write, row: &Sample) -> CliResult<()> {
    writeln!(out, "{}", row.to_json_line()).map_err(|e| format!("write failed: {e}"))
}

fn read_json_values(path: &str) -> CliResult<Vec<Value>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('[') {
        return serde_json::from_str::<Vec<Value>>(trimmed)
            .map_err(|e| format!("{path}: invalid JSON array: {e}"));
    }
    if trimmed.starts_with('{') && !trimmed.contains("}\n{") && path.ends_with(".json") {
        // One JSON object (a raw ToolBench answer file).
        return serde_json::from_str::<Value>(trimmed)
            .map(|v| vec![v])
            .map_err(|e| format!("{path}: invalid JSON: {e}"));
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("{path}:{}: invalid JSON: {e}", i + 1))
        })
        .collect()
}

fn table(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows.first().map_or(0, Vec::len))
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, v)| {
                if c == 0 {
                    format!("{v:<w$}", w = widths[c])
                } else {
                    format!("{v:>w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(
                &"-".repeat(widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1)),
            );
            out.push('\n');
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// stats / validate

const STATS: Spec = Spec {
    name: "stats",
    usage: "USAGE: flan-data stats [--json] FILE...\n\nReads Agent-FLAN JSONL (or JSON-array) files and prints samples, turns, task / format /\nnegative / source counts, histograms and the capability mix against the paper's 1:0.25:0.75.\n  --json   print the statistics as JSON instead of a table",
    options: &[],
    switches: &["json"],
};

fn cmd_stats(raw: &[String]) -> CliResult<i32> {
    let Some(args) = Args::parse(&STATS, raw)? else {
        return Ok(0);
    };
    let mut ds = Dataset::new();
    let mut bad = 0;
    for path in args.files(&STATS)? {
        let name = file_name(path);
        let (_, b) = read_events(path, |e| {
            if let ParseEvent::Sample { sample, .. } = e {
                ds.push(sample, &name);
            }
        })?;
        bad += b;
    }
    let stats = Stats::compute(&ds, None);
    if args.has("json") {
        println!(
            "{}",
            serde_json::to_string_pretty(&stats).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", stats.summary_table());
        println!("{:<34} {:>12}", "bad lines (see `validate`)", bad);
    }
    Ok(0)
}

const VALIDATE: Spec = Spec {
    name: "validate",
    usage: "USAGE: flan-data validate FILE...\n\nParses each file as Agent-FLAN rows and prints every bad line as FILE:LINE: reason.\nExits 1 if any line is bad, 0 otherwise.",
    options: &[],
    switches: &[],
};

fn cmd_validate(raw: &[String]) -> CliResult<i32> {
    let Some(args) = Args::parse(&VALIDATE, raw)? else {
        return Ok(0);
    };
    let mut rows = vec![vec!["file".to_string(), "rows".into(), "bad lines".into()]];
    let mut any_bad = false;
    for path in args.files(&VALIDATE)? {
        let (good, bad) = read_events(path, |e| {
            if let ParseEvent::BadLine(b) = e {
                println!("{path}:{}: {}", b.line_number, b.reason);
            }
        })?;
        any_bad |= bad > 0;
        rows.push(vec![path.clone(), good.to_string(), bad.to_string()]);
    }
    print!("{}", table(&rows));
    Ok(if any_bad { 1 } else { 0 })
}

// ---------------------------------------------------------------------------------------------
// generate

const GENERATE: Spec = Spec {
    name: "generate",
    usage: "USAGE: flan-data generate N [--seed S] [--out FILE] [--sources DIR] [--max-turn-chars C]\n\nWrites N Agent-FLAN-shaped rows for scale tests, streaming. Each row is a shipped real or\nderived row, recombined (first user turn from another row of the same kind) and mutated\n(truncated after a random assistant turn), with a fresh id and\n`derived_from {source_id, rule: \"generate\"}` so it is never mistaken for real data.\n  --seed S             RNG seed (default 42)\n  --out FILE           output file (default stdout)\n  --sources DIR        shipped source rows (default public/data/sources)\n  --max-turn-chars C   cut each turn to C characters (default: no cut)",
    options: &["seed", "out", "sources", "max-turn-chars"],
    switches: &[],
};

fn load_pool(sources: &Path) -> CliResult<Vec<Sample>> {
    let files = SourceFiles::PATHS
        .iter()
        .map(|p| {
            let path = sources.join(p);
            std::fs::read(&path)
                .map(|b| (p.to_string(), b))
                .map_err(|e| format!("cannot read {}: {e} (pass --sources DIR)", path.display()))
        })
        .collect::<CliResult<Vec<_>>>()?;
    let src = SourceFiles::from_files(files).map_err(|e| e.to_string())?;
    let rows = build_default(&src, 42).map_err(|e| e.to_string())?.rows;
    if rows.is_empty() {
        return Err(format!("no rows could be built from {}", sources.display()));
    }
    Ok(rows)
}

/// Makes generated row `i` from the pool.
fn generated_row(pool: &[Sample], rng: &mut Rng, i: u64, max_chars: Option<usize>) -> Sample {
    let base = &pool[rng.below(pool.len())];
    let mut row = base.clone();
    // Recombine: take the first user turn from another row of the same rule / source.
    let donor = &pool[rng.below(pool.len())];
    let same_kind = donor.derived_from.as_ref().map(|d| &d.rule)
        == base.derived_from.as_ref().map(|d| &d.rule)
        && donor.source == base.source;
    if same_kind && rng.below(3) == 0 {
        let first_user = |s: &Sample| s.conversation.iter().position(|t| t.role == Role::User);
        if let (Some(a), Some(b)) = (first_user(&row), first_user(donor)) {
            row.conversation[a] = donor.conversation[b].clone();
        }
    }
    // Mutate: end after a random assistant turn.
    let assistant: Vec<usize> = row.assistant_turns().map(|(i, _)| i).collect();
    if assistant.len() > 1 && rng.below(2) == 0 {
        let cut = assistant[rng.below(assistant.len())];
        row.conversation.truncate(cut + 1);
    }
    if let Some(max) = max_chars {
        for t in &mut row.conversation {
            if let Some((cut, _)) = t.content.char_indices().nth(max) {
                t.content.truncate(cut);
            }
        }
    }
    row.id = format!("gen-{i}");
    row.derived_from = Some(DerivedFrom {
        source_id: base.id.clone(),
        rule: "generate".into(),
    });
    row.source = Some("generated".into());
    row
}

fn cmd_generate(raw: &[String]) -> CliResult<i32> {
    let Some(args) = Args::parse(&GENERATE, raw)? else {
        return Ok(0);
    };
    let n: u64 = match args.positional.as_slice() {
        [n] => n
            .parse()
            .map_err(|_| format!("N must be a whole number, got `{n}`\n\n{}", GENERATE.usage))?,
        _ => {
            return Err(format!(
                "`generate` needs exactly one N\n\n{}",
                GENERATE.usage
            ))
        }
    };
    let max_chars = args
        .opt("max-turn-chars")
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| format!("--max-turn-chars must be a number, got `{s}`"))
        })
        .transpose()?;
    let sources = args
        .opt("sources")
        .map_or_else(default_sources_dir, PathBuf::from);
    let pool = load_pool(&sources)?;
    let mut rng = Rng::new(args.seed()?);
    let mut out = output(&args)?;
    let mut bytes = 0u64;
    for i in 0..n {
        let line = generated_row(&pool, &mut rng, i, max_chars).to_json_line();
        bytes += line.len() as u64 + 1;
        writeln!(out, "{line}").map_err(|e| format!("write failed: {e}"))?;
    }
    out.flush().map_err(|e| format!("write failed: {e}"))?;
    eprint!(
        "{}",
        table(&[
            vec!["generated".into(), "value".into()],
            vec!["rows".into(), n.to_string()],
            vec!["bytes".into(), bytes.to_string()],
            vec!["pool rows".into(), pool.len().to_string()],
            vec!["seed".into(), args.seed()?.to_string()],
        ])
    );
    Ok(0)
}

// ---------------------------------------------------------------------------------------------
// convert / negatives / rebalance / build-default

const CONVERT: Spec = Spec {
    name: "convert",
    usage: "USAGE: flan-data convert [--rule published|react|tflan] [--seed S] [--out FILE] FILE...\n\nConverts source files to Agent-FLAN JSONL. Recognised shapes:\n  - AgentInstruct / Agent-FLAN rows (`conversations` / `conversation` / `messages`)\n  - ToolBench answers (`answer_generation.derived.jsonl` rows, or raw *_DFS_*.json answer files)\n  --rule published   rows in Agent-FLAN shape, content verbatim (default)\n  --rule react       Lagent ReAct rows (derived, arXiv 2403.12881 §3.1)\n  --rule tflan       decomposed multi-turn rows (derived, §3.1)\nToolBench query files belong to `flan-data negatives`.",
    options: &["rule", "seed", "out"],
    switches: &[],
};

fn cmd_convert(raw: &[String]) -> CliResult<i32> {
    let Some(args) = Args::parse(&CONVERT, raw)? else {
        return Ok(0);
    };
    let rule = args.opt("rule").unwrap_or("published");
    if !["published", "react", "tflan"].contains(&rule) {
        return Err(format!(
            "unknown --rule `{rule}` (published, react, tflan)\n\n{}",
            CONVERT.usage
        ));
    }
    let seed = args.seed()?;
    let files = args.files(&CONVERT)?;
    let mut out = output(&args)?;
    let mut summary = vec![vec![
        "file".to_string(),
        "shape".into(),
        "rows in".into(),
        "rows out".into(),
        "skipped".into(),
    ]];
    for path in files {
        let values = read_json_values(path)?;
        let Some(first) = values.first() else {
            summary.push(vec![
                path.clone(),
                "empty".into(),
                "0".into(),
                "0".into(),
                "0".into(),
            ]);
            continue;
        };
        let kind = detect(first).map_err(|e| format!("{path}: {e}"))?;
        let (mut written, mut skipped) = (0, 0);
        for (i, v) in values.iter().enumerate() {
            let published = match kind {
                SourceKind::Conversation => {
                    Sample::from_value(v.clone(), &format!("{}-{}", file_name(path), i + 1))
                        .map(|s| Some(agentinstruct_to_flan(s, &file_name(path))))
                }
                SourceKind::ToolbenchAnswerRow | SourceKind::ToolbenchAnswerFile => {
                    toolbench_answer(v, path).and_then(|a| match rule {
                        "published" => toolbench_answer_to_flan(&a),
                        _ => toolbench_react(&a).map(Some),
                    })
                }
                SourceKind::ToolbenchQuery => {
                    return Err(format!(
                        "{path}: ToolBench query file; use `flan-data negatives {path}`"
                    ))
                }
            };
            let row = match published {
                Ok(Some(row)) => row,
                Ok(None) => {
                    skipped += 1;
                    eprintln!("{path}: item {}: skipped (no conversation)", i + 1);
                    continue;
                }
                Err(e) => {
                    skipped += 1;
                    eprintln!("{path}: item {}: skipped: {e}", i + 1);
                    continue;
                }
            };
            let is_toolbench = kind != SourceKind::Conversation;
            let row = match rule {
                "published" => row,
                // ToolBench rows are already ReAct from `toolbench_react` above.
                "react" if is_toolbench => row,
                "react" => agentinstruct_react(&row),
                _ if is_toolbench => tflan(&row, seed),
                _ => tflan(&agentinstruct_react(&row), seed),
            };
            write_row(&mut *out, &row)?;
            written += 1;
        }
        summary.push(vec![
            path.clone(),
            format!("{kind:?}"),
            values.len().to_string(),
            written.to_string(),
            skipped.to_string(),
        ]);
    }
    out.flush().map_err(|e| format!("write failed: {e}"))?;
    eprint!("{}", table(&summary));
    Ok(0)
}

const NEGATIVES: Spec = Spec {
    name: "negatives",
    usage: "USAGE: flan-data negatives [--seed S] [--out FILE] QUERY_FILE...\n\nMakes negative samples (arXiv 2403.12881 §3.3) from ToolBench query files (G1_query.json, ...)\nor Agent-FLAN JSONL holding ToolBench query rows (an `api_list`, as in the default data):\nfor each query one row with no tools offered and one with only another query's unrelated tools.\n  --seed S     RNG seed for picking the unrelated tools (default 42)\n  --out FILE   output file (default stdout)",
    options: &["seed", "out"],
    switches: &[],
};

fn cmd_negatives(raw: &[String]) -> CliResult<i32> {
    let Some(args) = Args::parse(&NEGATIVES, raw)? else {
        return Ok(0);
    };
    let mut queries = Vec::new();
    for path in args.files(&NEGATIVES)? {
        let name = file_name(path);
        let group = name
            .split('_')
            .next()
            .filter(|g| g.starts_with('G'))
            .unwrap_or("G");
        for (i, value) in read_json_values(path)?.iter().enumerate() {
            let query = match detect(value) {
                Ok(SourceKind::ToolbenchQuery) => Some(
                    toolbench_query(value, group)
                        .map_err(|e| format!("{path}: query {}: {e}", i + 1))?,
                ),
                // Agent-FLAN rows (e.g. the default data): the ToolBench query rows among them.
                Ok(SourceKind::Conversation) => Sample::from_value(value.clone(), "")
                    .ok()
                    .as_ref()
                    .and_then(query_from_row),
                _ => None,
            };
            queries.extend(query);
        }
    }
    if queries.is_empty() {
        return Err("no ToolBench query found (expected G*_query.json arrays, or Agent-FLAN rows with an `api_list`)".into());
    }
    let rows = negatives(&queries, args.seed()?);
    let mut out = output(&args)?;
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        write_row(&mut *out, r)?;
        *by_rule
            .entry(
                r.derived_from
                    .as_ref()
                    .map_or(String::new(), |d| d.rule.clone()),
            )
            .or_default() += 1;
    }
    out.flush().map_err(|e| format!("write failed: {e}"))?;
    let mut summary = vec![vec!["rule".to_string(), "rows".into()]];
    summary.push(vec!["queries read".into(), queries.len().to_string()]);
    summary.extend(by_rule.into_iter().map(|(k, v)| vec![k, v.to_string()]));
    eprint!("{}", table(&summary));
    Ok(0)
}

const REBALANCE: Spec = Spec {
    name: "rebalance",
    usage: "USAGE: flan-data rebalance [--ratio R:R:U] [--seed S] [--out FILE] FILE...\n\nLoss-masks assistant turns of over-represented capabilities (seeded) so trained tokens follow\nreasoning:retrieval:understanding = R:R:U (default 1:0.25:0.75, arXiv 2403.12881 §3.2), and\nprints token counts before and after.\n  --ratio R:R:U  target ratio, e.g. 1:0.5:0.7\n  --seed S       RNG seed (default 42)\n  --out FILE     output file (default stdout)",
    options: &["ratio", "seed", "out"],
    switches: &[],
};

fn parse_ratio(s: &str) -> CliResult<[f64; 3]> {
    flan_data::derive::pipeline::parse_ratio(s).map_err(|e| format!("--ratio: {e}"))
}

fn cmd_rebalance(raw: &[String]) -> CliResult<i32> {
    let Some(args) = Args::parse(&REBALANCE, raw)? else {
        return Ok(0);
    };
    let ratio = args.opt("ratio").map_or(Ok(DEFAULT_RATIO), parse_ratio)?;
    let mut rows = Vec::new();
    let mut bad = 0;
    for path in args.files(&REBALANCE)? {
        let (_, b) = read_events(path, |e| match e {
            ParseEvent::Sample { sample, .. } => rows.push(sample),
            ParseEvent::BadLine(b) => eprintln!("{path}:{}: skipped: {}", b.line_number, b.reason),
        })?;
        bad += b;
    }
    let (out_rows, report) = rebalance(&rows, ratio, args.seed()?);
    let mut out = output(&args)?;
    for r in &out_rows {
        write_row(&mut *out, r)?;
    }
    out.flush().map_err(|e| format!("write failed: {e}"))?;
    eprint!("{}", report.table());
    if bad > 0 {
        eprintln!("{bad} bad line(s) skipped");
    }
    Ok(0)
}

const BUILD_DEFAULT: Spec = Spec {
    name: "build-default",
    usage: "USAGE: flan-data build-default [--sources DIR] [--out FILE] [--seed S]\n\nBuilds the app's default dataset from the shipped real rows: AgentInstruct and ToolBench rows\nin Agent-FLAN shape (published) plus rows derived from them (ReAct, T-FLAN, negatives,\nrebalanced), each derived row with `derived_from`.\n  --sources DIR  default public/data/sources\n  --out FILE     default public/data/default.jsonl\n  --seed S       default 42",
    options: &["sources", "out", "seed"],
    switches: &[],
};

fn cmd_build_default(raw: &[String]) -> CliResult<i32> {
    let Some(args) = Args::parse(&BUILD_DEFAULT, raw)? else {
        return Ok(0);
    };
    let sources = args
        .opt("sources")
        .map_or_else(default_sources_dir, PathBuf::from);
    let files = SourceFiles::PATHS
        .iter()
        .map(|p| {
            let path = sources.join(p);
            std::fs::read(&path)
                .map(|b| (p.to_string(), b))
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        })
        .collect::<CliResult<Vec<_>>>()?;
    let src = SourceFiles::from_files(files).map_err(|e| e.to_string())?;
    let build = build_default(&src, args.seed()?).map_err(|e| e.to_string())?;
    let out_path = args
        .opt("out")
        .map(PathBuf::from)
        .unwrap_or_else(|| flan_data::public_path("data/default.jsonl"));
    let mut text = String::new();
    for r in &build.rows {
        text.push_str(&r.to_json_line());
        text.push('\n');
    }
    std::fs::write(&out_path, &text)
        .map_err(|e| format!("cannot write {}: {e}", out_path.display()))?;
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for r in &build.rows {
        let key = r.derived_from.as_ref().map_or_else(
            || format!("published ({})", r.source.as_deref().unwrap_or("?")),
            |d| format!("derived: {}", d.rule),
        );
        *by.entry(key).or_default() += 1;
    }
    let mut summary = vec![vec!["rows".to_string(), "count".into()]];
    summary.extend(by.into_iter().map(|(k, v)| vec![k, v.to_string()]));
    summary.push(vec!["total".into(), build.rows.len().to_string()]);
    summary.push(vec!["bytes".into(), text.len().to_string()]);
    print!("{}", table(&summary));
    for s in &build.skipped {
        println!("skipped: {s}");
    }
    print!("rebalance of the T-FLAN rows:\n{}", build.rebalance.table());
    println!("wrote {}", out_path.display());
    Ok(0)
}

// ---------------------------------------------------------------------------------------------
// bench

const BENCH: Spec = Spec {
    name: "bench",
    usage: "USAGE: flan-data bench [--rows 100000,1000000] [--seed S] [--max-turn-chars C]\n\nGenerates rows in memory (see `generate`), then times streaming parse + index, filter with\nfacet counts, plain and regex search. Prints JSON, then a summary table on stderr.\n  --rows LIST          row counts to test (default 100000,1000000)\n  --max-turn-chars C   cut generated turns to C chars to bound memory (default 600)",
    options: &["rows", "seed", "max-turn-chars"],
    switches: &[],
};

fn median_ms(mut f: impl FnMut(), runs: usize) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn cmd_bench(raw: &[String]) -> CliResult<i32> {
    let Some(args) = Args::parse(&BENCH, raw)? else {
        return Ok(0);
    };
    let sizes: Vec<u64> = args
        .opt("rows")
        .unwrap_or("100000,1000000")
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|_| format!("--rows must be numbers separated by commas, got `{s}`"))
        })
        .collect::<CliResult<_>>()?;
    let max_chars: usize = args.opt("max-turn-chars").map_or(Ok(600), |s| {
        s.parse()
            .map_err(|_| format!("--max-turn-chars must be a number, got `{s}`"))
    })?;
    let pool = load_pool(&default_sources_dir())?;
    let mut results = Vec::new();
    let mut summary = vec![vec![
        "rows".to_string(),
        "MB".into(),
        "parse+index ms".into(),
        "dataset MB".into(),
        "filter ms".into(),
        "text ms".into(),
        "regex ms".into(),
    ]];
    for &n in &sizes {
        let mut rng = Rng::new(args.seed()?);
        let mut bytes = Vec::new();
        for i in 0..n {
            bytes.extend_from_slice(
                generated_row(&pool, &mut rng, i, Some(max_chars))
                    .to_json_line()
                    .as_bytes(),
            );
            bytes.push(b'\n');
        }
        // Parse (streaming, 1 MiB chunks) and index are timed separately.
        let t = Instant::now();
        let mut parser = JsonlParser::new();
        let mut samples = Vec::with_capacity(n as usize);
        let mut keep = |e: ParseEvent| {
            if let ParseEvent::Sample { sample, .. } = e {
                samples.push(sample);
            }
        };
        for chunk in bytes.chunks(1 << 20) {
            parser.push_with(chunk, &mut keep);
        }
        parser.finish_with(&mut keep);
        let only_parse_ms = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let mut ds = Dataset::new();
        for s in samples {
            ds.push(s, "bench.jsonl");
        }
        let index_ms = t.elapsed().as_secs_f64() * 1000.0;
        let parse_ms = only_parse_ms + index_ms;
        let q = |pairs: &[(&str, &str)]| Query::from_url_pairs(pairs.iter().copied()).0;
        let facet_queries = [
            ("no filter (counts only)", q(&[])),
            ("task=os,toolbench", q(&[("task", "os,toolbench")])),
            (
                "cap=retrieval&fmt=tflan&turns=5-8,9-16",
                q(&[
                    ("cap", "retrieval"),
                    ("fmt", "tflan"),
                    ("turns", "5-8,9-16"),
                ]),
            ),
            (
                "neg=no_tools,irrelevant_tools&prov=derived",
                q(&[("neg", "no_tools,irrelevant_tools"), ("prov", "derived")]),
            ),
        ];
        let mut filters = Vec::new();
        let mut worst_filter: f64 = 0.0;
        for (name, query) in &facet_queries {
            let mut matches = 0;
            let ms = median_ms(
                || matches = ds.filter(query).map(|r| r.matches.len()).unwrap_or(0),
                5,
            );
            worst_filter = worst_filter.max(ms);
            filters.push(json!({"query": name, "ms": ms, "matches": matches}));
        }
        let search = |text: &str, regex: bool, scope: Scope, facet: Option<(&str, &str)>| {
            let mut query = Query {
                text: text.into(),
                regex,
                scope,
                ..Query::default()
            };
            if let Some((k, v)) = facet {
                query.toggle(FacetKind::from_key(k).expect("known facet"), v);
            }
            let mut matches = 0;
            let ms = median_ms(
                || {
                    ds.clear_search_cache();
                    matches = ds.filter(&query).map(|r| r.matches.len()).unwrap_or(0);
                },
                3,
            );
            json!({"text": text, "regex": regex, "scope": scope, "facet": facet.map(|(k, v)| format!("{k}={v}")), "ms": ms, "matches": matches})
        };
        let texts = vec![
            search("tracking", false, Scope::Any, None),
            search("tracking", false, Scope::Assistant, None),
            search(
                "final answer",
                false,
                Scope::Any,
                Some(("task", "toolbench")),
            ),
        ];
        let regexes = vec![
            search(r"action: \w+_for_\w+", true, Scope::Assistant, None),
            search(r"\b(ls|find|grep)\b", true, Scope::Any, None),
        ];
        let ms_of = |v: &[Value]| {
            v.iter()
                .filter_map(|x| x["ms"].as_f64())
                .fold(0.0, f64::max)
        };
        summary.push(vec![
            n.to_string(),
            format!("{:.0}", bytes.len() as f64 / 1e6),
            format!("{parse_ms:.0}"),
            format!("{:.0}", ds.heap_bytes() as f64 / 1e6),
            format!("{worst_filter:.1}"),
            format!("{:.1}", ms_of(&texts)),
            format!("{:.1}", ms_of(&regexes)),
        ]);
        results.push(json!({
            "rows": n,
            "bytes": bytes.len(),
            "parse_ms": only_parse_ms,
            "index_ms": index_ms,
            "parse_index_ms": parse_ms,
            "rows_per_s": n as f64 / (parse_ms / 1000.0),
            "dataset_heap_bytes": ds.heap_bytes(),
            "filter": filters,
            "text_search": texts,
            "regex_search": regexes,
        }));
    }
    let report = json!({
        "target": "native",
        "max_turn_chars": max_chars,
        "note": "filter = Dataset::filter with counts for every facet (median of 5); search = uncached text/regex filter (median of 3)",
        "results": results,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
    );
    eprint!("{}", table(&summary));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_options_and_rejects_unknown() {
        let a = Args::parse(&GENERATE, &s(&["10", "--seed", "3", "--out=x.jsonl"]))
            .unwrap()
            .unwrap();
        assert_eq!(a.positional, ["10"]);
        assert_eq!(a.seed().unwrap(), 3);
        assert_eq!(a.opt("out"), Some("x.jsonl"));
        let e = Args::parse(&GENERATE, &s(&["--nope"])).err().unwrap();
        assert!(e.starts_with("unknown option --nope for `generate`"));
        let e = Args::parse(&GENERATE, &s(&["--seed"])).err().unwrap();
        assert!(e.starts_with("option --seed needs a value"));
        assert!(Args::parse(&GENERATE, &s(&["--help"])).unwrap().is_none());
    }

    #[test]
    fn ratio_parsing() {
        assert_eq!(parse_ratio("1:0.25:0.75").unwrap(), [1.0, 0.25, 0.75]);
        assert!(parse_ratio("1:2").is_err());
        assert!(parse_ratio("1:-1:2").is_err());
    }

    #[test]
    fn generated_rows_are_agent_flan_shaped_and_marked() {
        let pool = load_pool(&default_sources_dir()).unwrap();
        let mut rng = Rng::new(5);
        for i in 0..200 {
            let row = generated_row(&pool, &mut rng, i, Some(50));
            let back = flan_data::parse::parse_line(row.to_json_line().as_bytes(), 1).unwrap();
            assert_eq!(back.id, format!("gen-{i}"));
            assert_eq!(back.derived_from.as_ref().unwrap().rule, "generate");
            assert!(back
                .conversation
                .iter()
                .all(|t| t.content.chars().count() <= 50));
            assert!(!back.conversation.is_empty());
        }
    }
}
