//! Generation settings shared by every playground mode (chat, agent, probe), and how they
//! become an engine request.

use leptos::prelude::*;

use super::engine::{ChatMessage, GenerateRequest, Role, Sampling, TemplateChoice};

/// Generation settings shared by every mode.
#[derive(Clone, Copy)]
pub struct GenSettings {
    pub template: RwSignal<TemplateChoice>,
    pub temperature: RwSignal<f32>,
    pub top_k: RwSignal<u32>,
    pub top_p: RwSignal<f32>,
    pub seed: RwSignal<u64>,
    pub max_tokens: RwSignal<usize>,
}

impl GenSettings {
    pub fn new() -> GenSettings {
        GenSettings {
            template: RwSignal::new(TemplateChoice::Auto),
            // Greedy by default: the same prompt gives the same answer, as in the tests.
            temperature: RwSignal::new(0.0),
            top_k: RwSignal::new(40),
            top_p: RwSignal::new(0.9),
            seed: RwSignal::new(0),
            max_tokens: RwSignal::new(128),
        }
    }

    pub fn request(&self, messages: Vec<ChatMessage>, stop: Vec<String>) -> GenerateRequest {
        GenerateRequest {
            messages,
            max_tokens: self.max_tokens.get_untracked(),
            sampling: Sampling {
                temperature: self.temperature.get_untracked(),
                top_k: self.top_k.get_untracked(),
                top_p: self.top_p.get_untracked(),
                seed: self.seed.get_untracked(),
            },
            template: self.template.get_untracked(),
            stop,
            reply_prefix: String::new(),
        }
    }
}

impl Default for GenSettings {
    fn default() -> Self {
        GenSettings::new()
    }
}

/// The role a dataset turn carries to the engine.
pub fn role_name(role: flan_data::Role) -> Role {
    match role {
        flan_data::Role::System => Role::System,
        flan_data::Role::User => Role::User,
        flan_data::Role::Assistant => Role::Assistant,
    }
}
