//! The generation settings form: chat template and sampling, shared by every mode.

use leptos::prelude::*;

use crate::state::generation::GenSettings;

/// A number input bound to a signal; unparsable text leaves the value as it was.
#[component]
fn NumberField<T>(
    label: &'static str,
    value: RwSignal<T>,
    step: &'static str,
    testid: &'static str,
) -> impl IntoView
where
    T: std::str::FromStr + ToString + Clone + Send + Sync + 'static,
{
    view! {
        <label class="small">{label}" "
            <input type="number" step=step style="width: 6em" data-testid=testid prop:value=move || value.get().to_string()
                on:input=move |ev| { if let Ok(n) = event_target_value(&ev).parse::<T>() { value.set(n) } }/>
        </label>
    }
}

#[component]
pub fn Settings(settings: GenSettings) -> impl IntoView {
    view! {
        <details class="card settings" data-testid="gen-settings">
            <summary>"Generation settings"</summary>
            <div class="open-row">
                <label class="small">"Chat template "
                    <select data-testid="template" on:change=move |ev| if let Ok(t) = event_target_value(&ev).parse() { settings.template.set(t) }
                        prop:value=move || settings.template.get().as_str()>
                        <option value="auto">"the model's own (from its GGUF)"</option>
                        <option value="agent-flan">"Agent-FLAN (<|Human|> / <|Assistant|>)"</option>
                        <option value="chatml">"ChatML (<|im_start|>)"</option>
                        <option value="raw">"none: plain text completion"</option>
                    </select>
                </label>
                <NumberField label="temperature (0 = greedy)" value=settings.temperature step="0.1" testid="temperature"/>
                <NumberField label="top-k" value=settings.top_k step="1" testid="top-k"/>
                <NumberField label="top-p" value=settings.top_p step="0.05" testid="top-p"/>
                <NumberField label="seed" value=settings.seed step="1" testid="seed"/>
                <NumberField label="max tokens" value=settings.max_tokens step="1" testid="max-tokens"/>
            </div>
        </details>
    }
}
