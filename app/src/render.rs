//! How a turn's text is shown: ReAct keywords highlighted, embedded JSON pretty-printed and
//! collapsible, tool lists as tables. Pure functions over text; components only draw them.
//! Sample text is untrusted: everything here becomes text nodes, never HTML.

use std::ops::Range;

use flan_data::annotate::ShownPiece;
use serde_json::Value;

/// A ReAct / AgentInstruct marker at the start of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyword {
    Thought,
    Action,
    ActionInput,
    Response,
    FinalAnswer,
}

impl Keyword {
    pub fn css_class(self) -> &'static str {
        match self {
            Keyword::Thought => "kw kw-thought",
            Keyword::Action => "kw kw-action",
            Keyword::ActionInput => "kw kw-input",
            Keyword::Response => "kw kw-response",
            Keyword::FinalAnswer => "kw kw-final",
        }
    }
}

/// Markers, longest first so `Action Input:` wins over `Action:`.
const MARKERS: &[(&str, Keyword)] = &[
    ("Action Input:", Keyword::ActionInput),
    ("Final Answer:", Keyword::FinalAnswer),
    ("Observation:", Keyword::Response),
    ("Response:", Keyword::Response),
    ("Thought:", Keyword::Thought),
    ("Action:", Keyword::Action),
    ("Think:", Keyword::Thought),
    ("Act:", Keyword::Action),
];

/// A piece of a turn's text.
#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    Text(String),
    Keyword(Keyword, String),
    /// A JSON value found in the text: the original text and a pretty-printed form.
    Json {
        summary: String,
        pretty: String,
    },
}

/// Splits a turn into text, keyword markers and JSON blocks.
pub fn segments(content: &str) -> Vec<Segment> {
    segments_with_source(content)
        .into_iter()
        .map(|(segment, _)| segment)
        .collect()
}

/// [`segments`], each with the byte range of `content` it stands for. The ranges follow one
/// another and cover `content`; text and keyword segments hold exactly their range's text.
pub fn segments_with_source(content: &str) -> Vec<(Segment, Range<usize>)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = content;
    let mut at_line_start = true;
    let mut json_attempts = 0;
    let at = |rest: &str| content.len() - rest.len();
    while !rest.is_empty() {
        if at_line_start {
            let trimmed = rest.trim_start_matches([' ', '\t']);
            if let Some((marker, keyword)) = MARKERS.iter().find(|(m, _)| trimmed.starts_with(m)) {
                text.push_str(&rest[..rest.len() - trimmed.len()]);
                flush_text(&mut out, &mut text, at(trimmed));
                out.push((
                    Segment::Keyword(*keyword, marker.to_string()),
                    at(trimmed)..at(trimmed) + marker.len(),
                ));
                rest = &trimmed[marker.len()..];
                at_line_start = false;
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        // Only try JSON where a value plausibly starts, and a bounded number of times, so a
        // turn full of braces stays linear.
        if (c == '{' || c == '[') && json_attempts < 64 {
            json_attempts += 1;
            if let Some((value, used)) = json_prefix(rest) {
                flush_text(&mut out, &mut text, at(rest));
                let segment = Segment::Json {
                    summary: json_summary(&value),
                    pretty: serde_json::to_string_pretty(&value).unwrap_or_default(),
                };
                out.push((segment, at(rest)..at(rest) + used));
                rest = &rest[used..];
                at_line_start = false;
                continue;
            }
        }
        text.push(c);
        at_line_start = c == '\n';
        rest = &rest[c.len_utf8()..];
    }
    flush_text(&mut out, &mut text, content.len());
    out
}

/// The turn as [`TurnText`](crate::components::sample_view::TurnText) draws it, piece by
/// piece, for mapping a selection on the page back to the turn's content.
pub fn shown_pieces(content: &str) -> Vec<ShownPiece> {
    let mut chars = 0;
    segments_with_source(content)
        .into_iter()
        .map(|(segment, range)| {
            let start = chars;
            chars += content[range].chars().count();
            let (shown, verbatim) = match segment {
                Segment::Text(text) | Segment::Keyword(_, text) => (text, true),
                Segment::Json { summary, pretty } => (summary + &pretty, false),
            };
            ShownPiece {
                start,
                end: chars,
                shown,
                verbatim,
            }
        })
        .collect()
}

/// Moves the text gathered so far, which ends at byte `end`, into a segment.
fn flush_text(out: &mut Vec<(Segment, Range<usize>)>, text: &mut String, end: usize) {
    if !text.is_empty() {
        let start = end - text.len();
        out.push((Segment::Text(std::mem::take(text)), start..end));
    }
}

/// Parses the JSON value at the start of `text` if it is a non-trivial object or array.
fn json_prefix(text: &str) -> Option<(Value, usize)> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let value = stream.next()?.ok()?;
    let used = stream.byte_offset();
    let worth_it = match &value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => items.iter().any(|v| v.is_object() || v.is_array()),
        _ => false,
    };
    (worth_it && used >= 8).then_some((value, used))
}

fn json_summary(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().take(4).map(String::as_str).collect();
            let more = if map.len() > 4 { ", …" } else { "" };
            format!("{{ {}{more} }}", keys.join(", "))
        }
        Value::Array(items) => format!("[ {} items ]", items.len()),
        _ => "JSON".to_string(),
    }
}

/// A turn's extra fields (keys other than role / content / loss that the parser kept, e.g.
/// ToolBench's `function_call` and `name`, a T-FLAN `capability` tag), ready to show as text.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtraFields {
    /// One line: scalar fields as `key: value`, structured ones as `key {…}`.
    pub summary: String,
    /// The fields as pretty-printed JSON.
    pub pretty: String,
    /// Number of fields.
    pub count: usize,
}

/// Longest scalar value shown in the one-line summary.
const SUMMARY_VALUE_CHARS: usize = 48;

/// Summary and pretty JSON of a turn's extra fields; `None` when it has none.
pub fn extra_fields(extra: Option<&serde_json::Map<String, Value>>) -> Option<ExtraFields> {
    let map = extra.filter(|m| !m.is_empty())?;
    let parts: Vec<String> = map
        .iter()
        .map(|(key, value)| match value {
            Value::String(s) => {
                let short: String = s.chars().take(SUMMARY_VALUE_CHARS).collect();
                let more = if s.chars().count() > SUMMARY_VALUE_CHARS {
                    "…"
                } else {
                    ""
                };
                format!("{key}: {short}{more}")
            }
            Value::Object(_) | Value::Array(_) => format!("{key} {}", json_summary(value)),
            other => format!("{key}: {other}"),
        })
        .collect();
    Some(ExtraFields {
        summary: parts.join(" · "),
        pretty: serde_json::to_string_pretty(map).unwrap_or_default(),
        count: map.len(),
    })
}

/// One tool offered in a system prompt.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolRow {
    pub name: String,
    pub description: String,
    pub required: Vec<String>,
    pub optional: Vec<String>,
}

/// Finds the tools described in a system prompt: JSON objects with a `name` (or `api_name`)
/// and a `description`, alone or in arrays, as Lagent and ToolBench write them.
pub fn tools_in(content: &str) -> Vec<ToolRow> {
    let mut tools = Vec::new();
    for segment in segments(content) {
        if let Segment::Json { pretty, .. } = segment {
            if let Ok(value) = serde_json::from_str::<Value>(&pretty) {
                collect_tools(&value, &mut tools, 0);
            }
        }
    }
    tools
}

fn collect_tools(value: &Value, tools: &mut Vec<ToolRow>, depth: usize) {
    if depth > 4 {
        return;
    }
    match value {
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_tools(v, tools, depth + 1)),
        Value::Object(map) => {
            let name = map
                .get("name")
                .or_else(|| map.get("api_name"))
                .and_then(Value::as_str);
            let description = map
                .get("description")
                .or_else(|| map.get("api_description"))
                .and_then(Value::as_str);
            if let (Some(name), Some(description)) = (name, description) {
                let (required, optional) = parameter_names(map);
                tools.push(ToolRow {
                    name: name.to_string(),
                    description: description.to_string(),
                    required,
                    optional,
                });
            } else {
                map.values()
                    .for_each(|v| collect_tools(v, tools, depth + 1));
            }
        }
        _ => {}
    }
}

fn parameter_names(tool: &serde_json::Map<String, Value>) -> (Vec<String>, Vec<String>) {
    let names = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|p| {
                    p.as_str()
                        .map(str::to_string)
                        .or_else(|| p.get("name").and_then(Value::as_str).map(str::to_string))
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let params = tool.get("parameters");
    let mut required = names(
        params
            .and_then(|p| p.get("required"))
            .or_else(|| tool.get("required_parameters")),
    );
    let optional = names(
        params
            .and_then(|p| p.get("optional"))
            .or_else(|| tool.get("optional_parameters")),
    );
    if required.is_empty() {
        if let Some(Value::Array(list)) = params {
            required = names(Some(&Value::Array(list.clone())));
        }
    }
    (required, optional)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn react_markers_and_json_arguments_are_split_out() {
        let segs = segments("Thought: I need the weather.\nAction: get_weather\nAction Input: {\"city\": \"Paris\"}\n");
        assert_eq!(
            segs[0],
            Segment::Keyword(Keyword::Thought, "Thought:".into())
        );
        assert!(segs.contains(&Segment::Keyword(
            Keyword::ActionInput,
            "Action Input:".into()
        )));
        assert!(segs
            .iter()
            .any(|s| matches!(s, Segment::Json { summary, .. } if summary == "{ city }")));
    }

    #[test]
    fn segment_sources_cover_the_content_and_pieces_map_back() {
        let content = "  Thought: é 🚀\nAction Input: {\"city\": \"Paris\"} done";
        let segs = segments_with_source(content);
        let mut end = 0;
        for (segment, range) in &segs {
            assert_eq!(range.start, end);
            end = range.end;
            if let Segment::Text(t) | Segment::Keyword(_, t) = segment {
                assert_eq!(t, &content[range.clone()]);
            }
        }
        assert_eq!(end, content.len());
        let pieces = shown_pieces(content);
        assert_eq!(pieces.last().unwrap().end, content.chars().count());
        assert!(pieces.iter().any(|p| !p.verbatim));
    }

    #[test]
    fn extra_fields_are_summarised_and_pretty_printed() {
        let map: serde_json::Map<String, Value> = serde_json::from_str(
            r#"{"function_call": {"name": "f", "arguments": "{\"q\": 1}"}, "capability": "retrieval"}"#,
        )
        .unwrap();
        let e = extra_fields(Some(&map)).unwrap();
        assert_eq!(
            e.summary,
            "function_call { name, arguments } · capability: retrieval"
        );
        assert!(
            e.pretty.starts_with("{\n  \"function_call\": {\n"),
            "{}",
            e.pretty
        );
        assert_eq!(e.count, 2);
        assert_eq!(extra_fields(Some(&serde_json::Map::new())), None);
        assert_eq!(extra_fields(None), None);
    }

    #[test]
    fn markers_only_count_at_line_start() {
        let segs = segments("I said Action: none");
        assert_eq!(segs, vec![Segment::Text("I said Action: none".into())]);
    }

    #[test]
    fn tools_are_read_from_a_system_prompt() {
        let prompt = r#"You can use: [{"name": "calc", "description": "adds", "parameters": {"required": ["a"], "optional": ["b"]}}] Begin!"#;
        let tools = tools_in(prompt);
        assert_eq!(tools.len(), 1);
        assert_eq!(tools[0].name, "calc");
        assert_eq!(tools[0].required, vec!["a"]);
        assert_eq!(tools[0].optional, vec!["b"]);
    }
}
