//! Chat prompt formats: the Agent-FLAN template and ChatML (the demo model's own template,
//! recognised from `tokenizer.chat_template` metadata), rendered byte-exactly.

use crate::gguf::Content;

/// The seam's message and role types are the ones templates render: a request's messages go
/// to [`ChatTemplate::render`] as they arrive.
pub use engine_protocol::{ChatMessage as Message, Role, Template};

/// Agent-FLAN: user and system turns begin `<|Human|>` + U+0D46 and end "\n ".
pub const AGENT_FLAN_HUMAN_BEGIN: &str = "<|Human|>\u{0D46}";
/// Agent-FLAN: assistant turns begin `<|Assistant|>` + U+0D46.
pub const AGENT_FLAN_ASSISTANT_BEGIN: &str = "<|Assistant|>\u{0D46}";
/// Agent-FLAN: the end of a user or system turn.
pub const AGENT_FLAN_HUMAN_END: &str = "\n ";
/// Agent-FLAN: the end of an assistant turn; generation stops at U+0D3F.
pub const AGENT_FLAN_ASSISTANT_END: &str = "\u{0D3F}\n ";
pub const AGENT_FLAN_STOP: &str = "\u{0D3F}";

/// A prompt format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatTemplate {
    /// `<|im_start|>{role}\n{content}<|im_end|>\n`; `default_system` is inserted when the first
    /// message is not a system message (SmolLM2's template does this).
    ChatMl {
        default_system: Option<String>,
    },
    AgentFlan,
}

impl ChatTemplate {
    /// The model's own template, if its `tokenizer.chat_template` is one we recognise.
    pub fn from_gguf(c: &Content) -> Option<ChatTemplate> {
        let t = c.get_str("tokenizer.chat_template").ok()?;
        if t.contains("<|im_start|>") {
            // SmolLM2: `{{ '<|im_start|>system\nYou are ...<|im_end|>\n' }}` for a missing system turn.
            let default_system = t.split("<|im_start|>system\n").nth(1).and_then(|rest| {
                let end = rest.find("<|im_end|>")?;
                let s = &rest[..end];
                (!s.contains("{{") && !s.contains('\'')).then(|| s.to_string())
            });
            return Some(ChatTemplate::ChatMl { default_system });
        }
        if t.contains("<|Human|>") {
            return Some(ChatTemplate::AgentFlan);
        }
        None
    }

    /// The template a request names. An explicitly named ChatML gets no default system turn:
    /// that turn belongs to a model's own template.
    pub fn named(template: Template) -> ChatTemplate {
        match template {
            Template::AgentFlan => ChatTemplate::AgentFlan,
            Template::ChatMl => ChatTemplate::ChatMl {
                default_system: None,
            },
        }
    }

    /// Which template this is, as the seam names it.
    pub fn kind(&self) -> Template {
        match self {
            ChatTemplate::AgentFlan => Template::AgentFlan,
            ChatTemplate::ChatMl { .. } => Template::ChatMl,
        }
    }

    /// Renders `messages`, then (with `add_generation_prompt`) the start of an assistant turn.
    pub fn render(&self, messages: &[Message], add_generation_prompt: bool) -> String {
        let mut out = String::new();
        match self {
            ChatTemplate::ChatMl { default_system } => {
                if let Some(system) = default_system {
                    if messages.first().is_none_or(|m| m.role != Role::System) {
                        out.push_str(&format!("<|im_start|>system\n{system}<|im_end|>\n"));
                    }
                }
                for m in messages {
                    out.push_str(&format!(
                        "<|im_start|>{}\n{}<|im_end|>\n",
                        m.role.as_str(),
                        m.content
                    ));
                }
                if add_generation_prompt {
                    out.push_str("<|im_start|>assistant\n");
                }
            }
            ChatTemplate::AgentFlan => {
                for m in messages {
                    match m.role {
                        Role::System | Role::User => {
                            out.push_str(AGENT_FLAN_HUMAN_BEGIN);
                            out.push_str(&m.content);
                            out.push_str(AGENT_FLAN_HUMAN_END);
                        }
                        Role::Assistant => {
                            out.push_str(AGENT_FLAN_ASSISTANT_BEGIN);
                            out.push_str(&m.content);
                            out.push_str(AGENT_FLAN_ASSISTANT_END);
                        }
                    }
                }
                if add_generation_prompt {
                    out.push_str(AGENT_FLAN_ASSISTANT_BEGIN);
                }
            }
        }
        out
    }

    /// Text that ends the assistant's turn.
    pub fn stop_string(&self) -> &'static str {
        match self {
            ChatTemplate::ChatMl { .. } => "<|im_end|>",
            ChatTemplate::AgentFlan => AGENT_FLAN_STOP,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_flan_is_byte_exact() {
        let msgs = [
            Message::new(Role::System, "You are an agent."),
            Message::new(Role::User, "Hi"),
            Message::new(Role::Assistant, "Hello"),
            Message::new(Role::User, "Search X"),
        ];
        let s = ChatTemplate::AgentFlan.render(&msgs, true);
        assert_eq!(
            s,
            "<|Human|>\u{0D46}You are an agent.\n <|Human|>\u{0D46}Hi\n <|Assistant|>\u{0D46}Hello\u{0D3F}\n \
             <|Human|>\u{0D46}Search X\n <|Assistant|>\u{0D46}"
        );
        assert_eq!(ChatTemplate::AgentFlan.stop_string(), "\u{0D3F}");
    }

    #[test]
    fn chatml_inserts_the_default_system_turn() {
        let t = ChatTemplate::ChatMl {
            default_system: Some("Be nice".into()),
        };
        assert_eq!(
            t.render(&[Message::new(Role::User, "Hi")], true),
            "<|im_start|>system\nBe nice<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
        assert_eq!(
            t.render(
                &[
                    Message::new(Role::System, "S"),
                    Message::new(Role::User, "Hi")
                ],
                false
            ),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        );
    }
}
