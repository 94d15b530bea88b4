//! A fixed-row-height virtualised list: only the rows in view (plus a margin) exist in the
//! DOM, so 1M results scroll as smoothly as 10.

use leptos::html;
use leptos::prelude::*;

/// Rows drawn above and below the visible window.
const OVERSCAN: usize = 8;

#[component]
pub fn VirtualList<F, K, V>(
    /// How many rows the list has.
    #[prop(into)]
    len: Signal<usize>,
    /// Height of every row in CSS pixels.
    row_height: f64,
    /// Draws row `i` (0-based position in the list).
    render_row: F,
    /// Identity of the item at row `i`: a row is redrawn when its item changes.
    row_key: K,
    /// Scrolls row `i` into view when it changes.
    #[prop(optional, into)]
    scroll_to: Option<Signal<Option<usize>>>,
    #[prop(optional)] test_id: &'static str,
) -> impl IntoView
where
    F: Fn(usize) -> V + Send + Sync + 'static,
    K: Fn(usize) -> u64 + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let render_row = std::sync::Arc::new(render_row);
    let container = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(800.0f64);

    // Keep the viewport height current (window resizes change it).
    Effect::new(move |_| {
        if let Some(el) = container.get() {
            viewport.set(el.client_height().max(1) as f64);
        }
    });
    let _resize = gloo::events::EventListener::new(&gloo::utils::window(), "resize", move |_| {
        if let Some(el) = container.get_untracked() {
            viewport.set(el.client_height().max(1) as f64);
        }
    });
    let _resize = StoredValue::new_local(_resize);

    if let Some(target) = scroll_to {
        Effect::new(move |_| {
            let (Some(i), Some(el)) = (target.get(), container.get()) else { return };
            let top = i as f64 * row_height;
            let view_top = el.scroll_top() as f64;
            let view_h = el.client_height() as f64;
            if top < view_top {
                el.set_scroll_top(top as i32);
            } else if top + row_height > view_top + view_h {
                el.set_scroll_top((top + row_height - view_h) as i32);
            }
        });
    }

    let range = Memo::new(move |_| {
        let first = (scroll_top.get() / row_height).floor() as usize;
        let visible = (viewport.get() / row_height).ceil() as usize + 1;
        let start = first.saturating_sub(OVERSCAN);
        let end = (first + visible + OVERSCAN).min(len.get());
        (start..end.max(start)).map(|i| (i, row_key(i))).collect::<Vec<_>>()
    });

    view! {
        <div class="vlist" node_ref=container data-testid=test_id role="list"
            on:scroll=move |_| {
                if let Some(el) = container.get_untracked() {
                    scroll_top.set(el.scroll_top() as f64);
                }
            }>
            <div style:height=move || format!("{}px", len.get() as f64 * row_height) style:position="relative">
                <For each=move || range.get() key=|row| *row children=move |row| {
                    let render_row = render_row.clone();
                    view! {
                    <div class="vrow-slot" role="listitem"
                        style:position="absolute" style:left="0" style:right="0"
                        style:top=format!("{}px", row.0 as f64 * row_height)
                        style:height=format!("{row_height}px")>
                        {render_row(row.0)}
                    </div>
                    }
                }/>
            </div>
        </div>
    }
}
