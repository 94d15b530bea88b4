//! Reading the source datasets into Agent-FLAN row shape.
//!
//! * AgentInstruct rows (the ADP copy shipped in `public/data/sources/agentinstruct/`) already
//!   use `role`/`content`; the copy dropped the per-turn `loss`, so [`agentinstruct_to_flan`]
//!   sets it (assistant `true`, others `false`, the paper's "loss on assistant turns only") and
//!   records that with `"loss_derived": true`. Content is verbatim.
//! * ToolBench answers (`answer_generation.derived.jsonl` rows, or a raw `*_DFS_*.json` answer
//!   file) carry an OpenAI-style conversation; [`toolbench_answer_to_flan`] keeps it verbatim with
//!   `function` observations as user turns (original role kept) and function calls in the turn's
//!   extra fields.
//! * ToolBench query files (`G*_query.json`) give queries and API lists for negatives.

use serde_json::{json, Map, Value};

use crate::error::{json_type_name, FlanError};
use crate::model::{Role, Sample};

/// Which shape a source row has (for `flan-data convert`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// Agent-FLAN / AgentInstruct / ShareGPT style rows (`conversation(s)` / `messages`).
    Conversation,
    /// A row of `answer_generation.derived.jsonl` (`train_messages_last`).
    ToolbenchAnswerRow,
    /// A raw ToolBench answer file (`answer_generation.train_messages`).
    ToolbenchAnswerFile,
    /// A ToolBench query (`api_list` + `query`).
    ToolbenchQuery,
}

/// Detects the shape of one parsed source row.
pub fn detect(value: &Value) -> Result<SourceKind, FlanError> {
    let Some(obj) = value.as_object() else {
        return Err(FlanError::UnknownSchema(format!(
            "expected a JSON object, found {}",
            json_type_name(value)
        )));
    };
    if ["conversation", "conversations", "messages"]
        .iter()
        .any(|k| obj.contains_key(*k))
    {
        Ok(SourceKind::Conversation)
    } else if obj.contains_key("train_messages_last") {
        Ok(SourceKind::ToolbenchAnswerRow)
    } else if obj.contains_key("answer_generation") {
        Ok(SourceKind::ToolbenchAnswerFile)
    } else if obj.contains_key("api_list") && obj.contains_key("query") {
        Ok(SourceKind::ToolbenchQuery)
    } else {
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        Err(FlanError::UnknownSchema(format!(
            "no known source shape has keys [{}]; expected `conversation`/`conversations`/`messages` (Agent-FLAN, AgentInstruct), `train_messages_last` or `answer_generation` (ToolBench answers), or `api_list` + `query` (ToolBench queries)",
            keys.join(", ")
        )))
    }
}

/// AgentInstruct row → Agent-FLAN row: loss on assistant turns only (derived), content verbatim.
pub fn agentinstruct_to_flan(mut sample: Sample, source_file: &str) -> Sample {
    let mut derived_loss = false;
    for t in &mut sample.conversation {
        if t.loss.is_none() {
            t.loss = Some(t.role == Role::Assistant);
            derived_loss = true;
        }
    }
    if derived_loss {
        sample
            .extra
            .insert("loss_derived".into(), Value::Bool(true));
    }
    if sample.source.is_none() {
        sample.source = Some(source_file.to_string());
    }
    sample
}

/// One ToolBench answer (a solved or abandoned query).
#[derive(Clone, Debug, PartialEq)]
pub struct ToolbenchAnswer {
    /// e.g. `toolbench_G1_answer_10`.
    pub source_id: String,
    pub source_file: String,
    pub query: String,
    /// `give_answer` or `give_up`.
    pub finish_type: String,
    /// OpenAI-function-style tool schemas offered (including `Finish`).
    pub functions: Vec<Value>,
    /// The final full conversation; `None` when the answer file has no `train_messages`.
    pub messages: Option<Vec<Value>>,
}

/// `data_example/answer/G1_answer/10_ChatGPT_DFS_woFilter_w2.json` → `toolbench_G1_answer_10`.
pub fn toolbench_source_id(source_file: &str) -> String {
    let mut parts = source_file.rsplit('/');
    let file = parts.next().unwrap_or(source_file);
    let dir = parts.next().unwrap_or("");
    let number = file.split('_').next().unwrap_or(file);
    format!("toolbench_{dir}_{number}")
}

fn str_field(obj: &Map<String, Value>, key: &str) -> Result<String, FlanError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(FlanError::WrongType {
            field: key.into(),
            expected: "string",
            found: json_type_name(other),
        }),
        None => Err(FlanError::MissingField { field: key.into() }),
    }
}

/// Reads one `answer_generation.derived.jsonl` row or one raw answer file.
pub fn toolbench_answer(value: &Value, file_name: &str) -> Result<ToolbenchAnswer, FlanError> {
    let obj = value.as_object().ok_or(FlanError::NotAnObject {
        found: json_type_name(value),
    })?;
    let (gen, source_file, messages) = if let Some(gen) = obj.get("answer_generation") {
        let gen = gen.as_object().ok_or_else(|| FlanError::WrongType {
            field: "answer_generation".into(),
            expected: "object",
            found: json_type_name(gen),
        })?;
        let last = gen
            .get("train_messages")
            .and_then(Value::as_array)
            .and_then(|m| m.last())
            .and_then(Value::as_array)
            .cloned();
        (gen, file_name.to_string(), last)
    } else {
        let last = obj
            .get("train_messages_last")
            .and_then(Value::as_array)
            .cloned();
        (obj, str_field(obj, "source_file")?, last)
    };
    let functions = gen
        .get("function")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(ToolbenchAnswer {
        source_id: toolbench_source_id(&source_file),
        query: str_field(gen, "query")?,
        finish_type: gen
            .get("finish_type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        functions,
        messages,
        source_file,
    })
}

/// ToolBench answer → Agent-FLAN-shaped row with the conversation verbatim (None without one).
pub fn toolbench_answer_to_flan(answer: &ToolbenchAnswer) -> Result<Option<Sample>, FlanError> {
    let Some(messages) = &answer.messages else {
        return Ok(None);
    };
    let value = json!({ "id": answer.source_id, "conversation": messages });
    let mut sample = Sample::from_value(value, &answer.source_id)?;
    for t in &mut sample.conversation {
        t.loss = Some(t.role == Role::Assistant && t.original_role.is_none());
    }
    sample
        .extra
        .insert("loss_derived".into(), Value::Bool(true));
    sample
        .extra
        .insert("query".into(), Value::String(answer.query.clone()));
    sample.extra.insert(
        "finish_type".into(),
        Value::String(answer.finish_type.clone()),
    );
    sample.source = Some("toolbench/answer_generation.derived.jsonl".into());
    Ok(Some(sample))
}

/// One API of a ToolBench query's `api_list`.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolbenchApi {
    pub category: String,
    pub tool_name: String,
    pub api_name: String,
    pub description: String,
    pub method: String,
    pub required: Vec<Value>,
    pub optional: Vec<Value>,
}

impl ToolbenchApi {
    /// ToolBench's function naming: `{api}_for_{tool}`, snake-cased.
    pub fn function_name(&self) -> String {
        format!("{}_for_{}", snake(&self.api_name), snake(&self.tool_name))
    }

    /// Lagent / OpenAI style tool description used in system prompts.
    pub fn to_tool_json(&self) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for (list, is_required) in [(&self.required, true), (&self.optional, false)] {
            for p in list {
                let Some(name) = p.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let ty = p
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("STRING")
                    .to_lowercase();
                let desc = p.get("description").and_then(Value::as_str).unwrap_or("");
                properties.insert(name.into(), json!({"type": ty, "description": desc}));
                if is_required {
                    required.push(Value::String(name.into()));
                }
            }
        }
        let description = if self.description.trim().is_empty() {
            format!(
                "{} endpoint of the {} API ({})",
                self.api_name, self.tool_name, self.category
            )
        } else {
            self.description.trim().to_string()
        };
        json!({
            "name": self.function_name(),
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        })
    }
}

fn snake(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// One ToolBench query.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolbenchQuery {
    /// e.g. `toolbench_G1_query_1`.
    pub source_id: String,
    pub query: String,
    pub apis: Vec<ToolbenchApi>,
    /// `relevant APIs`: (tool name, api name).
    pub relevant: Vec<(String, String)>,
}

impl ToolbenchQuery {
    /// Tool names this query's APIs belong to.
    pub fn tool_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.apis.iter().map(|a| a.tool_name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The relevant APIs, resolved against `apis` where possible.
    pub fn relevant_apis(&self) -> Vec<&ToolbenchApi> {
        let found: Vec<&ToolbenchApi> = self
            .relevant
            .iter()
            .filter_map(|(tool, api)| {
                self.apis
                    .iter()
                    .find(|a| &a.tool_name == tool && &a.api_name == api)
            })
            .collect();
        if found.is_empty() {
            self.apis.iter().collect()
        } else {
            found
        }
    }
}

/// Reads one query object; `group` is `G1`/`G2`/`G3`.
pub fn toolbench_query(value: &Value, group: &str) -> Result<ToolbenchQuery, FlanError> {
    let obj = value.as_object().ok_or(FlanError::NotAnObject {
        found: json_type_name(value),
    })?;
    let query = str_field(obj, "query")?;
    let id = match obj.get("query_id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(FlanError::MissingField {
                field: "query_id".into(),
            })
        }
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let list = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let apis = obj
        .get("api_list")
        .and_then(Value::as_array)
        .ok_or_else(|| FlanError::MissingField {
            field: "api_list".into(),
        })?
        .iter()
        .map(|a| ToolbenchApi {
            category: text(a, "category_name"),
            tool_name: text(a, "tool_name"),
            api_name: text(a, "api_name"),
            description: text(a, "api_description"),
            method: text(a, "method"),
            required: list(a, "required_parameters"),
            optional: list(a, "optional_parameters"),
        })
        .collect();
    let relevant = obj
        .get("relevant APIs")
        .and_then(Value::as_array)
        .map(|pairs| {
            pairs
                .iter()
                .filter_map(|p| {
                    let p = p.as_array()?;
                    Some((
                        p.first()?.as_str()?.to_string(),
                        p.get(1)?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ToolbenchQuery {
        source_id: format!("toolbench_{group}_query_{id}"),
        query,
        apis,
        relevant,
    })
}

/// Reads a whole `G*_query.json` file (a JSON array).
pub fn toolbench_query_file(text: &str, group: &str) -> Result<Vec<ToolbenchQuery>, FlanError> {
    let values: Vec<Value> = serde_json::from_str(text).map_err(|e| FlanError::InvalidJson {
        column: e.column(),
        message: e.to_string(),
    })?;
    values.iter().map(|v| toolbench_query(v, group)).collect()
}

/// Source file of a query group's rows (`G1` → `toolbench/instruction/G1_query.json`).
pub fn toolbench_query_file_name(group: &str) -> String {
    format!("toolbench/instruction/{group}_query.json")
}

/// ToolBench query → published Agent-FLAN-shaped row, so loaded data carries what negatives are
/// derived from: id `toolbench_{group}_query_{query_id}`, one user turn with the query verbatim
/// (`loss: false`: there is no answer to train on), and the query object's other keys
/// (`api_list`, `relevant APIs`, `query_id`, ...) verbatim as row fields. [`query_from_row`]
/// reads it back.
pub fn toolbench_query_row(value: &Value, group: &str) -> Result<Sample, FlanError> {
    let query = toolbench_query(value, group)?;
    let obj = value.as_object().ok_or(FlanError::NotAnObject {
        found: json_type_name(value),
    })?;
    let mut sample = Sample::new(
        query.source_id,
        vec![crate::model::Turn::new(Role::User, query.query).with_loss(false)],
    );
    for (k, v) in obj {
        if k != "query" {
            sample.extra.insert(k.clone(), v.clone());
        }
    }
    sample.source = Some(toolbench_query_file_name(group));
    Ok(sample)
}

/// The ToolBench query a loaded row holds (a [`toolbench_query_row`]: published, with an
/// `api_list` and a user turn), with the row's id as `source_id`; `None` for any other row.
pub fn query_from_row(sample: &Sample) -> Option<ToolbenchQuery> {
    if sample.is_derived() || !sample.extra.contains_key("api_list") {
        return None;
    }
    let user = sample.conversation.iter().find(|t| t.role == Role::User)?;
    let mut obj = sample.extra.clone();
    obj.insert("query".into(), Value::String(user.content.clone()));
    if !obj.contains_key("query_id") {
        obj.insert("query_id".into(), Value::String(sample.id.clone()));
    }
    let mut query = toolbench_query(&Value::Object(obj), "").ok()?;
    query.source_id = sample.id.clone();
    Some(query)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn source_path(rel: &str) -> std::path::PathBuf {
        crate::public_path(&format!("data/sources/{rel}"))
    }

    pub(crate) fn toolbench_answers() -> Vec<ToolbenchAnswer> {
        let text =
            std::fs::read_to_string(source_path("toolbench/answer_generation.derived.jsonl"))
                .unwrap();
        text.lines()
            .map(|l| toolbench_answer(&serde_json::from_str(l).unwrap(), "").unwrap())
            .collect()
    }

    pub(crate) fn toolbench_queries() -> Vec<ToolbenchQuery> {
        ["G1", "G2", "G3"]
            .iter()
            .flat_map(|g| {
                let text = std::fs::read_to_string(source_path(&format!(
                    "toolbench/instruction/{g}_query.json"
                )))
                .unwrap();
                toolbench_query_file(&text, g).unwrap()
            })
            .collect()
    }

    #[test]
    fn reads_real_toolbench_answers() {
        let answers = toolbench_answers();
        assert_eq!(answers.len(), 15);
        assert_eq!(answers[0].source_id, "toolbench_G1_answer_10");
        assert_eq!(answers.iter().filter(|a| a.messages.is_none()).count(), 2);
        let flan = toolbench_answer_to_flan(&answers[0]).unwrap().unwrap();
        assert_eq!(flan.conversation[0].role, Role::System);
        assert_eq!(
            flan.conversation[3].original_role.as_deref(),
            Some("function")
        );
        assert_eq!(flan.conversation[3].loss, Some(false));
        assert_eq!(flan.conversation[2].loss, Some(true));
        assert!(toolbench_answer_to_flan(&answers[4]).unwrap().is_none());
    }

    #[test]
    fn reads_real_toolbench_queries() {
        let q = toolbench_queries();
        assert_eq!(q.len(), 10);
        assert_eq!(q[0].source_id, "toolbench_G1_query_1");
        assert_eq!(q[0].tool_names(), ["SQUAKE"]);
        assert_eq!(q[0].relevant_apis().len(), 2);
        assert_eq!(q[0].apis[0].function_name(), "checkhealth_for_squake");
        let tool = q[0].apis[0].to_tool_json();
        assert_eq!(tool["name"], "checkhealth_for_squake");
    }

    #[test]
    fn query_rows_keep_the_query_and_read_back() {
        let text =
            std::fs::read_to_string(source_path("toolbench/instruction/G2_query.json")).unwrap();
        let values: Vec<Value> = serde_json::from_str(&text).unwrap();
        let row = toolbench_query_row(&values[0], "G2").unwrap();
        let direct = toolbench_query(&values[0], "G2").unwrap();
        assert_eq!(row.id, direct.source_id);
        assert_eq!(row.conversation.len(), 1);
        assert_eq!(
            row.conversation[0].content,
            values[0]["query"].as_str().unwrap()
        );
        assert_eq!(row.conversation[0].loss, Some(false));
        assert_eq!(row.extra["api_list"], values[0]["api_list"]);
        assert_eq!(
            row.source.as_deref(),
            Some("toolbench/instruction/G2_query.json")
        );
        assert!(!row.is_derived());
        // Through JSONL (as the page loads it) and back to the same query.
        let back = crate::parse::parse_line(row.to_json_line().as_bytes(), 1).unwrap();
        assert_eq!(query_from_row(&back), Some(direct));
        // Not a query row: no api_list, or derived.
        let mut plain = back.clone();
        plain.extra.shift_remove("api_list");
        assert_eq!(query_from_row(&plain), None);
        let mut derived = back;
        crate::derive::mark_derived(&mut derived, "x", crate::derive::Rule::React);
        assert_eq!(query_from_row(&derived), None);
    }

    #[test]
    fn detects_shapes_and_rejects_unknown() {
        assert_eq!(
            detect(&json!({"conversations": []})).unwrap(),
            SourceKind::Conversation
        );
        assert_eq!(
            detect(&json!({"train_messages_last": null})).unwrap(),
            SourceKind::ToolbenchAnswerRow
        );
        assert_eq!(
            detect(&json!({"api_list": [], "query": ""})).unwrap(),
            SourceKind::ToolbenchQuery
        );
        let e = detect(&json!({"foo": 1})).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("unknown schema: no known source shape has keys [foo]"));
    }

    #[test]
    fn agentinstruct_loss_is_derived_for_assistant_turns() {
        let rows = crate::classify::tests::real_rows("os");
        let flan = agentinstruct_to_flan(rows[0].clone(), "agentinstruct/os.sample.jsonl");
        assert!(flan
            .conversation
            .iter()
            .all(|t| t.loss == Some(t.role == Role::Assistant)));
        assert_eq!(flan.extra["loss_derived"], Value::Bool(true));
        assert_eq!(
            flan.source.as_deref(),
            Some("agentinstruct/os.sample.jsonl")
        );
        assert!(!flan.is_derived());
    }
}
