//! Speed and context of the last generation, under the chat and the agent trace.

use leptos::prelude::*;

use crate::state::engine::Engine;

/// Speed and context of the last generation.
#[component]
pub fn RunStats() -> impl IntoView {
    let engine = Engine::get();
    view! {
        <p class="muted small" data-testid="chat-stats"
            data-tokens=move || engine.last_run.with(|c| c.as_ref().map(|c| serde_json::to_string(&c.tokens).unwrap_or_default()))>
            {move || engine.last_run.get().map(|c| {
                let context = engine.model.with(|m| m.as_ref().map(|m| m.context).unwrap_or(0));
                format!(
                    "{} tokens · prompt {} tokens ({} reused from the cache) in {:.2} s · decode {:.1} tok/s · context {} of {}{}",
                    c.tokens.len(), c.prompt_tokens, c.reused_tokens, c.prefill_seconds, c.decode_tokens_per_second,
                    c.context_used, context, if c.stopped { " · stopped" } else { "" })
            })}
        </p>
    }
}
