//! Aligns two conversations by meaning, for the Compare view.
//!
//! Turn index is a poor guide: the decomposed (T-FLAN) version of a ReAct row has several
//! assistant turns, with follow-up questions between them, where the ReAct row has one; a
//! negative sample has a different system prompt and answer than its positive. So:
//!
//! 1. the system prompts are paired (one row, whatever they say);
//! 2. the user turns that carry the same content on both sides (the query, each tool
//!    observation) are matched in order, by a longest common subsequence. "Same content" is
//!    equal text after trimming, or one text starting with the other, because T-FLAN appends a
//!    follow-up question to an observation ("Response: …\n\nHow do you read this result?");
//! 3. each side's other turns (its assistant turns, its own follow-up questions) go in one row
//!    between the matched user turns around them.
//!
//! Every turn of each side appears in exactly one row, in conversation order.

use serde::Serialize;

use crate::model::{Role, Sample};

/// What a row of the alignment holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// The system prompts of both sides.
    System,
    /// One user turn per side with the same content.
    SameUser,
    /// The turns of each side between two matched user turns (or before / after them).
    Between,
}

/// One row of an alignment: turn indices of the left and right conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlignedRow {
    pub kind: RowKind,
    pub left: Vec<usize>,
    pub right: Vec<usize>,
}

/// Shortest text that may match as a prefix of a longer one (shorter texts must be equal), so a
/// bare "OK" observation does not match every turn that starts with "OK".
const MIN_PREFIX_CHARS: usize = 16;

/// True when two user turns carry the same content (see the module docs).
pub fn same_content(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a == b {
        return !a.is_empty();
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.chars().count() >= MIN_PREFIX_CHARS && long.starts_with(short)
}

/// Aligns `left` and `right` (see the module docs).
pub fn align(left: &Sample, right: &Sample) -> Vec<AlignedRow> {
    let system = |s: &Sample| -> Vec<usize> {
        s.conversation
            .iter()
            .enumerate()
            .filter(|(_, t)| t.role == Role::System)
            .map(|(i, _)| i)
            .collect()
    };
    let rest = |s: &Sample| -> Vec<usize> {
        s.conversation
            .iter()
            .enumerate()
            .filter(|(_, t)| t.role != Role::System)
            .map(|(i, _)| i)
            .collect()
    };
    let mut rows = Vec::new();
    let (sys_l, sys_r) = (system(left), system(right));
    if !sys_l.is_empty() || !sys_r.is_empty() {
        rows.push(AlignedRow {
            kind: RowKind::System,
            left: sys_l,
            right: sys_r,
        });
    }
    let (rest_l, rest_r) = (rest(left), rest(right));
    let anchors = matched_user_turns(left, &rest_l, right, &rest_r);
    let (mut from_l, mut from_r) = (0usize, 0usize);
    let between =
        |rows: &mut Vec<AlignedRow>, to_l: usize, to_r: usize, fl: &mut usize, fr: &mut usize| {
            if *fl < to_l || *fr < to_r {
                rows.push(AlignedRow {
                    kind: RowKind::Between,
                    left: rest_l[*fl..to_l].to_vec(),
                    right: rest_r[*fr..to_r].to_vec(),
                });
            }
            *fl = to_l;
            *fr = to_r;
        };
    for (pl, pr) in anchors {
        between(&mut rows, pl, pr, &mut from_l, &mut from_r);
        rows.push(AlignedRow {
            kind: RowKind::SameUser,
            left: vec![rest_l[pl]],
            right: vec![rest_r[pr]],
        });
        from_l = pl + 1;
        from_r = pr + 1;
    }
    between(
        &mut rows,
        rest_l.len(),
        rest_r.len(),
        &mut from_l,
        &mut from_r,
    );
    rows
}

/// Positions (into `rest_l` / `rest_r`) of the user turns matched by a longest common
/// subsequence under [`same_content`], in order.
fn matched_user_turns(
    left: &Sample,
    rest_l: &[usize],
    right: &Sample,
    rest_r: &[usize],
) -> Vec<(usize, usize)> {
    let users = |s: &Sample, rest: &[usize]| -> Vec<usize> {
        (0..rest.len())
            .filter(|&p| s.conversation[rest[p]].role == Role::User)
            .collect()
    };
    let (ul, ur) = (users(left, rest_l), users(right, rest_r));
    let (n, m) = (ul.len(), ur.len());
    // lcs[i][j]: length of the LCS of ul[i..] and ur[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    let matches = |i: usize, j: usize| {
        same_content(
            &left.conversation[rest_l[ul[i]]].content,
            &right.conversation[rest_r[ur[j]]].content,
        )
    };
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if matches(i, j) {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n && j < m {
        if matches(i, j) && lcs[i][j] == lcs[i + 1][j + 1] + 1 {
            out.push((ul[i], ur[j]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_bytes, ParseEvent};

    fn shipped(id: &str) -> Sample {
        let path = crate::public_path("data/default.jsonl");
        parse_bytes(&std::fs::read(path).unwrap())
            .into_iter()
            .find_map(|e| match e {
                ParseEvent::Sample { sample, .. } if sample.id == id => Some(sample),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{id} is shipped"))
    }

    /// Every turn of each side is in exactly one row, in order.
    fn assert_covers(rows: &[AlignedRow], left: &Sample, right: &Sample) {
        let flat = |side: fn(&AlignedRow) -> &Vec<usize>| -> Vec<usize> {
            rows.iter().flat_map(|r| side(r).iter().copied()).collect()
        };
        let (l, r) = (flat(|r| &r.left), flat(|r| &r.right));
        let mut sorted_l = l.clone();
        sorted_l.sort();
        assert_eq!(sorted_l, (0..left.conversation.len()).collect::<Vec<_>>());
        let mut sorted_r = r.clone();
        sorted_r.sort();
        assert_eq!(sorted_r, (0..right.conversation.len()).collect::<Vec<_>>());
        // Non-system turns keep their order.
        let non_sys = |v: &[usize], s: &Sample| -> Vec<usize> {
            v.iter()
                .copied()
                .filter(|&i| s.conversation[i].role != Role::System)
                .collect()
        };
        assert!(non_sys(&l, left).windows(2).all(|w| w[0] < w[1]));
        assert!(non_sys(&r, right).windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn react_and_its_tflan_row_align_on_the_query_and_observations() {
        let react = shipped("toolbench_G3_answer_15:react");
        let tflan = shipped("toolbench_G3_answer_15:tflan");
        let rows = align(&react, &tflan);
        assert_covers(&rows, &react, &tflan);
        assert_eq!(rows[0].kind, RowKind::System);
        assert_eq!(
            (rows[0].left.clone(), rows[0].right.clone()),
            (vec![0], vec![0])
        );
        // Every user turn of the ReAct row (query, observations) has its T-FLAN counterpart.
        let react_users: Vec<usize> = react
            .conversation
            .iter()
            .enumerate()
            .filter(|(_, t)| t.role == Role::User)
            .map(|(i, _)| i)
            .collect();
        let same: Vec<&AlignedRow> = rows
            .iter()
            .filter(|r| r.kind == RowKind::SameUser)
            .collect();
        assert_eq!(
            same.iter().map(|r| r.left[0]).collect::<Vec<_>>(),
            react_users
        );
        assert!(
            react_users.len() >= 2,
            "a query and at least one observation"
        );
        let first = same[0];
        assert_eq!(
            react.conversation[first.left[0]].content, tflan.conversation[first.right[0]].content,
            "the query is the same text"
        );
        // The observation matches though T-FLAN appends a follow-up question to it.
        let obs = same[1];
        let (l, r) = (
            &react.conversation[obs.left[0]].content,
            &tflan.conversation[obs.right[0]].content,
        );
        assert!(
            r.starts_with(l.as_str()) && r.len() > l.len(),
            "{l:?} / {r:?}"
        );
        // Between them: one ReAct assistant turn, several T-FLAN turns (thought, tool,
        // arguments, with the follow-up questions).
        let between = rows
            .iter()
            .find(|r| r.kind == RowKind::Between)
            .expect("assistant turns between query and observation");
        assert_eq!(between.left.len(), 1);
        assert_eq!(react.conversation[between.left[0]].role, Role::Assistant);
        assert!(between.right.len() >= 3, "{between:?}");
        assert!(tflan.conversation[between.right[0]]
            .content
            .starts_with("Thought:"));
        // By index, the rows drift apart: turn 3 is an observation on the left only.
        assert_ne!(react.conversation[3].content, tflan.conversation[3].content);
    }

    #[test]
    fn a_negative_beside_a_positive_pairs_prompts_and_the_shared_query() {
        let no_tools = shipped("toolbench_G1_query_1:neg-no-tools");
        let irrelevant = shipped("toolbench_G1_query_1:neg-irrelevant");
        let rows = align(&no_tools, &irrelevant);
        assert_covers(&rows, &no_tools, &irrelevant);
        let kinds: Vec<RowKind> = rows.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [RowKind::System, RowKind::SameUser, RowKind::Between]
        );
        assert_eq!(rows[2].left.len(), 1);
        assert_eq!(rows[2].right.len(), 1);
        // A positive ReAct row with another query: only the system prompts pair, the rest of
        // each side is one block (nothing is paired by position).
        let positive = shipped("toolbench_G1_answer_10:react");
        let rows = align(&no_tools, &positive);
        assert_covers(&rows, &no_tools, &positive);
        let kinds: Vec<RowKind> = rows.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [RowKind::System, RowKind::Between]);
        assert_eq!(rows[1].left, [1, 2]);
        assert_eq!(rows[1].right.len(), positive.conversation.len() - 1);
    }

    #[test]
    fn same_content_rules() {
        assert!(same_content(" Question: x ", "Question: x"));
        assert!(!same_content("", " "));
        assert!(same_content(
            "Response: {\"ok\": true}",
            "Response: {\"ok\": true}\n\nHow do you read this result?"
        ));
        assert!(
            !same_content("OK", "OK, and more"),
            "short texts must be equal"
        );
        assert!(!same_content("Observation: a", "Observation: b"));
    }
}
