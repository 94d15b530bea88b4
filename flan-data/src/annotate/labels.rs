//! The label vocabularies: verdicts on a sample and on a turn, and the annotation status a
//! sample shows in the explorer.

use serde::{Deserialize, Serialize};

use crate::codes::Code;

macro_rules! label_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = ($short:literal, $label:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[repr(u8)]
        pub enum $name { $($(#[$vm])* $var),+ }

        // Inherent copies of the `Code` items, so callers need not import the trait.
        impl $name {
            /// Every value, in code order.
            pub const ALL: &'static [Self] = &[$($name::$var),+];
            /// Stable numeric code (index into `ALL`).
            pub fn code(self) -> u8 { self as u8 }
            /// Stable short name used in JSON and URLs (equal to the serde name).
            pub fn name(self) -> &'static str { match self { $($name::$var => $short),+ } }
            /// Human label for the UI.
            pub fn label(self) -> &'static str { match self { $($name::$var => $label),+ } }
            /// Inverse of `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name() == name)
            }
        }

        impl Code for $name {
            const ALL: &'static [Self] = &[$($name::$var),+];
            fn code(self) -> u8 { self as u8 }
            fn name(self) -> &'static str { $name::name(self) }
            fn label(self) -> &'static str { $name::label(self) }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

label_enum!(
    /// Verdict on a whole sample (keys a / x / space / f).
    SampleLabel {
        Accept = ("accept", "Accept"),
        Reject = ("reject", "Reject"),
        Ignore = ("ignore", "Ignore"),
        Flag = ("flag", "Flag"),
    }
);

label_enum!(
    /// Verdict on one (assistant) turn.
    TurnLabel {
        Correct = ("correct", "Correct"),
        Wrong = ("wrong", "Wrong"),
        HallucinatedToolCall = ("hallucinated_tool_call", "Hallucinated tool call"),
    }
);

label_enum!(
    /// Annotation state of a sample, for the explorer's "annotation status" facet.
    AnnotationStatus {
        Unlabelled = ("unlabelled", "Unlabelled"),
        Accepted = ("accepted", "Accepted"),
        Rejected = ("rejected", "Rejected"),
        Ignored = ("ignored", "Ignored"),
        Flagged = ("flagged", "Flagged"),
        /// An annotation exists but the sample's content changed since it was made.
        Changed = ("changed", "Changed since labelled"),
    }
);

/// [`AnnotationStatus`] names in code order.
pub const STATUS_NAMES: [&str; 6] = [
    "unlabelled",
    "accepted",
    "rejected",
    "ignored",
    "flagged",
    "changed",
];

impl AnnotationStatus {
    /// The status a current (not [`Changed`](Self::Changed)) sample label maps to.
    pub fn of_label(label: Option<SampleLabel>) -> AnnotationStatus {
        match label {
            None => AnnotationStatus::Unlabelled,
            Some(SampleLabel::Accept) => AnnotationStatus::Accepted,
            Some(SampleLabel::Reject) => AnnotationStatus::Rejected,
            Some(SampleLabel::Ignore) => AnnotationStatus::Ignored,
            Some(SampleLabel::Flag) => AnnotationStatus::Flagged,
        }
    }

    /// True for every status but [`Unlabelled`](Self::Unlabelled) (for "labelled / total").
    pub fn is_labelled(self) -> bool {
        self != AnnotationStatus::Unlabelled
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde_json::Value;

    use super::*;

    #[test]
    fn names_match_serde_and_codes() {
        fn check<T: Code + Serialize + std::fmt::Debug>() {
            for (i, v) in T::ALL.iter().enumerate() {
                assert_eq!(v.code() as usize, i);
                assert_eq!(T::from_name(v.name()), Some(*v));
                assert_eq!(serde_json::to_value(v).unwrap(), Value::from(v.name()));
            }
            assert_eq!(T::from_name("nope"), None);
        }
        check::<SampleLabel>();
        check::<TurnLabel>();
        check::<AnnotationStatus>();
        let names: Vec<_> = AnnotationStatus::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names, STATUS_NAMES);
        assert_eq!(
            SampleLabel::ALL
                .iter()
                .map(|l| l.name())
                .collect::<Vec<_>>(),
            ["accept", "reject", "ignore", "flag"]
        );
        assert_eq!(
            TurnLabel::from_name("hallucinated_tool_call"),
            Some(TurnLabel::HallucinatedToolCall)
        );
        assert_eq!(
            TurnLabel::HallucinatedToolCall.label(),
            "Hallucinated tool call"
        );
    }
}
