//! The explorer: facets with counts, search, a virtualised result list and the open sample.
//! All state is in the URL (see `url_state`), so links reproduce the view.

use flan_data::{Capability, Code, FacetKind, FilterResult, FlanError, Format, Negative, Task};
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::components::labeling::{
    toggle_sample_label, toggle_turn_capability, AnnotationToolbar, HelpOverlay, LabelBar,
    SAMPLE_KEYS,
};
use crate::components::open_data::{on_drag_over, on_drop_files, OpenData};
use crate::components::pipeline_panel::PipelinePanel;
use crate::components::sample_view::{
    capability_class, offered_tool_rows, ToolTable, TurnBubble, WhyList,
};
use crate::components::virtual_list::VirtualList;
use crate::data::labels::Labels;
use crate::data::search_job::{now_ms, SearchJob};
use crate::data::store::Store;
use crate::url_state::ExplorerState;

const ROW_HEIGHT: f64 = 58.0;

/// Source name of rows derived in the browser from the sample view.
pub(crate) const DERIVED_IN_BROWSER: &str = "derived in this browser";

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

/// Navigates to an explorer state; `replace` for typing, push for deliberate clicks.
fn use_go() -> impl Fn(ExplorerState, bool) + Clone + Send + Sync + 'static {
    let navigate = use_navigate();
    move |state: ExplorerState, replace: bool| {
        navigate(
            &state.href(),
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
    let step = {
        let go = go.clone();
        move |delta: isize| {
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
        }
    };
    // Not passive: "/" must not also type itself into the search box it focuses.
    let keys = gloo::events::EventListener::new_with_options(
        &gloo::utils::document(),
        "keydown",
        gloo::events::EventListenerOptions::enable_prevent_default(),
        {
            let step = step.clone();
            move |ev| {
                let Some(ev) = wasm_bindgen::JsCast::dyn_ref::<web_sys::KeyboardEvent>(ev) else {
                    return;
                };
                if typing_in_a_field(ev) || ev.alt_key() {
                    return;
                }
                let key = ev.key();
                if ev.ctrl_key() || ev.meta_key() {
                    if key.eq_ignore_ascii_case("z") {
                        ev.prevent_default();
                        if ev.shift_key() {
                            labels.redo(store)
                        } else {
                            labels.undo(store)
                        }
                    }
                    return;
                }
                if let Some((label, _, _)) = SAMPLE_KEYS.iter().find(|(_, k, _)| *k == key) {
                    if let Some(index) = selected_index.get_untracked() {
                        ev.prevent_default();
                        toggle_sample_label(labels, store, index, *label);
                        step(1);
                    }
                    return;
                }
                if let Some(digit) = key.parse::<usize>().ok().filter(|d| (1..=4).contains(d)) {
                    let Some(index) = selected_index.get_untracked() else {
                        return;
                    };
                    let Some(turn) = state.with_untracked(|s| s.turn) else {
                        labels.tell(format!("Key {digit} sets the capability of the focused turn: click an assistant turn first."));
                        return;
                    };
                    // Only assistant turns have a capability label (and its buttons).
                    let role = store.dataset.with_value(|d| {
                        d.view(index)
                            .and_then(|s| s.turns().nth(turn))
                            .map(|t| t.role)
                    });
                    if role == Some(flan_data::Role::Assistant) {
                        toggle_turn_capability(
                            labels,
                            store,
                            index,
                            turn,
                            Capability::ALL[digit - 1],
                        );
                    } else {
                        labels.tell(format!("Turn #{turn} is not an assistant turn: key {digit} sets the capability of an assistant turn. Click one first."));
                    }
                    return;
                }
                match key.as_str() {
                    "Backspace" => {
                        ev.prevent_default();
                        labels.undo(store);
                    }
                    "?" => help.update(|h| *h = !*h),
                    "Escape" => help.set(false),
                    "/" => {
                        ev.prevent_default();
                        if let Some(input) = search_input.get_untracked() {
                            let _ = input.focus();
                        }
                    }
                    "j" => step(1),
                    "k" => step(-1),
                    _ => {}
                }
            }
        },
    );
    let keys = StoredValue::new_local(Some(keys));
    on_cleanup(move || keys.update_value(|k| drop(k.take())));

    let drop_files = on_drop_files(store);
    view! {
        <div class="explorer-page" data-testid="explorer-page" on:dragover=on_drag_over on:drop=drop_files>
            <HelpOverlay open=help/>
            <OpenData/>
            // Negatives and rebalancing on the loaded rows (paper §3.3, §3.2), via flan-data.
            <PipelinePanel state=state matches=Signal::derive(move || filtered.with(|f| f.result.as_ref().map(|r| r.matches.clone()).unwrap_or_default()))/>
            <div class="explorer">
                <FacetSidebar state=state filtered=filtered/>
                <section class="results-pane">
                    <SearchBar state=state input=search_input/>
                    {move || state.with(|s| s.errors.clone()).into_iter().map(|e| view! { <p class="notice notice-warn small">{e}</p> }).collect_view()}
                    {move || filtered.with(|f| f.result.as_ref().err().map(|e| e.to_string()))
                        .map(|e| view! { <p class="notice notice-bad small" data-testid="search-error">{e}</p> })}
                    <div class="results">
                        <AnnotationToolbar matches=Signal::derive(move || filtered.with(|f| f.result.as_ref().map(|r| r.matches.clone()).unwrap_or_default()))/>
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
                                href=move || {
                                    let mut pairs = state.with(|s| s.query.to_url_pairs());
                                    pairs.push(("probe".into(), "1".into()));
                                    crate::app::href(&format!("/playground{}", crate::url_state::query_string(&pairs)))
                                }>"Probe negatives…"</a>
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

fn typing_in_a_field(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        .map(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.has_attribute("contenteditable")
        })
        .unwrap_or(false)
}

#[component]
fn FacetSidebar(state: Memo<ExplorerState>, filtered: Memo<Filtered>) -> impl IntoView {
    let store = Store::get();
    let go = use_go();
    let kinds = FacetKind::ALL.to_vec();
    let clear_go = go.clone();
    view! {
        <aside class="facets" aria-label="Filters" data-testid="facets">
            <div class="facets-head">
                <strong>"Filters"</strong>
                <button class="small" data-testid="clear-filters"
                    disabled=move || state.with(|s| s.query.facets.values().all(|v| v.is_empty()) && s.query.text.is_empty())
                    on:click=move |_| clear_go(state.get_untracked().with_query(Default::default()), false)>
                    "Clear all"
                </button>
            </div>
            {kinds.into_iter().map(|kind| {
                let go = go.clone();
                let values = move || {
                    filtered.with(|f| match &f.result {
                        Ok(result) => store.dataset.with_value(|d| d.facet_values(kind, result)),
                        Err(_) => Vec::new(),
                    })
                };
                view! {
                    <div class="facet" data-facet=kind.key()>
                        <h3>{kind.label()}</h3>
                        <For each=values key=|v| (v.name.clone(), v.count) let:value>
                            {
                                let go = go.clone();
                                let name = value.name.clone();
                                let selected = {
                                    let name = name.clone();
                                    move || state.with(|s| s.query.is_selected(kind, &name))
                                };
                                let selected_attr = selected.clone();
                                view! {
                                    <button class="facet-value" data-value=name.clone()
                                        aria-pressed=move || selected_attr().to_string()
                                        disabled=move || value.count == 0 && !selected()
                                        on:click=move |_| {
                                            let mut query = state.with_untracked(|s| s.query.clone());
                                            query.toggle(kind, &name);
                                            go(state.get_untracked().with_query(query), false);
                                        }>
                                        <span class="facet-label" title=value.label.clone()>{value.label.clone()}</span>
                                        <span class="count">{value.count}</span>
                                    </button>
                                }
                            }
                        </For>
                    </div>
                }
            }).collect_view()}
        </aside>
    }
}

#[component]
fn SearchBar(state: Memo<ExplorerState>, input: NodeRef<html::Input>) -> impl IntoView {
    let go = use_go();
    let go_regex = go.clone();
    let go_scope = go.clone();
    view! {
        <div class="searchbar" role="search">
            <input type="search" node_ref=input data-testid="search" placeholder="Search text  ( / )"
                aria-label="Search samples"
                prop:value=move || state.with(|s| s.query.text.clone())
                on:input=move |ev| {
                    let mut query = state.with_untracked(|s| s.query.clone());
                    query.text = event_target_value(&ev);
                    go(state.get_untracked().with_query(query), true);
                }
                on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Escape" {
                    if let Some(el) = input.get_untracked() { let _ = el.blur(); }
                }/>
            <label class="small"><input type="checkbox" data-testid="regex-toggle"
                prop:checked=move || state.with(|s| s.query.regex)
                on:change=move |ev| {
                    let mut query = state.with_untracked(|s| s.query.clone());
                    query.regex = event_target_checked(&ev);
                    go_regex(state.get_untracked().with_query(query), false);
                }/>" regex"</label>
            <select data-testid="scope" aria-label="Search in"
                on:change=move |ev| {
                    let mut query = state.with_untracked(|s| s.query.clone());
                    if let Some(scope) = flan_data::Scope::from_name(&event_target_value(&ev)) { query.scope = scope; }
                    go_scope(state.get_untracked().with_query(query), false);
                }>
                {flan_data::Scope::ALL.iter().map(|scope| {
                    let scope = *scope;
                    view! { <option value=scope.name() selected=move || state.with(|s| s.query.scope == scope)>{scope.label()}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

#[component]
fn ResultRow(
    position: usize,
    index: Option<u32>,
    state: Memo<ExplorerState>,
    selected: Memo<Option<u32>>,
) -> impl IntoView {
    let store = Store::get();
    let go = use_go();
    let Some(index) = index else {
        return ().into_any();
    };
    let row = store.dataset.with_value(|d| {
        let sample = d.sample(index)?;
        let codes = d.codes(index)?;
        let preview = sample
            .conversation
            .iter()
            .rev()
            .find(|t| t.role == flan_data::Role::User)
            .or_else(|| sample.conversation.first())
            .map(|t| {
                t.content
                    .chars()
                    .take(160)
                    .collect::<String>()
                    .replace('\n', " ")
            })
            .unwrap_or_default();
        Some((
            sample.id.clone(),
            *codes,
            preview,
            sample.is_derived(),
            sample.conversation.len(),
        ))
    });
    let Some((id, codes, preview, derived, turns)) = row else {
        return ().into_any();
    };
    let task = Task::from_code(codes.task)
        .map(|t| t.label())
        .unwrap_or("?");
    let format = Format::from_code(codes.format)
        .map(|f| f.label())
        .unwrap_or("?");
    let negative = Negative::from_code(codes.negative)
        .filter(|n| *n != Negative::None)
        .map(|n| n.label());
    let caps: Vec<Capability> = Capability::ALL
        .iter()
        .copied()
        .filter(|c| codes.capabilities & c.bit() != 0)
        .collect();
    let open_id = id.clone();
    let data_id = id.clone();
    view! {
        <div class="vrow" class:selected=move || selected.get() == Some(index) data-testid="result-row" data-id=data_id
            data-position=position
            on:click=move |_| go(state.get_untracked().with_selected(Some(open_id.clone()), None), false)>
            <div>
                <span class="id">{id}</span>" "
                <span class="chip">{task}</span>
                <span class="chip">{format}</span>
                {negative.map(|n| view! { <span class="chip neg">{n}</span> })}
                {derived.then(|| view! { <span class="chip derived">"derived"</span> })}
                <span class="muted small">{format!("{turns} turns")}</span>
                {caps.into_iter().map(|c| view! { <span class=capability_class(c.name()) title=c.label()>{c.label().chars().next().unwrap_or('?').to_string()}</span> }).collect_view()}
            </div>
            <div class="preview">{preview}</div>
        </div>
    }
    .into_any()
}

#[component]
fn SampleDetail(index: u32, state: Memo<ExplorerState>) -> impl IntoView {
    let store = Store::get();
    let go = use_go();
    let Some((sample, class, source)) = store.dataset.with_value(|d| {
        Some((
            d.sample(index)?,
            d.classify(index)?,
            d.source_name(index)?.to_string(),
        ))
    }) else {
        return view! { <p class="muted">"This sample is no longer loaded."</p> }.into_any();
    };
    let tools = offered_tool_rows(&sample);
    let json = sample.to_json_line();
    let copied = RwSignal::new(false);
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&json);
            copied.set(true);
        }
    };
    let compare_href = crate::app::href(&format!(
        "/compare?a={}",
        js_sys::encode_uri_component(&sample.id)
    ));
    let try_href = crate::app::href(&format!(
        "/playground?try={}",
        js_sys::encode_uri_component(&sample.id)
    ));
    let focus_go = go.clone();
    let on_focus = Callback::new(move |turn: usize| {
        let s = state.get_untracked();
        let id = s.selected.clone();
        focus_go(s.with_selected(id, Some(turn)), true);
    });
    let derived = sample.derived_from.clone();
    let provenance = flan_data::derive::provenance_why(&sample);
    // Agent-FLAN's rewrite (paper §3.1), with the rule of the row's source (flan-data decides).
    let offer =
        flan_data::derive::offer::derive_offer(&sample, class.task.value, class.format.value);
    let offer_why = offer.why();
    let derive_error = RwSignal::new(None::<String>);
    let deriving = RwSignal::new(false);
    let navigate = use_navigate();
    let derive_here = {
        let sample = sample.clone();
        let offer = offer.clone();
        move |_| {
            let (sample, offer, navigate) = (sample.clone(), offer.clone(), navigate.clone());
            deriving.set(true);
            derive_error.set(None);
            leptos::task::spawn_local(async move {
                use flan_data::derive::offer::{
                    agentinstruct_rows, toolbench_rows, DeriveOffer, BROWSER_SEED,
                    TOOLBENCH_ANSWERS_PATH,
                };
                let rows = match &offer {
                    DeriveOffer::AgentInstruct => Ok(agentinstruct_rows(&sample, BROWSER_SEED)),
                    DeriveOffer::ToolbenchAnswer { source_id } => {
                        let url = crate::app::asset_url(&format!("data/{TOOLBENCH_ANSWERS_PATH}"));
                        match crate::data::loader::fetch_text(&url).await {
                            Ok(text) => toolbench_rows(&text, source_id, BROWSER_SEED)
                                .map_err(|e| e.to_string()),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    DeriveOffer::None => Err("nothing to derive from this row".to_string()),
                };
                deriving.set(false);
                let rows = match rows {
                    Ok(rows) => rows,
                    Err(e) => return derive_error.set(Some(e)),
                };
                let (a, b) = (rows[0].id.clone(), rows[1].id.clone());
                store.dataset.update_value(|d| {
                    for row in rows {
                        if d.find_id(&row.id).is_none() {
                            d.push(row, DERIVED_IN_BROWSER);
                        }
                    }
                });
                store.version.update(|v| *v += 1);
                let pairs = vec![("a".to_string(), a), ("b".to_string(), b)];
                navigate(
                    &crate::app::href(&format!(
                        "/compare{}",
                        crate::url_state::query_string(&pairs)
                    )),
                    NavigateOptions::default(),
                );
            });
        }
    };
    let extra = (!sample.extra.is_empty())
        .then(|| serde_json::to_string_pretty(&sample.extra).unwrap_or_default());
    let turn_classes = class.turns.clone();
    let turns = sample
        .conversation
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, turn)| {
            let turn_class = turn_classes.iter().find(|c| c.turn_index == i).cloned();
            let focused = Signal::derive(move || state.with(|s| s.turn == Some(i)));
            view! { <TurnBubble index=i turn=turn class=turn_class focused=focused on_focus=on_focus labels_for=index/> }
        })
        .collect_view();
    view! {
        <div class="card sample" data-testid="sample-view" data-id=sample.id.clone()>
            <div class="sample-head">
                <h2 data-testid="sample-id">{sample.id.clone()}</h2>
                <span class="chip mono">{source}</span>
                <span class="grow"></span>
                <button class="small" on:click=copy data-testid="copy-json">
                    {move || if copied.get() { "Copied" } else { "Copy as JSON" }}
                </button>
                <a class="button small" href=compare_href>"Compare…"</a>
                <a class="button small" href=try_href data-testid="try-link" title="Replay its system prompt and first user turn with a model in this browser">"Try in playground"</a>
            </div>
            {match derived {
                Some(d) => view! {
                    <p class="notice notice-warn small" data-testid="derived-note">
                        <strong>"Derived row"</strong>" (rule "<code>{d.rule}</code>"), not a published Agent-FLAN row. "{provenance}
                    </p>
                }.into_any(),
                None => view! { <p class="why small" data-testid="provenance-note">{provenance}</p> }.into_any(),
            }}
            {(offer != flan_data::derive::offer::DeriveOffer::None).then(|| view! {
                <p class="small">
                    <button class="small" data-testid="derive-here" on:click=derive_here disabled=move || deriving.get()>
                        "Derive the ReAct and decomposed (T-FLAN) rows from this sample"
                    </button>
                    <span class="muted" data-testid="derive-why">" — "{offer_why}" Runs here in your browser; opens them side by side."</span>
                    {move || derive_error.get().map(|e| view! { <span class="notice notice-bad small" data-testid="derive-error">{e}</span> })}
                </p>
            })}
            <LabelBar index=index/>
            <WhyList class=class/>
            {(!tools.is_empty()).then(|| view! {
                <details class="tools-box" open=true>
                    <summary>{format!("{} tools offered in the system prompt", tools.len())}</summary>
                    <ToolTable tools=tools/>
                </details>
            })}
            {extra.map(|e| view! { <details class="json"><summary>"Extra fields"</summary><pre>{e}</pre></details> })}
            <div class="turns">{turns}</div>
        </div>
    }
    .into_any()
}
