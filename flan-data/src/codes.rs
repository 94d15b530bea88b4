//! Small enums with stable `u8` codes and URL names, used by classification, the index and URLs.

use serde::{Deserialize, Serialize};

/// Shared behaviour of the facet value enums.
pub trait Code: Copy + Eq + Ord + 'static {
    /// Every value, in code order.
    const ALL: &'static [Self];
    /// Stable numeric code (index into [`Code::ALL`]).
    fn code(self) -> u8;
    /// Stable short name used in URLs and JSON.
    fn name(self) -> &'static str;
    /// Human label for the UI.
    fn label(self) -> &'static str;
    /// Inverse of [`Code::code`].
    fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }
    /// Inverse of [`Code::name`].
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }
}

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = ($short:literal, $label:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[repr(u8)]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl Code for $name {
            const ALL: &'static [Self] = &[$($name::$var),+];
            fn code(self) -> u8 { self as u8 }
            fn name(self) -> &'static str { match self { $($name::$var => $short),+ } }
            fn label(self) -> &'static str { match self { $($name::$var => $label),+ } }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

code_enum!(
    /// The agent task / source family a sample comes from.
    Task {
        Os = ("os", "OS (bash)"),
        Db = ("db", "Database (SQL)"),
        Alfworld = ("alfworld", "ALFWorld"),
        Webshop = ("webshop", "WebShop"),
        Kg = ("kg", "Knowledge graph"),
        Mind2web = ("mind2web", "Mind2Web"),
        Toolbench = ("toolbench", "ToolBench"),
        GeneralChat = ("chat", "General chat"),
    }
);

code_enum!(
    /// How the agent trajectory is laid out in turns.
    Format {
        /// Thought / Action / Action Input in one assistant turn.
        React = ("react", "ReAct"),
        /// Decomposed: thought, tool choice and arguments as separate assistant turns.
        Tflan = ("tflan", "Decomposed (T-FLAN)"),
        Chat = ("chat", "Plain chat"),
    }
);

code_enum!(
    /// Agent-FLAN's negative-sample kinds (paper Section 3.3).
    Negative {
        None = ("none", "Not negative"),
        NoTools = ("no_tools", "No tools offered"),
        IrrelevantTools = ("irrelevant_tools", "Only irrelevant tools"),
    }
);

code_enum!(
    /// The four agent capabilities of the paper (Section 3.2).
    Capability {
        Reasoning = ("reasoning", "Reasoning"),
        Retrieval = ("retrieval", "Retrieval"),
        Understanding = ("understanding", "Understanding"),
        InstructionFollowing = ("instruction", "Instruction following"),
    }
);

code_enum!(
    /// Turns per sample, bucketed.
    TurnBucket {
        T1to2 = ("1-2", "1–2 turns"),
        T3to4 = ("3-4", "3–4 turns"),
        T5to8 = ("5-8", "5–8 turns"),
        T9to16 = ("9-16", "9–16 turns"),
        T17up = ("17+", "17+ turns"),
    }
);

code_enum!(
    /// Characters per turn, bucketed (the Stats view's chars-per-turn histogram). A sample has a
    /// bucket when at least one of its turns falls in it (a bit mask, like [`Capability`]).
    TurnLength {
        C0 = ("0-99", "0–99 chars"),
        C100 = ("100-299", "100–299 chars"),
        C300 = ("300-999", "300–999 chars"),
        C1k = ("1000-2999", "1000–2999 chars"),
        C3k = ("3000-9999", "3000–9999 chars"),
        C10k = ("10000-29999", "10000–29999 chars"),
        C30k = ("30000+", "30000+ chars"),
    }
);

code_enum!(
    /// Published row vs row derived by this crate.
    Provenance {
        Published = ("published", "Published"),
        Derived = ("derived", "Derived"),
    }
);

code_enum!(
    /// Whether a sample has at least one turn with `loss: false`.
    LossMask {
        Masked = ("yes", "Has loss-masked turns"),
        Unmasked = ("no", "No loss-masked turns"),
    }
);

code_enum!(
    /// Which turns a text search looks at.
    Scope {
        Any = ("any", "Any turn"),
        System = ("system", "System"),
        User = ("user", "User"),
        Assistant = ("assistant", "Assistant"),
    }
);

impl TurnBucket {
    /// Bucket for a turn count.
    pub fn of(turns: usize) -> TurnBucket {
        match turns {
            0..=2 => TurnBucket::T1to2,
            3..=4 => TurnBucket::T3to4,
            5..=8 => TurnBucket::T5to8,
            9..=16 => TurnBucket::T9to16,
            _ => TurnBucket::T17up,
        }
    }
}

impl TurnLength {
    /// Upper bounds (exclusive) of the buckets; the last bucket is open.
    pub const EDGES: [u32; 6] = [100, 300, 1_000, 3_000, 10_000, 30_000];

    /// Bucket of a turn with `chars` characters.
    pub fn of(chars: u32) -> TurnLength {
        let b = Self::EDGES
            .iter()
            .position(|&e| chars < e)
            .unwrap_or(Self::EDGES.len());
        Self::ALL[b]
    }

    /// Inclusive lower and exclusive upper edge (`None`: open).
    pub fn range(self) -> (u32, Option<u32>) {
        let b = self as usize;
        let lower = if b == 0 { 0 } else { Self::EDGES[b - 1] };
        (lower, Self::EDGES.get(b).copied())
    }

    /// Bit in a turn-length mask.
    pub fn bit(self) -> u8 {
        1 << self.code()
    }
}

impl Capability {
    /// Bit in a capability mask.
    pub fn bit(self) -> u8 {
        1 << self.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: Code + std::fmt::Debug>() {
        for (i, v) in T::ALL.iter().enumerate() {
            assert_eq!(v.code() as usize, i);
            assert_eq!(T::from_code(v.code()), Some(*v));
            assert_eq!(T::from_name(v.name()), Some(*v));
        }
        assert_eq!(T::from_code(T::ALL.len() as u8), None);
    }

    #[test]
    fn codes_and_names_round_trip() {
        check::<Task>();
        check::<Format>();
        check::<Negative>();
        check::<Capability>();
        check::<TurnBucket>();
        check::<Provenance>();
        check::<TurnLength>();
        assert_eq!(TurnLength::of(0), TurnLength::C0);
        assert_eq!(TurnLength::of(99), TurnLength::C0);
        assert_eq!(TurnLength::of(100), TurnLength::C100);
        assert_eq!(TurnLength::of(29_999), TurnLength::C10k);
        assert_eq!(TurnLength::of(30_000), TurnLength::C30k);
        assert_eq!(TurnLength::C1k.range(), (1_000, Some(3_000)));
        assert_eq!(TurnLength::C30k.range(), (30_000, None));
        // Names match the ranges they stand for.
        for t in TurnLength::ALL {
            let (lo, hi) = t.range();
            let name = match hi {
                Some(h) => format!("{lo}-{}", h - 1),
                None => format!("{lo}+"),
            };
            assert_eq!(t.name(), name);
        }
        check::<LossMask>();
        check::<Scope>();
        assert_eq!(TurnBucket::of(17), TurnBucket::T17up);
        assert_eq!(TurnBucket::of(4), TurnBucket::T3to4);
    }
}
