//! What the page is, where its data comes from, and how it runs.

use leptos::prelude::*;

use crate::routes::asset_url;

#[component]
pub fn AboutPage() -> impl IntoView {
    view! {
        <article class="card prose" data-testid="about-page">
            <h1>"About Agent-FLAN Explorer"</h1>
            <p>
                "Agent-FLAN (Chen et al., "<em>"Designing Data and Methods of Effective Agent Tuning for Large Language Models"</em>
                ", arXiv 2403.12881) fine-tunes Llama-2 on agent trajectories from AgentInstruct and ToolBench that are "
                "decomposed by capability — reasoning, retrieval, understanding and instruction following — "
                "and rebalanced, with negative samples that teach the model not to call tools it was not given."
            </p>
            <h2>"What you can do here"</h2>
            <ul>
                <li><strong>"Explore"</strong>" the data by source, task, format, capability and negative-sample type, with full-text and regex search; every view is a shareable link."</li>
                <li><strong>"Label"</strong>" samples, turns and spans from the keyboard; labels stay in this browser and export as JSONL."</li>
                <li><strong>"Run the agent"</strong>" in the playground: quantized Llama-architecture GGUF models run on WebGPU compute shaders written for this project, entirely in your browser."</li>
            </ul>
            <h2>"Data"</h2>
            <p>
                "The page opens with real public rows from AgentInstruct (THUDM) and ToolBench (OpenBMB) shipped with the site, "
                "and rows derived from them by the paper's rules, each marked as derived. The published Agent-FLAN files "
                "(internlm/Agent-FLAN on the Hugging Face Hub, Apache-2.0) can be opened by URL from the explorer. "
                "See "<a href=asset_url("data/PROVENANCE.md")>"data/PROVENANCE.md"</a>" for sources and licences."
            </p>
            <h2>"Privacy"</h2>
            <p>"Everything runs in this tab. Files you open, labels you make and models you load never leave your device; nothing is fetched from the network unless you ask for it."</p>
        </article>
    }
}
