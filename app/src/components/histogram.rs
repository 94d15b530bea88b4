//! A bar chart in plain SVG: each bar is focusable and clickable (it filters the explorer).

use leptos::prelude::*;

/// One bar: its label, its count, and what clicking it does (usually a link to a filter).
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub count: u64,
    /// Explorer link that shows the samples behind this bar.
    pub href: Option<String>,
}

const WIDTH: f64 = 460.0;
const HEIGHT: f64 = 180.0;
const LABEL_SPACE: f64 = 34.0;

#[component]
pub fn Histogram(
    title: String,
    bars: Vec<Bar>,
    #[prop(optional)] test_id: &'static str,
) -> impl IntoView {
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let slot = WIDTH / bars.len().max(1) as f64;
    let navigate = leptos_router::hooks::use_navigate();
    let rects = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let h = (bar.count as f64 / max) * (HEIGHT - LABEL_SPACE - 14.0);
            let x = i as f64 * slot + slot * 0.12;
            let w = slot * 0.76;
            let y = HEIGHT - LABEL_SPACE - h;
            let label = format!("{}: {}", bar.label, bar.count);
            let tooltip = label.clone();
            let href = bar.href.clone();
            let navigate = navigate.clone();
            let go = move || {
                if let Some(href) = &href {
                    navigate(href, Default::default());
                }
            };
            let go_key = go.clone();
            view! {
                <g class="bar" tabindex="0" role="button" aria-label=label
                    on:click=move |_| go()
                    on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Enter" || ev.key() == " " { go_key() }>
                    <title>{tooltip}</title>
                    <rect x=x y=y width=w height=h.max(1.0) rx="2"></rect>
                    <text x=x + w / 2.0 y=y - 3.0 text-anchor="middle">{bar.count}</text>
                    <text x=x + w / 2.0 y=HEIGHT - LABEL_SPACE + 13.0 text-anchor="middle">{bar.label}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="card histogram" data-testid=test_id>
            <figcaption><h2>{title}</h2></figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") width="100%" role="img">{rects}</svg>
        </figure>
    }
}
