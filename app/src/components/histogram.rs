//! A bar chart in plain SVG: each bar is focusable and clickable (it filters the explorer).

use leptos::prelude::*;

/// One bar: its label, its count, and what clicking it does (usually a link to a filter).
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub count: u64,
    /// Explorer link that shows the samples behind this bar.
    pub href: Option<String>,
    /// Samples the link shows, when `count` counts something else (turns).
    pub samples: Option<u64>,
}

const WIDTH: f64 = 460.0;
const HEIGHT: f64 = 180.0;
const LABEL_SPACE: f64 = 34.0;

/// Clickable bar group shared by both orientations.
fn bar_group(
    bar: Bar,
    shapes: impl IntoView + 'static,
    navigate: impl Fn(&str, leptos_router::NavigateOptions) + Clone + 'static,
) -> impl IntoView {
    let label = format!("{}: {}", bar.label, bar.count);
    let tooltip = match bar.samples {
        Some(n) => format!("{label} (in {n} samples; click to list them)"),
        None => label.clone(),
    };
    let samples = bar.samples.map(|n| n.to_string());
    let href = bar.href.clone();
    let href_set = href.is_some();
    let go = move || {
        if let Some(href) = &href {
            navigate(href, Default::default());
        }
    };
    let go_key = go.clone();
    view! {
        <g class="bar" tabindex="0" role="button" aria-label=label data-samples=samples
            class:linked=href_set
            on:click=move |_| go()
            on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Enter" || ev.key() == " " { go_key() }>
            <title>{tooltip}</title>
            {shapes}
        </g>
    }
}

#[component]
pub fn Histogram(
    title: String,
    bars: Vec<Bar>,
    #[prop(optional)] test_id: &'static str,
) -> impl IntoView {
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let navigate = leptos_router::hooks::use_navigate();
    // Long category names (source files) read better as horizontal bars.
    let horizontal = bars.iter().any(|b| b.label.chars().count() > 12);
    let (svg_height, rects) = if horizontal {
        let row = 18.0;
        let rows = bars.len().max(1) as f64;
        let label_w = WIDTH * 0.45;
        let rects = bars
            .into_iter()
            .enumerate()
            .map(|(i, bar)| {
                let y = i as f64 * row;
                let w = (bar.count as f64 / max) * (WIDTH - label_w - 40.0);
                let name: String = if bar.label.chars().count() > 38 {
                    format!(
                        "…{}",
                        bar.label
                            .chars()
                            .rev()
                            .take(37)
                            .collect::<Vec<_>>()
                            .into_iter()
                            .rev()
                            .collect::<String>()
                    )
                } else {
                    bar.label.clone()
                };
                let count = bar.count;
                let shapes = view! {
                    <text x=label_w - 6.0 y=y + 12.5 text-anchor="end">{name}</text>
                    <rect x=label_w y=y + 3.0 width=w.max(1.0) height=row - 6.0 rx="2"></rect>
                    <text x=label_w + w + 4.0 y=y + 12.5>{count}</text>
                };
                bar_group(bar, shapes, navigate.clone())
            })
            .collect_view()
            .into_any();
        (row * rows, rects)
    } else {
        let slot = WIDTH / bars.len().max(1) as f64;
        let rects = bars
            .into_iter()
            .enumerate()
            .map(|(i, bar)| {
                let h = (bar.count as f64 / max) * (HEIGHT - LABEL_SPACE - 14.0);
                let x = i as f64 * slot + slot * 0.12;
                let w = slot * 0.76;
                let y = HEIGHT - LABEL_SPACE - h;
                let (count, label) = (bar.count, bar.label.clone());
                let shapes = view! {
                    <rect x=x y=y width=w height=h.max(1.0) rx="2"></rect>
                    <text x=x + w / 2.0 y=y - 3.0 text-anchor="middle">{count}</text>
                    <text x=x + w / 2.0 y=HEIGHT - LABEL_SPACE + 13.0 text-anchor="middle">{label}</text>
                };
                bar_group(bar, shapes, navigate.clone())
            })
            .collect_view()
            .into_any();
        (HEIGHT, rects)
    };
    view! {
        <figure class="card histogram" data-testid=test_id>
            <figcaption><h2>{title}</h2></figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {svg_height}") width="100%" role="img">{rects}</svg>
        </figure>
    }
}
