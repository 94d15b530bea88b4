//! A fixed-row-height virtualised list: only the rows in view (plus a margin) exist in the
//! DOM, so 1M results scroll as smoothly as 10.
//!
//! Browsers cap an element's height (Chromium at about 33.5M px), and 1M rows of 58 px need
//! 58M px. So the scroll space is capped at [`MAX_SCROLL_PX`] and scaled: a scroll position maps
//! proportionally to a position in the full ("virtual") list, and the rows in view are drawn
//! relative to the real scroll position. Below the cap the scale is 1 and nothing changes.

use leptos::html;
use leptos::prelude::*;

/// Rows drawn above and below the visible window.
const OVERSCAN: usize = 8;

/// Tallest spacer the list creates, well below every browser's element-height limit.
pub const MAX_SCROLL_PX: f64 = 16_000_000.0;

/// Maps real scroll positions to virtual ones for a list of `len` rows.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ScrollSpace {
    /// Height of the full list.
    total: f64,
    /// Height of the spacer element (≤ [`MAX_SCROLL_PX`]).
    spacer: f64,
    /// Virtual pixels per real pixel of scrolling (1 when the list fits).
    scale: f64,
}

impl ScrollSpace {
    fn new(len: usize, row_height: f64, viewport: f64) -> ScrollSpace {
        let total = len as f64 * row_height;
        if total <= MAX_SCROLL_PX {
            return ScrollSpace {
                total,
                spacer: total,
                scale: 1.0,
            };
        }
        // The last real scroll position (spacer - viewport) shows the last virtual one.
        let spacer = MAX_SCROLL_PX;
        let scale = (total - viewport).max(1.0) / (spacer - viewport).max(1.0);
        ScrollSpace {
            total,
            spacer,
            scale,
        }
    }

    /// Virtual offset of the top of the viewport for a real scroll position.
    fn virtual_top(&self, scroll_top: f64) -> f64 {
        scroll_top * self.scale
    }

    /// Real scroll position that brings row `i` fully into view, or `None` when it is already.
    fn scroll_for_row(
        &self,
        i: usize,
        row_height: f64,
        scroll_top: f64,
        viewport: f64,
    ) -> Option<f64> {
        let view_top = self.virtual_top(scroll_top);
        let top = i as f64 * row_height;
        if top < view_top {
            // Round down: the row's top stays inside the viewport.
            Some((top / self.scale).floor())
        } else if top + row_height > view_top + viewport {
            // Round up: the row's bottom stays inside the viewport.
            Some(((top + row_height - viewport) / self.scale).ceil())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_million_rows_fit_under_the_cap_and_every_row_can_be_shown() {
        let (rh, vh) = (58.0, 800.0);
        let space = ScrollSpace::new(1_000_000, rh, vh);
        assert_eq!(space.spacer, MAX_SCROLL_PX);
        assert!(space.scale > 3.0);
        // The last scroll position shows the last row at the bottom.
        let last = space.virtual_top(space.spacer - vh) + vh;
        assert!((last - space.total).abs() < 1e-3, "{last}");
        for i in [0usize, 1, 12_345, 500_000, 999_999] {
            let top = space.scroll_for_row(i, rh, 0.0, vh).unwrap_or(0.0);
            assert!(top <= space.spacer - vh + 1.0);
            let view = space.virtual_top(top);
            let row = i as f64 * rh;
            assert!(
                row >= view - 1e-6 && row + rh <= view + vh + 1e-6,
                "row {i}"
            );
            // Coming from the end, the row is brought in from the top.
            let back = space
                .scroll_for_row(i, rh, space.spacer - vh, vh)
                .unwrap_or(space.spacer - vh);
            let view = space.virtual_top(back);
            assert!(
                row >= view - 1e-6 && row + rh <= view + vh + 1e-6,
                "row {i} from the end"
            );
        }
        let small = ScrollSpace::new(100, rh, vh);
        assert_eq!((small.spacer, small.scale), (5_800.0, 1.0));
    }
}

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

    let space = Memo::new(move |_| ScrollSpace::new(len.get(), row_height, viewport.get()));

    if let Some(target) = scroll_to {
        Effect::new(move |_| {
            let (Some(i), Some(el)) = (target.get(), container.get()) else {
                return;
            };
            let view_h = el.client_height() as f64;
            let current = el.scroll_top() as f64;
            let space = ScrollSpace::new(len.get_untracked(), row_height, view_h.max(1.0));
            if let Some(top) = space.scroll_for_row(i, row_height, current, view_h) {
                el.set_scroll_top(top as i32);
                // The scroll event follows; update now so the row is drawn in this frame.
                scroll_top.set(el.scroll_top() as f64);
            }
        });
    }

    let range = Memo::new(move |_| {
        let space = space.get();
        let view_top = space.virtual_top(scroll_top.get()).min(space.total);
        let first = (view_top / row_height).floor() as usize;
        let visible = (viewport.get() / row_height).ceil() as usize + 1;
        let start = first.saturating_sub(OVERSCAN);
        let end = (first + visible + OVERSCAN).min(len.get());
        (start..end.max(start))
            .map(|i| (i, row_key(i)))
            .collect::<Vec<_>>()
    });
    // Where row `i` is drawn inside the spacer: relative to the real scroll position, so that
    // a scaled scroll space still shows consecutive rows `row_height` apart.
    let row_top = move |i: usize| {
        let space = space.get();
        if space.scale == 1.0 {
            return i as f64 * row_height;
        }
        let real = scroll_top.get();
        i as f64 * row_height - space.virtual_top(real) + real
    };

    view! {
        <div class="vlist" node_ref=container data-testid=test_id role="list"
            on:scroll=move |_| {
                if let Some(el) = container.get_untracked() {
                    scroll_top.set(el.scroll_top() as f64);
                }
            }>
            <div style:height=move || format!("{}px", space.get().spacer) style:position="relative">
                <For each=move || range.get() key=|row| *row children=move |row| {
                    let render_row = render_row.clone();
                    view! {
                    <div class="vrow-slot" role="listitem"
                        style:position="absolute" style:left="0" style:right="0"
                        style:top=move || format!("{}px", row_top(row.0))
                        style:height=format!("{row_height}px")>
                        {render_row(row.0)}
                    </div>
                    }
                }/>
            </div>
        </div>
    }
}
