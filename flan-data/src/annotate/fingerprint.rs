//! The content fingerprint an annotation is stamped with, so an edited sample is noticed.

use crate::model::{Role, Sample};
use crate::store::SampleRef;

/// 64-bit FNV-1a.
fn fnv1a64(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Content fingerprint of a sample: 16 lowercase hex digits of 64-bit FNV-1a over the
/// conversation's canonical roles, `loss` flags and contents (each content length-prefixed,
/// so no two conversations share an encoding). The id is not included (it is in the
/// [`AnnotationKey`]); nor are spellings of roles, `source` or unknown keys, which do not change
/// what a model is trained on.
///
/// Why FNV and not SHA-256: this detects edits, it is not a security boundary, and a SHA
/// implementation would add a dependency (or a page of code) and wasm size for nothing. The
/// hash is only ever compared with the hash of the *same key's* earlier content, so a changed
/// sample goes unnoticed with probability 2⁻⁶⁴; collisions between different samples are
/// harmless (keys differ). It is not resistant to deliberately crafted collisions.
///
/// [`AnnotationKey`]: super::AnnotationKey
pub fn content_hash(sample: &Sample) -> String {
    hash_turns(
        sample.conversation.len(),
        sample
            .conversation
            .iter()
            .map(|t| (t.role, t.loss, t.content.as_str())),
    )
}

/// [`content_hash`] of a stored sample, read in place.
pub fn content_hash_of(sample: &SampleRef) -> String {
    hash_turns(
        sample.turn_count(),
        sample.turns().map(|t| (t.role, t.loss, t.content)),
    )
}

fn hash_turns<'a>(
    count: usize,
    turns: impl Iterator<Item = (Role, Option<bool>, &'a str)>,
) -> String {
    let mut h = FNV_OFFSET;
    fnv1a64(&mut h, &(count as u64).to_le_bytes());
    for (role, loss, content) in turns {
        let loss = match loss {
            None => 0u8,
            Some(false) => 1,
            Some(true) => 2,
        };
        fnv1a64(&mut h, &[role as u8, loss]);
        fnv1a64(&mut h, &(content.len() as u64).to_le_bytes());
        fnv1a64(&mut h, content.as_bytes());
    }
    format!("{h:016x}")
}

pub(super) fn is_hash(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::annotate::test_support::*;

    #[test]
    fn content_hash_is_stable_and_sensitive() {
        let mut hash = FNV_OFFSET;
        fnv1a64(&mut hash, b"");
        assert_eq!(hash, 0xcbf29ce484222325);
        fnv1a64(&mut hash, b"a");
        assert_eq!(hash, 0xaf63dc4c8601ec8c);
        let mut hash = FNV_OFFSET;
        fnv1a64(&mut hash, b"foobar");
        assert_eq!(hash, 0x85944171f73967e8);

        let base = sample("os_1", &[(Role::User, "ab"), (Role::Assistant, "c")]);
        let hb = content_hash(&base);
        assert!(is_hash(&hb), "{hb}");
        // Pinned: stored annotations depend on this value never changing.
        assert_eq!(hb, "7d41bb8825acebcd");
        // Not part of the content: id, source, role spelling, unknown keys.
        let mut same = base.clone();
        same.id = "other".into();
        same.source = Some("x.jsonl".into());
        same.conversation[1].original_role = Some("gpt".into());
        same.extra.insert("k".into(), Value::from(1));
        assert_eq!(content_hash(&same), hb);
        // Part of it: boundaries, roles, loss, contents, turn count.
        let variants = [
            sample("os_1", &[(Role::User, "a"), (Role::Assistant, "bc")]),
            sample("os_1", &[(Role::System, "ab"), (Role::Assistant, "c")]),
            sample("os_1", &[(Role::User, "ab"), (Role::Assistant, "d")]),
            sample("os_1", &[(Role::User, "ab")]),
            sample(
                "os_1",
                &[(Role::User, "ab"), (Role::Assistant, "c"), (Role::User, "")],
            ),
            {
                let mut s = base.clone();
                s.conversation[0].loss = Some(false);
                s
            },
            {
                let mut s = base.clone();
                s.conversation[0].loss = Some(true);
                s
            },
        ];
        let mut all: Vec<String> = variants.iter().map(content_hash).collect();
        all.push(hb);
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "every variant hashes differently");
    }
}
