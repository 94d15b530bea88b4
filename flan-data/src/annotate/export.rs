//! The three exports: annotations alone (read back by [`parse_import`]),
//! annotated samples joined with their annotation, and accepted samples as training rows.
//!
//! [`parse_import`]: super::parse_import

use serde::Serialize;
use serde_json::{Map, Value};

use super::annotation::{Annotation, AnnotationKey};
use super::fingerprint::content_hash;
use super::labels::{AnnotationStatus, SampleLabel};
use super::store::Annotations;
use crate::model::{Sample, Turn};

/// Value of the `type` field of every [`export_annotations`] line.
pub const RECORD_TYPE: &str = "agent-flan-annotation";
/// Value of the `version` field of every [`export_annotations`] line.
pub const FORMAT_VERSION: u64 = 1;

/// The export line of one annotation, as a JSON object.
fn annotation_record(a: &Annotation) -> Map<String, Value> {
    let mut record = Map::new();
    record.insert("type".into(), RECORD_TYPE.into());
    record.insert("version".into(), FORMAT_VERSION.into());
    match serde_json::to_value(a).expect("an Annotation always serialises") {
        Value::Object(fields) => record.extend(fields),
        _ => unreachable!("an Annotation serialises to an object"),
    }
    record
}

fn push_line(out: &mut String, value: &Value) {
    out.push_str(&serde_json::to_string(value).expect("a JSON value always serialises"));
    out.push('\n');
}

/// All annotations, sorted by key, one line each:
/// `{"type":"agent-flan-annotation","version":1,"key":{"dataset","id"},"content_hash",
/// "label","note","turns","spans","updated_ms"}`. Read back by [`parse_import`].
///
/// [`parse_import`]: super::parse_import
pub fn export_annotations(a: &Annotations) -> String {
    let mut out = String::new();
    for annotation in a.iter() {
        push_line(&mut out, &Value::Object(annotation_record(annotation)));
    }
    out
}

/// Annotated samples of `dataset` (by id, stable for equal ids), joined with their annotation.
fn annotated<'s, 'a>(
    a: &'a Annotations,
    dataset: &str,
    samples: impl Iterator<Item = &'s Sample>,
) -> Vec<(&'s Sample, &'a Annotation)> {
    let mut rows: Vec<_> = samples
        .filter_map(|s| {
            a.get(&AnnotationKey::new(dataset, s.id.as_str()))
                .map(|ann| (s, ann))
        })
        .collect();
    rows.sort_by(|x, y| x.0.id.cmp(&y.0.id));
    rows
}

/// The samples of `dataset` that have an annotation, sorted by id: each sample row as the
/// crate serialises it, plus `"annotation": {...}` (the [`Annotation`] fields) and
/// `"annotation_status"` ([`AnnotationStatus`] name, `"changed"` when the sample was edited
/// since it was labelled). Samples without an annotation are left out.
pub fn export_samples_with_annotations<'a>(
    a: &Annotations,
    dataset: &str,
    samples: impl Iterator<Item = &'a Sample>,
) -> String {
    let mut out = String::new();
    for (sample, ann) in annotated(a, dataset, samples) {
        let mut row = match serde_json::to_value(sample).expect("a Sample always serialises") {
            Value::Object(row) => row,
            _ => unreachable!("a Sample serialises to an object"),
        };
        let status = if ann.content_hash == content_hash(sample) {
            AnnotationStatus::of_label(ann.label)
        } else {
            AnnotationStatus::Changed
        };
        row.insert(
            "annotation".into(),
            serde_json::to_value(ann).expect("an Annotation always serialises"),
        );
        row.insert("annotation_status".into(), status.name().into());
        push_line(&mut out, &Value::Object(row));
    }
    out
}

/// Agent-FLAN row shape: `{"id","conversation":[{"role","content","loss"}]}`.
#[derive(Serialize)]
struct TrainingRow<'a> {
    id: &'a str,
    conversation: Vec<TrainingTurn<'a>>,
}

#[derive(Serialize)]
struct TrainingTurn<'a> {
    role: &'a str,
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    loss: Option<bool>,
}

impl<'a> From<&'a Turn> for TrainingTurn<'a> {
    fn from(t: &'a Turn) -> Self {
        TrainingTurn {
            role: t.role.as_str(),
            content: &t.content,
            loss: t.loss,
        }
    }
}

/// The accepted samples of `dataset` whose content still matches the hash they were accepted
/// on, sorted by id, in the original Agent-FLAN row format ready for training:
/// `{"id","conversation":[{"role","content","loss"}]}` with canonical role names, `loss` only
/// where the sample has one, and nothing else (no `source`, extra keys or annotation).
pub fn export_accepted<'a>(
    a: &Annotations,
    dataset: &str,
    samples: impl Iterator<Item = &'a Sample>,
) -> String {
    let mut out = String::new();
    for (sample, ann) in annotated(a, dataset, samples) {
        if ann.label != Some(SampleLabel::Accept) || ann.content_hash != content_hash(sample) {
            continue;
        }
        let row = TrainingRow {
            id: &sample.id,
            conversation: sample.conversation.iter().map(TrainingTurn::from).collect(),
        };
        out.push_str(&serde_json::to_string(&row).expect("a row always serialises"));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::annotate::test_support::*;
    use crate::annotate::Edit;
    use crate::parse::parse_line;

    const ROWS: [&str; 4] = [
        r#"{"id":"os_2","conversation":[{"role":"system","content":"You are an agent.","loss":false},{"role":"user","content":"count files","loss":false},{"role":"assistant","content":"Think: list\nAct: bash\n```bash\nls | wc -l\n```","loss":true}]}"#,
        r#"{"id":"os_1","conversation":[{"role":"user","content":"héllo 🚀"},{"role":"assistant","content":"hi"}]}"#,
        r#"{"id":"os_3","conversation":[{"role":"user","content":"x","loss":false},{"role":"assistant","content":"y","loss":true}]}"#,
        r#"{"id":"os_4","conversation":[{"role":"user","content":"edited later"},{"role":"assistant","content":"z"}]}"#,
    ];

    #[test]
    fn export_accepted_keeps_the_original_rows() {
        let mut samples: Vec<Sample> = ROWS
            .iter()
            .enumerate()
            .map(|(i, r)| parse_line(r.as_bytes(), i as u64 + 1).unwrap())
            .collect();
        // A ShareGPT-spelled row with extra keys is written back in Agent-FLAN shape.
        samples.push(
            Sample::from_value(
                serde_json::json!({"id": "os_5", "source": "x.jsonl", "meta": 1, "conversations": [
                    {"from": "human", "value": "q"}, {"from": "gpt", "value": "a", "loss": true}]}),
                "",
            )
            .unwrap(),
        );
        let mut a = Annotations::default();
        let edits = samples
            .iter()
            .map(|s| {
                let l = if s.id == "os_3" {
                    SampleLabel::Reject
                } else {
                    SampleLabel::Accept
                };
                (
                    key(&s.id),
                    content_hash(s),
                    Edit::SetLabel { label: Some(l) },
                )
            })
            .collect();
        a.apply(edits, 1.0).unwrap();
        samples[3].conversation[0].content = "edited".into(); // os_4 changed since accepted
                                                              // Same ids in another dataset are not ours.
        let out = export_accepted(&a, DS, samples.iter());
        let lines: Vec<&str> = out.lines().collect();
        assert!(out.ends_with('\n'));
        assert_eq!(
            lines,
            [
                ROWS[1],
                ROWS[0],
                r#"{"id":"os_5","conversation":[{"role":"user","content":"q"},{"role":"assistant","content":"a","loss":true}]}"#
            ]
        );
        for (i, line) in lines.iter().enumerate() {
            let back = parse_line(line.as_bytes(), i as u64 + 1).unwrap();
            let original = samples.iter().find(|s| s.id == back.id).unwrap();
            assert_eq!(content_hash(&back), content_hash(original));
            assert_eq!(back.id, original.id);
        }
        assert_eq!(export_accepted(&a, "other", samples.iter()), "");
    }

    #[test]
    fn export_samples_with_annotations_joins_rows() {
        let mut samples: Vec<Sample> = ROWS
            .iter()
            .enumerate()
            .map(|(i, r)| parse_line(r.as_bytes(), i as u64 + 1).unwrap())
            .collect();
        let mut a = Annotations::default();
        a.apply(
            vec![
                (
                    key("os_4"),
                    content_hash(&samples[3]),
                    Edit::SetNote { note: "n".into() },
                ),
                label(
                    "os_2",
                    &content_hash(&samples[0]),
                    Some(SampleLabel::Reject),
                ),
            ],
            2.0,
        )
        .unwrap();
        samples[3].conversation[1].content = "changed".into();
        let out = export_samples_with_annotations(&a, DS, samples.iter());
        let rows: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["id"], "os_2");
        assert_eq!(rows[0]["annotation"]["label"], "reject");
        assert_eq!(rows[0]["annotation_status"], "rejected");
        assert_eq!(rows[0]["conversation"][2]["loss"], true);
        assert_eq!(rows[1]["id"], "os_4");
        assert_eq!(rows[1]["annotation"]["note"], "n");
        assert_eq!(rows[1]["annotation_status"], "changed");
        let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["id", "conversation", "annotation", "annotation_status"]
        );
        // The row part still parses as the sample (the two added keys land in `extra`).
        let mut back = parse_line(out.lines().next().unwrap().as_bytes(), 1).unwrap();
        assert!(back.extra.shift_remove("annotation").is_some());
        assert!(back.extra.shift_remove("annotation_status").is_some());
        assert_eq!(back, samples[0]);
    }
}
