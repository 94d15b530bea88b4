//! Validated import of an [`export_annotations`] file.
//!
//! [`export_annotations`]: super::export_annotations

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::annotation::{Annotation, AnnotationKey, TurnAnnotation};
use super::export::{FORMAT_VERSION, RECORD_TYPE};
use super::fingerprint::is_hash;
use super::labels::{SampleLabel, TurnLabel};
use super::spans::SpanLabel;
use super::store::Annotations;
use crate::codes::{Capability, Code};
use crate::error::{json_type_name, FlanError};
use crate::parse::BadLine;

/// Result of [`parse_import`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Valid annotations for keys that have none yet, in file order.
    pub annotations: Vec<Annotation>,
    /// Rejected lines, by 1-based line number, with the reason.
    pub bad_lines: Vec<BadLine>,
    /// Valid annotations that differ from the one already stored for their key.
    pub conflicts: Vec<Conflict>,
    /// Valid lines equal to what is already stored (all but `updated_ms`), skipped.
    pub unchanged: usize,
}

/// An imported annotation that differs from the stored one for the same key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conflict {
    pub key: AnnotationKey,
    pub ours: Annotation,
    pub theirs: Annotation,
}

/// Validates an [`export_annotations`] file line by line against `existing`. Blank lines are
/// skipped; a UTF-8 BOM and CRLF line ends are accepted. A line is bad when it is not UTF-8,
/// not JSON, not an object, has a wrong `type` or `version`, a missing / mistyped / unknown
/// field, an unknown label or capability name, a malformed content hash or turn index, an
/// invalid, duplicate or out-of-order span, carries nothing, or repeats an earlier line's key.
/// A valid annotation equal to the stored one (all but `updated_ms`) is skipped, one that
/// differs is a [`Conflict`], one for a new key goes in [`ImportReport::annotations`].
///
/// [`export_annotations`]: super::export_annotations
pub fn parse_import(bytes: &[u8], existing: &Annotations) -> ImportReport {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut report = ImportReport::default();
    let mut seen: BTreeMap<AnnotationKey, u64> = BTreeMap::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_number = i as u64 + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let result = annotation_from_line(line).and_then(|a| match seen.get(&a.key) {
            Some(&first_line) => Err(FlanError::DuplicateAnnotation {
                dataset: a.key.dataset.clone(),
                id: a.key.id.clone(),
                first_line,
            }),
            None => Ok(a),
        });
        let theirs = match result {
            Ok(a) => a,
            Err(error) => {
                report.bad_lines.push(BadLine {
                    line_number,
                    reason: error.to_string(),
                    error,
                });
                continue;
            }
        };
        seen.insert(theirs.key.clone(), line_number);
        match existing.get(&theirs.key) {
            Some(ours) if ours.same_content(&theirs) => report.unchanged += 1,
            Some(ours) => report.conflicts.push(Conflict {
                key: theirs.key.clone(),
                ours: ours.clone(),
                theirs,
            }),
            None => report.annotations.push(theirs),
        }
    }
    report
}

/// Parses and validates one line of an [`export_annotations`] file.
///
/// [`export_annotations`]: super::export_annotations
pub fn annotation_from_line(line: &[u8]) -> Result<Annotation, FlanError> {
    let text = std::str::from_utf8(line).map_err(|e| FlanError::InvalidUtf8 {
        byte_offset: e.valid_up_to(),
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let column = e.column();
        let mut message = e.to_string();
        if let Some(cut) = message.rfind(" at line ") {
            message.truncate(cut);
        }
        FlanError::InvalidJson { column, message }
    })?;
    annotation_from_value(value)
}

fn wrong_type(field: &str, expected: &'static str, found: &Value) -> FlanError {
    FlanError::WrongType {
        field: field.to_string(),
        expected,
        found: json_type_name(found),
    }
}

fn invalid(field: &str, message: impl Into<String>) -> FlanError {
    FlanError::InvalidValue {
        field: field.to_string(),
        message: message.into(),
    }
}

fn take_string(obj: &mut Map<String, Value>, field: &str, path: &str) -> Result<String, FlanError> {
    match obj.shift_remove(field) {
        None => Err(FlanError::MissingField {
            field: path.to_string(),
        }),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(wrong_type(path, "string", &other)),
    }
}

fn take_index(obj: &mut Map<String, Value>, field: &str, path: &str) -> Result<usize, FlanError> {
    match obj.shift_remove(field) {
        None => Err(FlanError::MissingField {
            field: path.to_string(),
        }),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| invalid(path, format!("{n} is not a non-negative integer"))),
        Some(other) => Err(wrong_type(path, "non-negative integer", &other)),
    }
}

/// An optional name: absent or `null` = `None`.
fn take_name<T>(
    obj: &mut Map<String, Value>,
    field: &str,
    path: &str,
    from_name: fn(&str) -> Option<T>,
    all: &[&str],
) -> Result<Option<T>, FlanError> {
    match obj.shift_remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(name)) => match from_name(&name) {
            Some(v) => Ok(Some(v)),
            None => Err(FlanError::UnknownName {
                field: path.to_string(),
                name,
                known: all.join(", "),
            }),
        },
        Some(other) => Err(wrong_type(path, "string or null", &other)),
    }
}

fn no_more_fields(obj: &Map<String, Value>, prefix: &str) -> Result<(), FlanError> {
    match obj.keys().next() {
        Some(k) => Err(FlanError::UnknownField {
            field: format!("{prefix}{k}"),
        }),
        None => Ok(()),
    }
}

fn names<T: Code>() -> Vec<&'static str> {
    T::ALL.iter().map(|v| v.name()).collect()
}

fn annotation_from_value(value: Value) -> Result<Annotation, FlanError> {
    let mut obj = match value {
        Value::Object(obj) => obj,
        other => {
            return Err(FlanError::AnnotationNotObject {
                found: json_type_name(&other),
            })
        }
    };
    let record_type = take_string(&mut obj, "type", "type")?;
    if record_type != RECORD_TYPE {
        return Err(FlanError::NotAnAnnotation { found: record_type });
    }
    match obj.shift_remove("version") {
        None => {
            return Err(FlanError::MissingField {
                field: "version".into(),
            })
        }
        Some(Value::Number(n)) if n.as_u64() == Some(FORMAT_VERSION) => {}
        Some(Value::Number(n)) => {
            return Err(FlanError::UnsupportedVersion {
                found: n.to_string(),
            })
        }
        Some(other) => return Err(wrong_type("version", "integer", &other)),
    }
    let key = match obj.shift_remove("key") {
        None => {
            return Err(FlanError::MissingField {
                field: "key".into(),
            })
        }
        Some(Value::Object(mut k)) => {
            let dataset = take_string(&mut k, "dataset", "key.dataset")?;
            let id = take_string(&mut k, "id", "key.id")?;
            no_more_fields(&k, "key.")?;
            AnnotationKey { dataset, id }
        }
        Some(other) => return Err(wrong_type("key", "object {\"dataset\", \"id\"}", &other)),
    };
    let content_hash = take_string(&mut obj, "content_hash", "content_hash")?;
    if !is_hash(&content_hash) {
        return Err(invalid(
            "content_hash",
            format!("`{content_hash}` is not 16 lowercase hex digits"),
        ));
    }
    let label = take_name(
        &mut obj,
        "label",
        "label",
        SampleLabel::from_name,
        &names::<SampleLabel>(),
    )?;
    let note = match obj.shift_remove("note") {
        None => String::new(),
        Some(Value::String(s)) => s,
        Some(other) => return Err(wrong_type("note", "string", &other)),
    };
    let mut turns = BTreeMap::new();
    match obj.shift_remove("turns") {
        None => {}
        Some(Value::Object(entries)) => {
            for (index, entry) in entries {
                let path = format!("turns.{index}");
                let turn: usize = index
                    .parse()
                    .map_err(|_| invalid("turns", format!("key `{index}` is not a turn index")))?;
                let mut t = match entry {
                    Value::Object(t) => t,
                    other => {
                        return Err(wrong_type(
                            &path,
                            "object {\"label\", \"capability\"}",
                            &other,
                        ))
                    }
                };
                let label = take_name(
                    &mut t,
                    "label",
                    &format!("{path}.label"),
                    TurnLabel::from_name,
                    &names::<TurnLabel>(),
                )?;
                let capability = take_name(
                    &mut t,
                    "capability",
                    &format!("{path}.capability"),
                    <Capability as Code>::from_name,
                    &names::<Capability>(),
                )?;
                no_more_fields(&t, &format!("{path}."))?;
                let t = TurnAnnotation { label, capability };
                if !t.is_empty() && turns.insert(turn, t).is_some() {
                    return Err(invalid("turns", format!("turn {turn} appears twice")));
                }
            }
        }
        Some(other) => return Err(wrong_type("turns", "object keyed by turn index", &other)),
    }
    let mut spans: Vec<SpanLabel> = Vec::new();
    match obj.shift_remove("spans") {
        None => {}
        Some(Value::Array(items)) => {
            for (index, item) in items.into_iter().enumerate() {
                let path = format!("spans[{index}]");
                let mut s = match item {
                    Value::Object(s) => s,
                    other => return Err(wrong_type(&path, "object", &other)),
                };
                let span = SpanLabel {
                    turn: take_index(&mut s, "turn", &format!("{path}.turn"))?,
                    start: take_index(&mut s, "start", &format!("{path}.start"))?,
                    end: take_index(&mut s, "end", &format!("{path}.end"))?,
                    text: take_string(&mut s, "text", &format!("{path}.text"))?,
                    label: take_string(&mut s, "label", &format!("{path}.label"))?,
                };
                no_more_fields(&s, &format!("{path}."))?;
                span.validate()
                    .map_err(|message| FlanError::InvalidSpan { index, message })?;
                if let Some(prev) = spans.last() {
                    if *prev == span {
                        return Err(FlanError::InvalidSpan {
                            index,
                            message: format!("duplicate of spans[{}]", index - 1),
                        });
                    }
                    if *prev > span {
                        return Err(FlanError::InvalidSpan {
                            index,
                            message: "span out of order: spans must be sorted by turn, start, end, text, label".into(),
                        });
                    }
                }
                spans.push(span);
            }
        }
        Some(other) => return Err(wrong_type("spans", "array", &other)),
    }
    let updated_ms = match obj.shift_remove("updated_ms") {
        None => {
            return Err(FlanError::MissingField {
                field: "updated_ms".into(),
            })
        }
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(other) => return Err(wrong_type("updated_ms", "number", &other)),
    };
    no_more_fields(&obj, "")?;
    let annotation = Annotation {
        key,
        content_hash,
        label,
        note,
        turns,
        spans,
        updated_ms,
    };
    if annotation.is_empty() {
        return Err(FlanError::EmptyAnnotation);
    }
    Ok(annotation)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::annotate::test_support::*;
    use crate::annotate::{export_annotations, Edit};

    /// A store with every kind of content, including awkward strings.
    fn rich_store() -> Annotations {
        let mut a = Annotations::default();
        let edits = vec![
            label("os_1", &h(1), Some(SampleLabel::Accept)),
            label("os_10", &h(2), Some(SampleLabel::Reject)),
            (
                key("os_10"),
                h(2),
                Edit::SetNote {
                    note: "line1\nline2 \"quoted\" \\ é 🚀".into(),
                },
            ),
            (
                key("os_2"),
                h(3),
                Edit::SetTurnLabel {
                    turn: 10,
                    label: Some(TurnLabel::Wrong),
                },
            ),
            (
                key("os_2"),
                h(3),
                Edit::SetTurnLabel {
                    turn: 2,
                    label: Some(TurnLabel::Correct),
                },
            ),
            (
                key("os_2"),
                h(3),
                Edit::SetTurnCapability {
                    turn: 2,
                    capability: Some(Capability::InstructionFollowing),
                },
            ),
            (
                key("os_2"),
                h(3),
                Edit::AddSpan {
                    span: span(3, 2, "🚀é", "hallucination"),
                },
            ),
            (
                key("os_2"),
                h(3),
                Edit::AddSpan {
                    span: span(1, 0, "Think", "reasoning"),
                },
            ),
            (
                AnnotationKey::new("other\",\"file", "db_1"),
                h(4),
                Edit::SetLabel {
                    label: Some(SampleLabel::Ignore),
                },
            ),
        ];
        a.apply(edits, 1_732_538_400_123.0).unwrap();
        a.apply(vec![label("kg_3", &h(5), Some(SampleLabel::Flag))], 0.5)
            .unwrap();
        a
    }

    #[test]
    fn export_clear_import_merge_round_trips_byte_for_byte() {
        let mut a = rich_store();
        let exported = export_annotations(&a);
        assert_eq!(exported.lines().count(), 5);
        assert!(exported.ends_with('\n'));
        let first = exported.lines().next().unwrap();
        assert_eq!(
            first,
            r#"{"type":"agent-flan-annotation","version":1,"key":{"dataset":"mine.jsonl","id":"kg_3"},"content_hash":"0000000000000005","label":"flag","note":"","turns":{},"spans":[],"updated_ms":0.5}"#
        );
        assert!(exported.contains(r#""turns":{"2":{"label":"correct","capability":"instruction"},"10":{"label":"wrong","capability":null}}"#), "{exported}");

        a.clear().unwrap();
        assert_eq!(export_annotations(&a), "");
        let report = parse_import(exported.as_bytes(), &a);
        assert_eq!(report.bad_lines, []);
        assert_eq!(report.conflicts, []);
        assert_eq!(report.annotations.len(), 5);
        let step = a.merge(report.annotations, 99.0).unwrap();
        assert_eq!(step.len(), 5);
        assert_eq!(export_annotations(&a), exported);
        // Importing the same file again: everything unchanged, nothing to do.
        let again = parse_import(exported.as_bytes(), &a);
        assert_eq!(
            (
                again.annotations.len(),
                again.conflicts.len(),
                again.unchanged
            ),
            (0, 0, 5)
        );
        assert_eq!(a.merge(again.annotations, 100.0), None);
        // The merge is undoable as one step.
        a.undo().unwrap();
        assert!(a.is_empty());
        // Storage form (serde of Annotation) round-trips too.
        a.redo().unwrap();
        let stored: Vec<Annotation> = a
            .iter()
            .map(|x| serde_json::from_str(&serde_json::to_string(x).unwrap()).unwrap())
            .collect();
        let mut loaded = Annotations::default();
        loaded.load(stored);
        assert_eq!(export_annotations(&loaded), exported);
        assert!(!loaded.can_undo());
    }

    #[test]
    fn import_reports_each_bad_line() {
        let good = r#"{"type":"agent-flan-annotation","version":1,"key":{"dataset":"d","id":"a"},"content_hash":"00000000000000ff","label":"accept","note":"","turns":{},"spans":[],"updated_ms":1.0}"#;
        let with = |field: &str, value: &str| -> String {
            let mut v: Value = serde_json::from_str(good).unwrap();
            v[field] = serde_json::from_str(value).unwrap();
            v.to_string()
        };
        let without = |field: &str| -> String {
            let mut v: Value = serde_json::from_str(good).unwrap();
            v.as_object_mut().unwrap().shift_remove(field);
            v.to_string()
        };
        let cases: Vec<(String, &str)> = vec![
            ("{not json".into(), "invalid JSON at column 2"),
            ("[1,2]".into(), "annotation line is a JSON array"),
            (with("type", "\"sample\""), "`type` is `sample`, expected `agent-flan-annotation`"),
            (without("type"), "missing field `type`"),
            (with("version", "2"), "unsupported annotation format version 2"),
            (with("version", "\"1\""), "field `version` has the wrong type"),
            (with("key", r#"{"dataset":"d"}"#), "missing field `key.id`"),
            (with("key", r#"{"dataset":"d","id":7}"#), "field `key.id` has the wrong type: expected string, found number"),
            (with("key", r#"{"dataset":"d","id":"a","x":1}"#), "unknown field `key.x`"),
            (with("content_hash", "\"ABC\""), "`content_hash`: `ABC` is not 16 lowercase hex digits"),
            (with("label", "\"approve\""), "`label` has unknown value `approve` (known: accept, reject, ignore, flag)"),
            (with("turns", r#"{"1":{"label":"right"}}"#), "`turns.1.label` has unknown value `right`"),
            (with("turns", r#"{"1":{"capability":"planning"}}"#), "`turns.1.capability` has unknown value `planning` (known: reasoning, retrieval, understanding, instruction)"),
            (with("turns", r#"{"one":{"label":"wrong"}}"#), "`turns`: key `one` is not a turn index"),
            (with("turns", r#"{"1":{"label":"wrong","why":"x"}}"#), "unknown field `turns.1.why`"),
            (with("spans", r#"[{"turn":1,"start":4,"end":2,"text":"ab","label":"x"}]"#), "`spans[0]`: end (2) must be greater than start (4)"),
            (with("spans", r#"[{"turn":1,"start":0,"end":3,"text":"ab","label":"x"}]"#), "`spans[0]`: text has 2 characters but end - start = 3"),
            (with("spans", r#"[{"turn":1,"start":0,"end":2,"text":"ab","label":""}]"#), "`spans[0]`: label is empty"),
            (with("spans", r#"[{"turn":1,"start":-1,"end":2,"text":"ab","label":"x"}]"#), "`spans[0].start`: -1 is not a non-negative integer"),
            (with("spans", r#"[{"turn":2,"start":0,"end":2,"text":"ab","label":"x"},{"turn":1,"start":0,"end":2,"text":"ab","label":"x"}]"#), "`spans[1]`: span out of order"),
            (with("spans", r#"[{"turn":1,"start":0,"end":2,"text":"ab","label":"x"},{"turn":1,"start":0,"end":2,"text":"ab","label":"x"}]"#), "`spans[1]`: duplicate of spans[0]"),
            (with("updated_ms", "null"), "field `updated_ms` has the wrong type"),
            (with("extra", "1"), "unknown field `extra`"),
            (with("label", "null"), "annotation is empty"),
        ];
        let mut file = String::from("\u{feff}");
        file.push_str(good);
        file.push_str("\r\n\n   \n");
        for (line, _) in &cases {
            file.push_str(line);
            file.push('\n');
        }
        file.push_str(good); // duplicate key, no trailing newline
        let mut bytes = file.into_bytes();
        bytes.extend_from_slice(b"\n\"\xff\"\n");
        let report = parse_import(&bytes, &Annotations::default());
        assert_eq!(report.annotations.len(), 1);
        assert_eq!(report.annotations[0].key, AnnotationKey::new("d", "a"));
        assert_eq!(
            report.bad_lines.len(),
            cases.len() + 2,
            "{:#?}",
            report.bad_lines
        );
        for (i, (bad, (_, expected))) in report.bad_lines.iter().zip(&cases).enumerate() {
            assert_eq!(bad.line_number, i as u64 + 4);
            assert!(
                bad.reason.starts_with(expected),
                "line {}: {} !~ {expected}",
                bad.line_number,
                bad.reason
            );
            assert_eq!(bad.reason, bad.error.to_string());
        }
        let dup = &report.bad_lines[cases.len()];
        assert_eq!(dup.line_number, cases.len() as u64 + 4);
        assert_eq!(
            dup.reason,
            "duplicate annotation for dataset `d` id `a` (first on line 1)"
        );
        let utf8 = &report.bad_lines[cases.len() + 1];
        assert_eq!(utf8.error, FlanError::InvalidUtf8 { byte_offset: 1 });
    }

    #[test]
    fn import_reports_conflicts_and_merges_chosen_ones() {
        let mut ours = Annotations::default();
        ours.apply(
            vec![
                label("same", &h(1), Some(SampleLabel::Accept)),
                label("differs", &h(2), Some(SampleLabel::Accept)),
            ],
            5.0,
        )
        .unwrap();
        let mut theirs = Annotations::default();
        theirs
            .apply(
                vec![
                    label("same", &h(1), Some(SampleLabel::Accept)),
                    label("differs", &h(2), Some(SampleLabel::Reject)),
                    label("new", &h(3), Some(SampleLabel::Flag)),
                ],
                7.0, // a different time alone is not a conflict
            )
            .unwrap();
        let report = parse_import(export_annotations(&theirs).as_bytes(), &ours);
        assert_eq!(report.unchanged, 1);
        assert_eq!(report.bad_lines, []);
        assert_eq!(report.annotations.len(), 1);
        assert_eq!(report.annotations[0].key, key("new"));
        assert_eq!(report.conflicts.len(), 1);
        let c = &report.conflicts[0];
        assert_eq!(c.key, key("differs"));
        assert_eq!(c.ours.label, Some(SampleLabel::Accept));
        assert_eq!(c.theirs.label, Some(SampleLabel::Reject));
        // Nothing was overwritten by parsing; merging without the conflict keeps ours.
        let step = ours.merge(report.annotations.clone(), 9.0).unwrap();
        assert_eq!(step.after().len(), 1);
        assert_eq!(
            ours.get(&key("differs")).unwrap().label,
            Some(SampleLabel::Accept)
        );
        // Taking theirs for the conflict.
        let step = ours.merge(vec![c.theirs.clone()], 9.0).unwrap();
        assert_eq!(
            step.changes[0].1.as_ref().unwrap().label,
            Some(SampleLabel::Accept)
        );
        assert_eq!(
            ours.get(&key("differs")).unwrap().label,
            Some(SampleLabel::Reject)
        );
        assert_eq!(ours.get(&key("differs")).unwrap().updated_ms, 7.0);
        ours.undo().unwrap();
        assert_eq!(
            ours.get(&key("differs")).unwrap().label,
            Some(SampleLabel::Accept)
        );
    }
}
