//! The explorer's keyboard map (Prodigy's keys: a/x/space/f, 1–4, j/k, backspace): which key
//! does what, as plain data the help overlay and the label buttons also read, and the hook
//! that runs it.

use flan_data::annotate::SampleLabel;
use flan_data::{Capability, Code, Role};
use leptos::html;
use leptos::prelude::*;

use crate::hooks::use_hotkeys::{use_hotkeys, Hotkey};
use crate::routes::ExplorerState;
use crate::state::annotations::Labels;
use crate::state::dataset::Store;

/// Keys of the sample labels, in button order: (label, `KeyboardEvent.key`, key as printed).
pub const SAMPLE_KEYS: [(SampleLabel, &str, &str); 4] = [
    (SampleLabel::Accept, "a", "a"),
    (SampleLabel::Reject, "x", "x"),
    (SampleLabel::Ignore, " ", "space"),
    (SampleLabel::Flag, "f", "f"),
];

/// The keys as the help overlay lists them.
pub const HELP_ROWS: [(&str, &str); 7] = [
    ("a / x / space / f", "accept / reject / ignore / flag the sample, then go to the next"),
    ("j / k", "next / previous sample"),
    ("1 – 4", "capability of the focused assistant turn (click a turn to focus it): reasoning, retrieval, understanding, instruction following"),
    ("ctrl-z or backspace", "undo"),
    ("ctrl-shift-z", "redo"),
    ("/", "search"),
    ("?", "this help"),
];

/// What a key asks the explorer to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    Undo,
    Redo,
    /// Toggle this label of the open sample, then open the next.
    Label(SampleLabel),
    /// Toggle the capability of the focused turn; the key's digit, 1-based in `Capability::ALL`.
    TurnCapability(usize),
    ToggleHelp,
    CloseHelp,
    FocusSearch,
    Next,
    Previous,
}

/// The action of a key, if it has one. With ctrl (or cmd) only z counts, so the browser's
/// own shortcuts (ctrl-a, ctrl-f …) never label anything.
pub fn action_for(key: &Hotkey) -> Option<KeyAction> {
    if key.ctrl {
        return key.key.eq_ignore_ascii_case("z").then_some(if key.shift {
            KeyAction::Redo
        } else {
            KeyAction::Undo
        });
    }
    if let Some((label, _, _)) = SAMPLE_KEYS.iter().find(|(_, k, _)| *k == key.key) {
        return Some(KeyAction::Label(*label));
    }
    if let Some(digit) = key
        .key
        .parse::<usize>()
        .ok()
        .filter(|d| (1..=Capability::ALL.len()).contains(d))
    {
        return Some(KeyAction::TurnCapability(digit));
    }
    Some(match key.key.as_str() {
        "Backspace" => KeyAction::Undo,
        "?" => KeyAction::ToggleHelp,
        "Escape" => KeyAction::CloseHelp,
        "/" => KeyAction::FocusSearch,
        "j" => KeyAction::Next,
        "k" => KeyAction::Previous,
        _ => return None,
    })
}

/// Runs the keyboard map while the explorer is shown. `step(delta)` opens the sample `delta`
/// rows from the open one.
pub fn use_explorer_hotkeys(
    state: Memo<ExplorerState>,
    selected_index: Memo<Option<u32>>,
    help: RwSignal<bool>,
    search_input: NodeRef<html::Input>,
    step: impl Fn(isize) + 'static,
) {
    let store = Store::get();
    let labels = Labels::get();
    // Returns whether the key's default action is to be stopped.
    use_hotkeys(move |key| {
        let Some(action) = action_for(key) else {
            return false;
        };
        match action {
            KeyAction::Undo => {
                labels.undo(store);
                true
            }
            KeyAction::Redo => {
                labels.redo(store);
                true
            }
            KeyAction::Label(label) => {
                let Some(index) = selected_index.get_untracked() else {
                    return false;
                };
                labels.toggle_sample_label(store, index, label);
                step(1);
                true
            }
            KeyAction::TurnCapability(digit) => {
                let Some(index) = selected_index.get_untracked() else {
                    return false;
                };
                let Some(turn) = state.with_untracked(|s| s.turn) else {
                    labels.tell(format!("Key {digit} sets the capability of the focused turn: click an assistant turn first."));
                    return false;
                };
                // Only assistant turns have a capability label (and its buttons).
                let role = store.dataset.with_value(|d| {
                    d.view(index)
                        .and_then(|s| s.turns().nth(turn))
                        .map(|t| t.role)
                });
                if role == Some(Role::Assistant) {
                    let capability = Capability::ALL[digit - 1];
                    labels.toggle_turn_capability(store, index, turn, capability);
                } else {
                    labels.tell(format!("Turn #{turn} is not an assistant turn: key {digit} sets the capability of an assistant turn. Click one first."));
                }
                false
            }
            KeyAction::ToggleHelp => {
                help.update(|h| *h = !*h);
                false
            }
            KeyAction::CloseHelp => {
                help.set(false);
                false
            }
            KeyAction::FocusSearch => {
                if let Some(input) = search_input.get_untracked() {
                    let _ = input.focus();
                }
                true
            }
            KeyAction::Next => {
                step(1);
                false
            }
            KeyAction::Previous => {
                step(-1);
                false
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(key: &str) -> Hotkey {
        Hotkey {
            key: key.to_string(),
            ctrl: false,
            shift: false,
        }
    }

    fn ctrl(key: &str, shift: bool) -> Hotkey {
        Hotkey {
            key: key.to_string(),
            ctrl: true,
            shift,
        }
    }

    #[test]
    fn label_keys_follow_the_button_order() {
        assert_eq!(
            action_for(&key("a")),
            Some(KeyAction::Label(SampleLabel::Accept))
        );
        assert_eq!(
            action_for(&key(" ")),
            Some(KeyAction::Label(SampleLabel::Ignore))
        );
        assert_eq!(
            action_for(&key("f")),
            Some(KeyAction::Label(SampleLabel::Flag))
        );
    }

    #[test]
    fn digits_one_to_four_set_a_capability() {
        assert_eq!(action_for(&key("1")), Some(KeyAction::TurnCapability(1)));
        assert_eq!(action_for(&key("4")), Some(KeyAction::TurnCapability(4)));
        assert_eq!(action_for(&key("0")), None);
        assert_eq!(action_for(&key("5")), None);
    }

    #[test]
    fn with_ctrl_only_z_counts() {
        assert_eq!(action_for(&ctrl("z", false)), Some(KeyAction::Undo));
        assert_eq!(action_for(&ctrl("Z", true)), Some(KeyAction::Redo));
        assert_eq!(action_for(&ctrl("a", false)), None);
        assert_eq!(action_for(&ctrl("Backspace", false)), None);
    }

    #[test]
    fn navigation_and_help_keys() {
        assert_eq!(action_for(&key("Backspace")), Some(KeyAction::Undo));
        assert_eq!(action_for(&key("j")), Some(KeyAction::Next));
        assert_eq!(action_for(&key("k")), Some(KeyAction::Previous));
        assert_eq!(action_for(&key("/")), Some(KeyAction::FocusSearch));
        assert_eq!(action_for(&key("?")), Some(KeyAction::ToggleHelp));
        assert_eq!(action_for(&key("Escape")), Some(KeyAction::CloseHelp));
        assert_eq!(action_for(&key("q")), None);
    }
}
