//! The in-browser tools: each is a Rust function with a JSON-schema description, listed in the
//! system prompt the way Agent-FLAN's ToolBench rows list theirs (`name`, `description`,
//! `parameters`).

use flan_data::{Dataset, Scope};
use serde_json::{json, Map, Value};

use crate::calculator::{self, format_number};
use crate::datetime::{self, Clock, Date};
use crate::{units, ToolError};

/// Search results are cut to this many characters each, so an observation stays short.
const SNIPPET_CHARS: usize = 160;
const MAX_SEARCH_RESULTS: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Calculator,
    DateTime,
    UnitConverter,
    DatasetSearch,
}

/// What a call may read besides its input: the page's clock and the loaded dataset.
pub struct ToolContext<'a> {
    pub clock: Clock,
    pub dataset: Option<&'a Dataset>,
}

impl Tool {
    pub const ALL: [Tool; 4] = [
        Tool::Calculator,
        Tool::DateTime,
        Tool::UnitConverter,
        Tool::DatasetSearch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tool::Calculator => "calculator",
            Tool::DateTime => "date_time",
            Tool::UnitConverter => "unit_converter",
            Tool::DatasetSearch => "dataset_search",
        }
    }

    pub fn from_name(name: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.name() == name.trim())
    }

    /// The JSON description put in the system prompt.
    pub fn describe(self) -> Value {
        let (description, properties, required): (&str, Value, &[&str]) = match self {
            Tool::Calculator => (
                "Evaluates an arithmetic expression exactly: + - * / % ^, parentheses, pi, e, and sqrt, abs, exp, ln, log, log2, sin, cos, tan, round, floor, ceil, min, max, pow.",
                json!({ "expression": { "type": "string", "description": "the expression, e.g. (17 + 5) * 3 / 2" } }),
                &["expression"],
            ),
            Tool::DateTime => (
                "Tells the current date and time, the weekday of a date, a date plus a number of days, or the days between two dates.",
                json!({
                    "operation": { "type": "string", "enum": ["now", "weekday", "add_days", "days_between"] },
                    "date": { "type": "string", "description": "YYYY-MM-DD" },
                    "days": { "type": "integer", "description": "for add_days" },
                    "end_date": { "type": "string", "description": "YYYY-MM-DD, for days_between" }
                }),
                &["operation"],
            ),
            Tool::UnitConverter => (
                "Converts a value between units of length, mass, time, volume, area, speed, data size or temperature.",
                json!({
                    "value": { "type": "number" },
                    "from": { "type": "string", "description": "unit, e.g. km, lb, F, GiB" },
                    "to": { "type": "string", "description": "unit of the same kind" }
                }),
                &["value", "from", "to"],
            ),
            Tool::DatasetSearch => (
                "Searches the Agent-FLAN samples loaded in the explorer (case-insensitive text) and returns matching sample ids with their first user turn.",
                json!({
                    "query": { "type": "string" },
                    "limit": { "type": "integer", "description": "at most 10, default 5" }
                }),
                &["query"],
            ),
        };
        json!({
            "name": self.name(),
            "description": description,
            "parameters": { "type": "object", "properties": properties, "required": required },
        })
    }

    /// Runs the tool on the model's `Action Input` (a JSON object, or plain text).
    pub fn call(self, input: &str, ctx: &ToolContext<'_>) -> Result<String, ToolError> {
        let args = Args::parse(input);
        match self {
            Tool::Calculator => {
                let expression = args.text(&["expression", "expr", "input", "query"]);
                Ok(format_number(calculator::evaluate(&expression)?))
            }
            Tool::DateTime => date_time(&args, ctx.clock),
            Tool::UnitConverter => {
                let (value, from, to) =
                    match (args.number("value"), args.string("from"), args.string("to")) {
                        (Some(v), Some(f), Some(t)) => (v, f, t),
                        _ => units::parse_phrase(&args.text(&["query", "input"]))?,
                    };
                units::describe(value, &from, &to)
            }
            Tool::DatasetSearch => {
                let dataset = ctx.dataset.ok_or(ToolError::NoDataset)?;
                let query = args.text(&["query", "text", "input"]);
                let limit = args
                    .number("limit")
                    .map_or(5, |n| n.clamp(1.0, MAX_SEARCH_RESULTS as f64) as usize);
                search(dataset, &query, limit)
            }
        }
    }
}

/// An Action Input: a JSON object's fields, or the raw text.
struct Args {
    object: Option<Map<String, Value>>,
    raw: String,
}

impl Args {
    fn parse(input: &str) -> Args {
        let raw = input.trim().trim_matches('`').trim().to_string();
        let object = match serde_json::from_str::<Value>(&raw) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        };
        Args { object, raw }
    }

    fn string(&self, key: &str) -> Option<String> {
        match self.object.as_ref()?.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn number(&self, key: &str) -> Option<f64> {
        match self.object.as_ref()?.get(key)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The first of `keys` present, or (for a lone field or plain text) the whole input.
    fn text(&self, keys: &[&str]) -> String {
        if let Some(found) = keys.iter().find_map(|k| self.string(k)) {
            return found;
        }
        match &self.object {
            Some(map) if map.len() == 1 => map
                .values()
                .next()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            Some(_) => String::new(),
            None => self.raw.trim_matches('"').to_string(),
        }
    }
}

fn date_time(args: &Args, clock: Clock) -> Result<String, ToolError> {
    let operation = args.string("operation").unwrap_or_else(|| {
        // Plain text: "now", or a date whose weekday is wanted.
        if args.raw.is_empty() || args.raw.eq_ignore_ascii_case("now") {
            "now".into()
        } else {
            "weekday".into()
        }
    });
    let date = || -> Result<Date, ToolError> {
        let text = args
            .string("date")
            .unwrap_or_else(|| args.raw.trim_matches('"').to_string());
        Date::parse(&text)
    };
    match operation.as_str() {
        "now" => Ok(datetime::now(clock)),
        "weekday" => {
            let d = date()?;
            Ok(format!("{d} is a {}", d.weekday()))
        }
        "add_days" => {
            let days = args
                .number("days")
                .ok_or_else(|| ToolError::BadInput("add_days needs `days`".into()))?;
            let d = datetime::add_days(date()?, days as i64)?;
            Ok(format!("{d} ({})", d.weekday()))
        }
        "days_between" => {
            let end = Date::parse(
                &args
                    .string("end_date")
                    .ok_or_else(|| ToolError::BadInput("days_between needs `end_date`".into()))?,
            )?;
            Ok(format!("{} days", datetime::days_between(date()?, end)))
        }
        other => Err(ToolError::BadInput(format!(
            "unknown operation `{other}` (now, weekday, add_days, days_between)"
        ))),
    }
}

fn search(dataset: &Dataset, query: &str, limit: usize) -> Result<String, ToolError> {
    let query = query.trim();
    if query.is_empty() {
        return Err(ToolError::BadInput("the search query is empty".into()));
    }
    let found = dataset
        .search(query, false, Scope::Any)
        .map_err(|e| ToolError::BadInput(e.to_string()))?;
    let total = found.iter().filter(|&&f| f).count();
    let hits: Vec<Value> = found
        .iter()
        .enumerate()
        .filter(|(_, &f)| f)
        .take(limit)
        .filter_map(|(i, _)| {
            let sample = dataset.sample(i as u32)?;
            let first_user = sample
                .conversation
                .iter()
                .find(|t| t.role == flan_data::Role::User)
                .map(|t| t.content.chars().take(SNIPPET_CHARS).collect::<String>())
                .unwrap_or_default();
            Some(json!({ "id": sample.id, "source": dataset.source_name(i as u32).unwrap_or(""), "first_user_turn": first_user }))
        })
        .collect();
    Ok(json!({ "total_matches": total, "results": hits }).to_string())
}

/// The tools offered in a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Toolbox {
    pub tools: Vec<Tool>,
}

impl Default for Toolbox {
    fn default() -> Self {
        Toolbox {
            tools: Tool::ALL.to_vec(),
        }
    }
}

impl Toolbox {
    pub fn describe(&self) -> Vec<Value> {
        self.tools.iter().map(|t| t.describe()).collect()
    }

    /// Calls a tool by the name the model wrote; a name not offered is an error the model
    /// is told about.
    pub fn call(
        &self,
        name: &str,
        input: &str,
        ctx: &ToolContext<'_>,
    ) -> Result<String, ToolError> {
        match Tool::from_name(name).filter(|t| self.tools.contains(t)) {
            Some(tool) => tool.call(input, ctx),
            None => Err(ToolError::UnknownTool {
                name: name.trim().to_string(),
                known: self
                    .tools
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flan_data::{Role, Sample, Turn};

    fn ctx(dataset: Option<&Dataset>) -> ToolContext<'_> {
        ToolContext {
            clock: Clock {
                unix_ms: 1_764_567_780_000.0,
                utc_offset_minutes: 60,
            },
            dataset,
        }
    }

    #[test]
    fn every_tool_takes_json_or_plain_text() {
        let c = ctx(None);
        let tb = Toolbox::default();
        assert_eq!(
            tb.call("calculator", r#"{"expression": "123 * 456"}"#, &c)
                .unwrap(),
            "56088"
        );
        assert_eq!(tb.call("calculator", "2 ^ 10", &c).unwrap(), "1024");
        assert_eq!(tb.call("calculator", r#""7 / 2""#, &c).unwrap(), "3.5");
        assert_eq!(
            tb.call(
                "unit_converter",
                r#"{"value": 5, "from": "km", "to": "m"}"#,
                &c
            )
            .unwrap(),
            "5 km = 5000 m"
        );
        assert_eq!(
            tb.call("unit_converter", "212 F to C", &c).unwrap(),
            "212 f = 100 c"
        );
        assert_eq!(
            tb.call(
                "date_time",
                r#"{"operation": "weekday", "date": "2024-07-04"}"#,
                &c
            )
            .unwrap(),
            "2024-07-04 is a Thursday"
        );
        assert_eq!(
            tb.call(
                "date_time",
                r#"{"operation": "add_days", "date": "2024-12-25", "days": 10}"#,
                &c
            )
            .unwrap(),
            "2025-01-04 (Saturday)"
        );
        assert_eq!(
            tb.call(
                "date_time",
                r#"{"operation": "days_between", "date": "2024-01-01", "end_date": "2024-03-01"}"#,
                &c
            )
            .unwrap(),
            "60 days"
        );
        assert_eq!(
            tb.call("date_time", "now", &c).unwrap(),
            "2025-12-01 06:43 (UTC+01:00), Monday"
        );
    }

    #[test]
    fn unknown_tools_and_bad_inputs_are_explained() {
        let c = ctx(None);
        let tb = Toolbox {
            tools: vec![Tool::Calculator],
        };
        let err = tb.call("unit_converter", "1 km to m", &c).unwrap_err();
        assert_eq!(
            err.to_string(),
            "there is no tool named `unit_converter`; the tools are: calculator"
        );
        assert!(tb
            .call("calculator", "{}", &c)
            .unwrap_err()
            .to_string()
            .contains("empty"));
        assert_eq!(
            Toolbox::default()
                .call("dataset_search", "os", &c)
                .unwrap_err(),
            ToolError::NoDataset
        );
    }

    #[test]
    fn dataset_search_returns_ids_and_first_user_turns() {
        let mut dataset = Dataset::new();
        for (id, question) in [
            ("a", "List the files in /etc"),
            ("b", "What is the weather in Paris?"),
            ("c", "Count files in /tmp"),
        ] {
            let sample = Sample::new(
                id,
                vec![
                    Turn::new(Role::User, question),
                    Turn::new(Role::Assistant, "ok"),
                ],
            );
            dataset.push(sample, "test.jsonl");
        }
        let out = Toolbox::default()
            .call(
                "dataset_search",
                r#"{"query": "FILES", "limit": 1}"#,
                &ctx(Some(&dataset)),
            )
            .unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["total_matches"], 2);
        assert_eq!(v["results"].as_array().unwrap().len(), 1);
        assert_eq!(v["results"][0]["id"], "a");
        assert_eq!(v["results"][0]["first_user_turn"], "List the files in /etc");
    }

    #[test]
    fn descriptions_are_json_schema_objects_with_required_fields() {
        for tool in Tool::ALL {
            let d = tool.describe();
            assert_eq!(d["name"], tool.name());
            assert_eq!(d["parameters"]["type"], "object");
            for r in d["parameters"]["required"].as_array().unwrap() {
                assert!(
                    d["parameters"]["properties"]
                        .get(r.as_str().unwrap())
                        .is_some(),
                    "{}: {r}",
                    tool.name()
                );
            }
            assert_eq!(Tool::from_name(tool.name()), Some(tool));
        }
    }
}
