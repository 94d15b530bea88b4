//! Explorer query (facet selections + text search) and its URL form.
//!
//! URL keys are short and stable: `src`, `task`, `fmt`, `neg`, `cap`, `turns`, `tlen`, `loss`, `prov`,
//! `ext` (facets; values are the value names joined by `,`), `q` (search text), `re=1` (regex),
//! `scope` (`any`/`system`/`user`/`assistant`). Example:
//! `task=os,db&cap=retrieval&q=ls%20-1&re=1&scope=assistant`. Keys the crate does not know (the
//! app's own, like the selected sample) are ignored by [`Query::from_url_pairs`].
//!
//! Facet selections hold value *names* (e.g. `os`, `retrieval`, a source file name) rather than
//! codes, because source-file and external-facet codes depend on the loaded dataset; names keep a
//! shared link valid across datasets. Names must not contain `,`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::codes::{
    Capability, Code, Format, LossMask, Negative, Provenance, Scope, Task, TurnBucket, TurnLength,
};
use crate::error::FlanError;

/// The facets of the explorer sidebar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacetKind {
    Source,
    Task,
    Format,
    Negative,
    /// Sample has ≥ 1 assistant turn with a part of this capability.
    Capability,
    Turns,
    /// Sample has ≥ 1 turn (any role) of this length bucket.
    TurnLength,
    Loss,
    Provenance,
    /// Per-sample value supplied by the app (e.g. annotation status).
    External,
}

impl FacetKind {
    pub const ALL: [FacetKind; 10] = [
        FacetKind::Source,
        FacetKind::Task,
        FacetKind::Format,
        FacetKind::Negative,
        FacetKind::Capability,
        FacetKind::Turns,
        FacetKind::TurnLength,
        FacetKind::Loss,
        FacetKind::Provenance,
        FacetKind::External,
    ];

    /// URL key.
    pub fn key(self) -> &'static str {
        match self {
            FacetKind::Source => "src",
            FacetKind::Task => "task",
            FacetKind::Format => "fmt",
            FacetKind::Negative => "neg",
            FacetKind::Capability => "cap",
            FacetKind::Turns => "turns",
            FacetKind::TurnLength => "tlen",
            FacetKind::Loss => "loss",
            FacetKind::Provenance => "prov",
            FacetKind::External => "ext",
        }
    }

    /// Sidebar heading.
    pub fn label(self) -> &'static str {
        match self {
            FacetKind::Source => "Source file",
            FacetKind::Task => "Task",
            FacetKind::Format => "Format",
            FacetKind::Negative => "Negative type",
            FacetKind::Capability => "Capability",
            FacetKind::Turns => "Turns",
            FacetKind::TurnLength => "Turn length (any turn)",
            FacetKind::Loss => "Loss-masked turns",
            FacetKind::Provenance => "Published / derived",
            FacetKind::External => "Annotation",
        }
    }

    pub fn from_key(key: &str) -> Option<FacetKind> {
        FacetKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// True for facets whose per-sample value is a bit mask (a sample can have several
    /// values): capability and turn length.
    pub fn is_mask(self) -> bool {
        matches!(self, FacetKind::Capability | FacetKind::TurnLength)
    }

    /// Value names of facets with a fixed vocabulary (`None` for source and external).
    pub fn fixed_values(self) -> Option<Vec<(&'static str, &'static str)>> {
        fn all<T: Code>() -> Vec<(&'static str, &'static str)> {
            T::ALL.iter().map(|v| (v.name(), v.label())).collect()
        }
        Some(match self {
            FacetKind::Task => all::<Task>(),
            FacetKind::Format => all::<Format>(),
            FacetKind::Negative => all::<Negative>(),
            FacetKind::Capability => all::<Capability>(),
            FacetKind::Turns => all::<TurnBucket>(),
            FacetKind::TurnLength => all::<TurnLength>(),
            FacetKind::Loss => all::<LossMask>(),
            FacetKind::Provenance => all::<Provenance>(),
            FacetKind::Source | FacetKind::External => return None,
        })
    }
}

/// What the explorer shows: facet selections (OR within a facet, AND across) and a text search.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Selected value names per facet; an empty or missing set means "no filter".
    pub facets: BTreeMap<FacetKind, BTreeSet<String>>,
    /// Search text; empty = no text filter.
    pub text: String,
    /// Treat `text` as a regular expression (case-insensitive).
    pub regex: bool,
    pub scope: Scope,
}

// `Scope` is declared by `code_enum!`, which derives no `Default`.
#[allow(clippy::derivable_impls)]
impl Default for Scope {
    fn default() -> Self {
        Scope::Any
    }
}

impl Query {
    /// Adds or removes one facet value (a sidebar click).
    pub fn toggle(&mut self, kind: FacetKind, value: &str) {
        let set = self.facets.entry(kind).or_default();
        if !set.remove(value) {
            set.insert(value.to_string());
        }
        if set.is_empty() {
            self.facets.remove(&kind);
        }
    }

    /// True when `value` is selected in `kind`.
    pub fn is_selected(&self, kind: FacetKind, value: &str) -> bool {
        self.facets.get(&kind).is_some_and(|s| s.contains(value))
    }

    /// Removes every selection of one facet.
    pub fn clear_facet(&mut self, kind: FacetKind) {
        self.facets.remove(&kind);
    }

    /// True when nothing filters.
    pub fn is_empty(&self) -> bool {
        self.facets.values().all(BTreeSet::is_empty) && self.text.is_empty()
    }

    /// URL query pairs, in a stable order; defaults are omitted.
    pub fn to_url_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for kind in FacetKind::ALL {
            if let Some(set) = self.facets.get(&kind).filter(|s| !s.is_empty()) {
                let joined = set.iter().map(String::as_str).collect::<Vec<_>>().join(",");
                pairs.push((kind.key().to_string(), joined));
            }
        }
        if !self.text.is_empty() {
            pairs.push(("q".into(), self.text.clone()));
            if self.regex {
                pairs.push(("re".into(), "1".into()));
            }
        }
        if self.scope != Scope::Any {
            pairs.push(("scope".into(), self.scope.name().into()));
        }
        pairs
    }

    /// Parses URL pairs (already percent-decoded). Unknown keys are ignored; a bad value is
    /// skipped and reported, so a slightly wrong link still opens.
    pub fn from_url_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> (Query, Vec<FlanError>) {
        let mut q = Query::default();
        let mut errors = Vec::new();
        for (k, v) in pairs {
            let (k, v) = (k.as_ref(), v.as_ref());
            match k {
                "q" => q.text = v.to_string(),
                "re" => q.regex = matches!(v, "1" | "true"),
                "scope" => match Scope::from_name(v) {
                    Some(s) => q.scope = s,
                    None => errors.push(FlanError::BadQueryParam {
                        key: k.into(),
                        message: format!("unknown scope `{v}` (any, system, user, assistant)"),
                    }),
                },
                _ => {
                    let Some(kind) = FacetKind::from_key(k) else {
                        continue;
                    };
                    let fixed = kind.fixed_values();
                    for name in v.split(',').filter(|s| !s.is_empty()) {
                        if let Some(values) = &fixed {
                            if !values.iter().any(|(n, _)| *n == name) {
                                let known: Vec<_> = values.iter().map(|(n, _)| *n).collect();
                                errors.push(FlanError::BadQueryParam {
                                    key: k.into(),
                                    message: format!(
                                        "unknown value `{name}` (known: {})",
                                        known.join(", ")
                                    ),
                                });
                                continue;
                            }
                        }
                        q.facets.entry(kind).or_default().insert(name.to_string());
                    }
                }
            }
        }
        (q, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip() {
        let mut q = Query::default();
        q.toggle(FacetKind::Task, "os");
        q.toggle(FacetKind::Task, "db");
        q.toggle(FacetKind::Capability, "retrieval");
        q.toggle(FacetKind::Source, "agentinstruct/os.sample.jsonl");
        q.toggle(FacetKind::External, "accepted");
        q.text = "ls -1 | wc".into();
        q.regex = true;
        q.scope = Scope::Assistant;
        let pairs = q.to_url_pairs();
        let keys: Vec<_> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["src", "task", "cap", "ext", "q", "re", "scope"]);
        assert_eq!(pairs[1], ("task".into(), "db,os".into()));
        let (back, errors) =
            Query::from_url_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert!(errors.is_empty());
        assert_eq!(back, q);
        // Toggling twice removes; empty query has no pairs.
        q.toggle(FacetKind::Task, "os");
        assert!(!q.is_selected(FacetKind::Task, "os"));
        assert!(Query::default().to_url_pairs().is_empty());
    }

    #[test]
    fn bad_values_are_reported_and_unknown_keys_ignored() {
        let (q, errors) =
            Query::from_url_pairs([("task", "os,nope"), ("sel", "12"), ("scope", "moon")]);
        assert!(q.is_selected(FacetKind::Task, "os"));
        assert_eq!(q.facets[&FacetKind::Task].len(), 1);
        assert_eq!(errors.len(), 2);
        assert!(errors[0]
            .to_string()
            .starts_with("URL parameter `task`: unknown value `nope`"));
    }
}
