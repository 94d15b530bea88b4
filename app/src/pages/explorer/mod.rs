//! The explorer: facets with counts, search, a virtualised result list and the open sample.
//! All state is in the URL (see [`ExplorerState`]), so links reproduce the view.

mod derive;
mod facets;
mod help;
mod keys;
mod labels;
mod open_data;
mod pipeline_panel;
mod result_row;
mod sample_detail;
mod search_bar;
mod toolbar;

use flan_data::{FilterResult, FlanError};
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::NavigateOptions;

use self::facets::FacetSidebar;
use self::help::HelpOverlay;
use self::keys::use_explorer_hotkeys;
use self::open_data::{on_drag_over, on_drop_files, OpenData};
use self::pipeline_panel::PipelinePanel;
use self::result_row::ResultRow;
use self::sample_detail::SampleDetail;
use self::search_bar::SearchBar;
use self::toolbar::AnnotationToolbar;
use crate::components::virtual_list::VirtualList;
use crate::routes::{use_navigate_to, ExplorerState, PlaygroundRoute, Route};
use crate::state::annotations::Labels;
use crate::state::dataset::Store;
use crate::state::search_job::{now_ms, SearchJob};

const ROW_HEIGHT: f64 = 58.0;

/// The filter's output plus how long it took, for the results header.
#[derive(Clone, Debug, PartialEq)]
struct Filtered {
    result: Result<FilterResult, FlanError>,
    millis: f64,
    total: usize,
    /// The text search of the current query is still scanning: this is the previous result.
    pending: bool,
    /// The search text this result answers.
    text: String,
}

impl Filtered {
    /// The matching rows (none when the filter failed).
    fn matches(&self) -> Vec<u32> {
        self.result
            .as_ref()
            .map(|r| r.matches.clone())
            .unwrap_or_default()
    }
}

/// Navigates to an explorer state; `replace` for typing, push for deliberate clicks.
fn use_go() -> impl Fn(ExplorerState, bool) + Clone + Send + Sync + 'static {
    let navigate = use_navigate_to();
    move |state: ExplorerState, replace: bool| {
        navigate(
            &Route::Explorer(state),
            NavigateOptions {
                replace,
                scroll: false,
                ..Default::default()
            },
        )
    }
}

#[component]
pub fn ExplorerPage() -> impl IntoView {
    let store = Store::get();
    let labels = Labels::get();
    let params = use_query_map();
    let state = Memo::new(move |_| params.with(ExplorerState::from_params));
    let go = use_go();
    let help = RwSignal::new(false);

    let search_job = SearchJob::new();
    // Large datasets: keep a slice-by-slice text scan running for the current query.
    Effect::new(move |_| {
        store.version.track();
        let query = state.with(|s| s.query.clone());
        if SearchJob::needed(store, &query) {
            search_job.start(store, query);
        } else {
            search_job.cancel();
        }
    });
    let filtered = Memo::new(move |previous: Option<&Filtered>| {
        store.version.track();
        labels.version.track();
        search_job.finished.track();
        let query = state.with(|s| s.query.clone());
        if SearchJob::needed(store, &query) {
            // The scan is running: keep showing what was shown, marked pending.
            let total = store.dataset.with_value(|d| d.len());
            return match previous {
                Some(p) => Filtered {
                    pending: true,
                    total,
                    ..p.clone()
                },
                None => Filtered {
                    result: Ok(FilterResult::default()),
                    millis: 0.0,
                    total,
                    pending: true,
                    text: String::new(),
                },
            };
        }
        let start = now_ms();
        let (result, total) = store.dataset.with_value(|d| (d.filter(&query), d.len()));
        Filtered {
            result,
            millis: now_ms() - start + search_job.scan_ms(&query),
            total,
            pending: false,
            text: query.text,
        }
    });
    let matches = Signal::derive(move || filtered.with(Filtered::matches));
    let match_count =
        Signal::derive(move || filtered.with(|f| f.result.as_ref().map_or(0, |r| r.matches.len())));
    let match_at = move |i: usize| {
        filtered.with(|f| {
            f.result
                .as_ref()
                .ok()
                .and_then(|r| r.matches.get(i).copied())
        })
    };

    let selected_index = Memo::new(move |_| {
        store.version.track();
        state
            .with(|s| s.selected.clone())
            .and_then(|id| store.dataset.with_value(|d| d.find_id(&id)))
    });
    // Position of the open sample in the result list (for j/k and scrolling it into view).
    let selected_position = Signal::derive(move || {
        let index = selected_index.get()?;
        filtered.with(|f| {
            f.result
                .as_ref()
                .ok()
                .and_then(|r| r.matches.binary_search(&index).ok())
        })
    });

    let search_input = NodeRef::<html::Input>::new();
    // Opens the sample `delta` rows below (or above) the open one in the result list.
    let step = move |delta: isize| {
        let len = match_count.get_untracked();
        if len == 0 {
            return;
        }
        let next = match selected_position.get_untracked() {
            Some(p) => (p as isize + delta).clamp(0, len as isize - 1) as usize,
            None => 0,
        };
        if let Some(index) = match_at(next) {
            let id = store
                .dataset
                .with_value(|d| d.id(index).map(str::to_string));
            go(state.get_untracked().with_selected(id, None), true);
        }
    };
    use_explorer_hotkeys(state, selected_index, help, search_input, step);

    let drop_files = on_drop_files(store);
    view! {
        <div class="explorer-page" data-testid="explorer-page" on:dragover=on_drag_over on:drop=drop_files>
            <HelpOverlay open=help/>
            <OpenData/>
            // Negatives and rebalancing on the loaded rows (paper §3.3, §3.2), via flan-data.
            <PipelinePanel state=state matches=matches/>
            <div class="explorer">
                <FacetSidebar state=state filtered=filtered/>
                <section class="results-pane">
                    <SearchBar state=state input=search_input/>
                    {move || state.with(|s| s.errors.clone()).into_iter().map(|e| view! { <p class="notice notice-warn small">{e}</p> }).collect_view()}
                    {move || filtered.with(|f| f.result.as_ref().err().map(|e| e.to_string()))
                        .map(|e| view! { <p class="notice notice-bad small" data-testid="search-error">{e}</p> })}
                    <div class="results">
                        <AnnotationToolbar matches=matches/>
                        <div class="results-head">
                            <span data-testid="result-count"
                                data-pending=move || filtered.with(|f| f.pending.to_string())
                                data-query=move || filtered.with(|f| f.text.clone())>
                                {move || filtered.with(|f| format!("{} of {} samples", f.result.as_ref().map_or(0, |r| r.matches.len()), f.total))}
                            </span>
                            <span class="muted" data-testid="filter-ms">{move || filtered.with(|f| format!("{:.1} ms", f.millis))}</span>
                            {move || search_job.progress.get().map(|p| view! {
                                <span class="muted small" data-testid="search-progress" role="status">
                                    {format!("searching {} rows… {:.0}%", filtered.with(|f| f.total), p * 100.0)}
                                </span>
                            })}
                            // The playground's hallucination probe runs the negatives of this filter.
                            <a class="small" data-testid="probe-link" title="Run the model on this filter's negative samples and count tool calls"
                                href=move || Route::Playground(PlaygroundRoute::probing(state.with(|s| s.query.clone()))).href()>"Probe negatives…"</a>
                        </div>
                        <VirtualList
                            len=match_count
                            row_height=ROW_HEIGHT
                            test_id="result-list"
                            scroll_to=selected_position
                            row_key=move |i| match_at(i).map_or(u64::MAX, u64::from)
                            render_row=move |i| view! { <ResultRow position=i index=match_at(i) state=state selected=selected_index/> }
                        />
                    </div>
                </section>
                <section class="sample-pane">
                    {move || match selected_index.get() {
                        Some(index) => view! { <SampleDetail index=index state=state/> }.into_any(),
                        None => view! {
                            <div class="card muted empty-sample">
                                <p>"Pick a sample from the list (or press "<kbd>"j"</kbd>") to read it as a chat."</p>
                                <p class="small">"Keys: "<kbd>"/"</kbd>" search · "<kbd>"j"</kbd>"/"<kbd>"k"</kbd>" next/previous sample · "<kbd>"?"</kbd>" all shortcuts."</p>
                            </div>
                        }.into_any(),
                    }}
                </section>
            </div>
        </div>
    }
}
