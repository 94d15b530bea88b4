//! The crate's one error type. Every message is written for a human reading a
//! "bad lines" list or a CLI error: it names the field, what was expected and what was found.

use thiserror::Error;

/// Everything that can go wrong while reading rows, building queries or deriving rows.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FlanError {
    /// The line is not valid JSON (serde_json's message, with the 1-based column).
    #[error("invalid JSON at column {column}: {message}")]
    InvalidJson { column: usize, message: String },
    /// The line's bytes are not UTF-8.
    #[error("invalid UTF-8 at byte {byte_offset} of the line")]
    InvalidUtf8 { byte_offset: usize },
    /// A single line longer than [`crate::parse::MAX_LINE_BYTES`]; skipped without buffering it.
    #[error("line too long: {len} bytes (limit {limit} bytes, 64 MiB)")]
    LineTooLong { len: u64, limit: u64 },
    /// The row is valid JSON but not an object.
    #[error(
        "row is a JSON {found}, expected an object like {{\"id\": ..., \"conversation\": [...]}}"
    )]
    NotAnObject { found: &'static str },
    /// None of the accepted conversation keys is present.
    #[error("missing field `conversation` (also accepted: `conversations`, `messages`); keys present: {keys}{hint}")]
    MissingConversation { keys: String, hint: &'static str },
    /// A field exists but has the wrong JSON type.
    #[error("field `{field}` has the wrong type: expected {expected}, found {found}")]
    WrongType {
        field: String,
        expected: &'static str,
        found: &'static str,
    },
    /// A turn lacks a required field.
    #[error("missing field `{field}`")]
    MissingField { field: String },
    /// A turn's role is none of the known spellings.
    #[error("`{field}` has unknown role `{role}` (known: system, user, human, assistant, gpt, function, observation, tool)")]
    UnknownRole { field: String, role: String },
    /// A regex search pattern that does not compile.
    #[error("invalid regex: {0}")]
    InvalidRegex(String),
    /// A URL parameter that does not name a known facet value.
    #[error("URL parameter `{key}`: {message}")]
    BadQueryParam { key: String, message: String },
    /// A source file whose shape no converter understands.
    #[error("unknown schema: {0}")]
    UnknownSchema(String),
    /// An annotation import line that is valid JSON but not an object.
    #[error("annotation line is a JSON {found}, expected an object like {{\"type\": \"agent-flan-annotation\", \"version\": 1, \"key\": ...}}")]
    AnnotationNotObject { found: &'static str },
    /// An import line whose `type` is not `agent-flan-annotation`.
    #[error(
        "`type` is `{found}`, expected `agent-flan-annotation` (is this an annotation export?)"
    )]
    NotAnAnnotation { found: String },
    /// An annotation export written by a newer (or unknown) format version.
    #[error("unsupported annotation format version {found} (this build reads version 1)")]
    UnsupportedVersion { found: String },
    /// A label / capability name that is not one of the known names.
    #[error("`{field}` has unknown value `{name}` (known: {known})")]
    UnknownName {
        field: String,
        name: String,
        known: String,
    },
    /// A field with the right JSON type but an invalid value.
    #[error("`{field}`: {message}")]
    InvalidValue { field: String, message: String },
    /// A key the annotation format does not have (typo, or a newer writer).
    #[error("unknown field `{field}`")]
    UnknownField { field: String },
    /// A span label that is malformed or not in canonical order.
    #[error("`spans[{index}]`: {message}")]
    InvalidSpan { index: usize, message: String },
    /// An annotation line that carries nothing (no label, note, turn labels or spans).
    #[error("annotation is empty (no label, note, turn labels or spans)")]
    EmptyAnnotation,
    /// A second line for a key already seen in the same import file.
    #[error("duplicate annotation for dataset `{dataset}` id `{id}` (first on line {first_line})")]
    DuplicateAnnotation {
        dataset: String,
        id: String,
        first_line: u64,
    },
}

/// JSON type name used in [`FlanError::WrongType`] messages.
pub(crate) fn json_type_name(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}
