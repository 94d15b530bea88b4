//! Row model: one Agent-FLAN sample = `{"id", "conversation": [{"role", "content", "loss"?}]}`.
//!
//! Real copies of Agent-FLAN and its sources use several schema variants; [`Sample::from_value`]
//! accepts all of them and normalises to one shape:
//!
//! * conversation key: `conversation` (Agent-FLAN), `conversations` (AgentInstruct on the Hub,
//!   ShareGPT), `messages` (OpenAI style);
//! * turn keys: `role` + `content`, or `from` + `value` (ShareGPT / AgentInstruct on the Hub);
//! * role spellings: `human`/`user` → [`Role::User`], `gpt`/`assistant` → [`Role::Assistant`],
//!   `system` → [`Role::System`], and `function`/`observation`/`tool` → [`Role::User`], because
//!   Agent-FLAN puts tool observations in user turns. The spelling found is kept in
//!   [`Turn::original_role`] when it differs, so the UI can show it;
//! * `loss`: a bool, `null` or absent (all become `Option<bool>`);
//! * `content: null` (OpenAI function-call turns) becomes an empty string; the turn's other keys
//!   (`function_call`, `name`, ...) are kept in [`Turn::extra`];
//! * unknown row keys are kept in [`Sample::extra`], in file order.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{json_type_name, FlanError};

/// The three roles of the Agent-FLAN schema.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    #[default]
    User,
    Assistant,
}

impl Role {
    /// Canonical lowercase name, as written in Agent-FLAN files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }

    /// Maps any known spelling (case-insensitive) to a role.
    pub fn from_name(name: &str) -> Option<Role> {
        let lower = name.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "system" => Role::System,
            "user" | "human" => Role::User,
            "assistant" | "gpt" | "bot" | "model" => Role::Assistant,
            // Agent-FLAN puts tool / environment observations in user turns.
            "function" | "observation" | "tool" | "environment" => Role::User,
            _ => return None,
        })
    }
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct Turn {
    pub role: Role,
    pub content: String,
    /// Training-loss mask: `Some(false)` = masked out (not trained on). `None` = not stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<bool>,
    /// The role as spelled in the file when it was not the canonical name (e.g. `gpt`, `function`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_role: Option<String>,
    /// Other keys of the turn object (e.g. `function_call`, `name`), kept for display.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Box<Map<String, Value>>>,
}

impl Turn {
    /// A turn with canonical role and no loss flag.
    pub fn new(role: Role, content: impl Into<String>) -> Turn {
        Turn {
            role,
            content: content.into(),
            ..Turn::default()
        }
    }

    /// Same turn with an explicit loss flag.
    pub fn with_loss(mut self, loss: bool) -> Turn {
        self.loss = Some(loss);
        self
    }

    /// Name to display: the file's own spelling when it had one.
    pub fn display_role(&self) -> &str {
        self.original_role
            .as_deref()
            .unwrap_or_else(|| self.role.as_str())
    }

    /// True when the file marks this turn as excluded from the training loss.
    pub fn is_loss_masked(&self) -> bool {
        self.loss == Some(false)
    }
}

/// Which source row a derived row was built from, and by which rule (see [`crate::derive`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivedFrom {
    pub source_id: String,
    pub rule: String,
}

/// One row.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct Sample {
    pub id: String,
    pub conversation: Vec<Turn>,
    /// Where the row came from (file name), when the row itself says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Present only on rows this crate derived; absent on published rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<DerivedFrom>,
    /// Unknown row keys, kept in file order for display.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Sample {
    /// A row with the given id and turns.
    pub fn new(id: impl Into<String>, conversation: Vec<Turn>) -> Sample {
        Sample {
            id: id.into(),
            conversation,
            ..Sample::default()
        }
    }

    /// Converts a parsed JSON value, accepting every schema variant listed in the module docs.
    /// `fallback_id` is used when the row has no `id` (e.g. `line-7`).
    pub fn from_value(value: Value, fallback_id: &str) -> Result<Sample, FlanError> {
        let mut obj = match value {
            Value::Object(obj) => obj,
            other => {
                return Err(FlanError::NotAnObject {
                    found: json_type_name(&other),
                })
            }
        };
        let (conv_key, conv_value) = ["conversation", "conversations", "messages"]
            .iter()
            .find_map(|k| obj.shift_remove(*k).map(|v| (*k, v)))
            .ok_or_else(|| missing_conversation(&obj))?;
        let turns = match conv_value {
            Value::Array(turns) => turns,
            other => {
                return Err(FlanError::WrongType {
                    field: conv_key.to_string(),
                    expected: "array of turns",
                    found: json_type_name(&other),
                })
            }
        };
        let conversation = turns
            .into_iter()
            .enumerate()
            .map(|(i, t)| turn_from_value(t, conv_key, i))
            .collect::<Result<Vec<_>, _>>()?;
        let id = match obj.shift_remove("id") {
            None | Some(Value::Null) => fallback_id.to_string(),
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(FlanError::WrongType {
                    field: "id".into(),
                    expected: "string or number",
                    found: json_type_name(&other),
                })
            }
        };
        let source = match obj.shift_remove("source") {
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                // Not ours: keep it as an unknown field rather than rejecting the row.
                obj.insert("source".into(), other);
                None
            }
            None => None,
        };
        let derived_from = match obj.shift_remove("derived_from") {
            None | Some(Value::Null) => None,
            Some(v) => Some(serde_json::from_value::<DerivedFrom>(v).map_err(|e| {
                FlanError::WrongType {
                    field: format!("derived_from ({e})"),
                    expected: "{\"source_id\": string, \"rule\": string}",
                    found: "object of another shape",
                }
            })?),
        };
        Ok(Sample {
            id,
            conversation,
            source,
            derived_from,
            extra: obj,
        })
    }

    /// Serialises the row as one JSONL line (no trailing newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).expect("a Sample always serialises")
    }

    /// True when this crate derived the row (it carries `derived_from`).
    pub fn is_derived(&self) -> bool {
        self.derived_from.is_some()
    }

    /// Iterator over the assistant turns with their index in the conversation.
    pub fn assistant_turns(&self) -> impl Iterator<Item = (usize, &Turn)> {
        self.conversation
            .iter()
            .enumerate()
            .filter(|(_, t)| t.role == Role::Assistant)
    }
}

impl<'de> Deserialize<'de> for Sample {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Sample::from_value(value, "").map_err(serde::de::Error::custom)
    }
}

fn missing_conversation(obj: &Map<String, Value>) -> FlanError {
    let keys = if obj.is_empty() {
        "(none)".to_string()
    } else {
        obj.keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Point users of known source schemas at the converter instead of a bare rejection.
    let hint = if obj.contains_key("train_messages_last") || obj.contains_key("api_list") {
        " (this looks like a ToolBench file: run `flan-data convert` first)"
    } else {
        ""
    };
    FlanError::MissingConversation { keys, hint }
}

fn turn_from_value(value: Value, conv_key: &str, index: usize) -> Result<Turn, FlanError> {
    let path = |field: &str| format!("{conv_key}[{index}].{field}");
    let mut obj = match value {
        Value::Object(obj) => obj,
        other => {
            return Err(FlanError::WrongType {
                field: format!("{conv_key}[{index}]"),
                expected: "object with role and content",
                found: json_type_name(&other),
            })
        }
    };
    let (role_key, role_value) = ["role", "from"]
        .iter()
        .find_map(|k| obj.shift_remove(*k).map(|v| (*k, v)))
        .ok_or_else(|| FlanError::MissingField {
            field: path("role` or `from"),
        })?;
    let role_name = match role_value {
        Value::String(s) => s,
        other => {
            return Err(FlanError::WrongType {
                field: path(role_key),
                expected: "string",
                found: json_type_name(&other),
            })
        }
    };
    let role = Role::from_name(&role_name).ok_or_else(|| FlanError::UnknownRole {
        field: path(role_key),
        role: role_name.clone(),
    })?;
    let original_role = (role_name != role.as_str()).then_some(role_name);
    let (content_key, content_value) = ["content", "value"]
        .iter()
        .find_map(|k| obj.shift_remove(*k).map(|v| (*k, v)))
        .ok_or_else(|| FlanError::MissingField {
            field: path("content` or `value"),
        })?;
    let content = match content_value {
        Value::String(s) => s,
        // OpenAI function-call turns carry `content: null`; the call itself stays in `extra`.
        Value::Null => String::new(),
        other => {
            return Err(FlanError::WrongType {
                field: path(content_key),
                expected: "string",
                found: json_type_name(&other),
            })
        }
    };
    let loss = match obj.shift_remove("loss") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(other) => {
            return Err(FlanError::WrongType {
                field: path("loss"),
                expected: "boolean or null",
                found: json_type_name(&other),
            })
        }
    };
    // Our own serialisation writes `original_role`; read it back so rows round-trip.
    let original_role = match obj.shift_remove("original_role") {
        Some(Value::String(s)) => Some(s),
        _ => original_role,
    };
    let extra = (!obj.is_empty()).then(|| Box::new(obj));
    Ok(Turn {
        role,
        content,
        loss,
        original_role,
        extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_from_value_schema_with_loss() {
        let v = json!({"id": "os_1", "conversations": [
            {"from": "human", "value": "hi", "loss": false},
            {"from": "gpt", "value": "hello", "loss": true}]});
        let s = Sample::from_value(v, "x").unwrap();
        assert_eq!(s.id, "os_1");
        assert_eq!(s.conversation[0].role, Role::User);
        assert_eq!(s.conversation[0].display_role(), "human");
        assert_eq!(s.conversation[1].role, Role::Assistant);
        assert_eq!(s.conversation[1].loss, Some(true));
        assert!(s.conversation[0].is_loss_masked());
    }

    #[test]
    fn maps_function_role_to_user_and_keeps_extras() {
        let v = json!({"messages": [
            {"role": "assistant", "content": null, "function_call": {"name": "f", "arguments": "{}"}},
            {"role": "function", "name": "f", "content": "ok", "loss": null}], "extra_key": 3});
        let s = Sample::from_value(v, "line-4").unwrap();
        assert_eq!(s.id, "line-4");
        assert_eq!(s.conversation[0].content, "");
        assert!(s.conversation[0]
            .extra
            .as_ref()
            .unwrap()
            .contains_key("function_call"));
        assert_eq!(s.conversation[1].role, Role::User);
        assert_eq!(s.conversation[1].original_role.as_deref(), Some("function"));
        assert_eq!(s.conversation[1].loss, None);
        assert_eq!(s.extra["extra_key"], json!(3));
    }

    #[test]
    fn reports_specific_errors() {
        let e = Sample::from_value(json!({"id": "a", "text": "x"}), "").unwrap_err();
        assert_eq!(
            e.to_string(),
            "missing field `conversation` (also accepted: `conversations`, `messages`); keys present: id, text"
        );
        let e = Sample::from_value(
            json!({"conversation": [{"role": "user", "content": 5}]}),
            "",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `conversation[0].content` has the wrong type: expected string, found number"
        );
        let e = Sample::from_value(
            json!({"conversation": [{"role": "robot", "content": ""}]}),
            "",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown role `robot`"), "{e}");
        let e = Sample::from_value(json!([1]), "").unwrap_err();
        assert!(e.to_string().starts_with("row is a JSON array"));
        let e = Sample::from_value(
            json!({"conversation": [{"role": "user", "content": "", "loss": "no"}]}),
            "",
        )
        .unwrap_err();
        assert!(e.to_string().contains("`conversation[0].loss`"), "{e}");
        let e =
            Sample::from_value(json!({"train_messages_last": [], "query": "q"}), "").unwrap_err();
        assert!(e.to_string().contains("flan-data convert"), "{e}");
    }

    #[test]
    fn serialises_to_agent_flan_shape_and_round_trips() {
        let mut s = Sample::new(
            "r1",
            vec![
                Turn::new(Role::System, "sys").with_loss(false),
                Turn::new(Role::Assistant, "a"),
            ],
        );
        s.derived_from = Some(DerivedFrom {
            source_id: "os_1".into(),
            rule: "react".into(),
        });
        s.source = Some("derived".into());
        let line = s.to_json_line();
        assert_eq!(
            line,
            r#"{"id":"r1","conversation":[{"role":"system","content":"sys","loss":false},{"role":"assistant","content":"a"}],"source":"derived","derived_from":{"source_id":"os_1","rule":"react"}}"#
        );
        let back: Sample = serde_json::from_str(&line).unwrap();
        assert_eq!(back, s);
    }
}
