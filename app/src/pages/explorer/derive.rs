//! "Derive the ReAct and decomposed rows from this sample": Agent-FLAN's rewrite (paper §3.1)
//! run in the browser with the rule flan-data picks for the row's source; the new rows join
//! the loaded ones and open side by side.

use flan_data::derive::offer::{
    agentinstruct_rows, toolbench_rows, DeriveOffer, BROWSER_SEED, TOOLBENCH_ANSWERS_PATH,
};
use flan_data::Sample;
use leptos::prelude::*;
use leptos_router::NavigateOptions;

use crate::routes::{asset_url, use_navigate_to, CompareRoute, Route};
use crate::state::dataset::loader::fetch_text;
use crate::state::dataset::Store;

/// The rows `offer` derives from `sample`; a ToolBench answer's rule reads the shipped answer
/// file for the tools.
async fn derive_rows(sample: &Sample, offer: &DeriveOffer) -> Result<[Sample; 2], String> {
    match offer {
        DeriveOffer::AgentInstruct => Ok(agentinstruct_rows(sample, BROWSER_SEED)),
        DeriveOffer::ToolbenchAnswer { source_id } => {
            let url = asset_url(&format!("data/{TOOLBENCH_ANSWERS_PATH}"));
            match fetch_text(&url).await {
                Ok(text) => {
                    toolbench_rows(&text, source_id, BROWSER_SEED).map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            }
        }
        DeriveOffer::None => Err("nothing to derive from this row".to_string()),
    }
}

/// The derive button's action: whether it runs, and why the last run failed.
#[derive(Clone, Copy)]
pub struct DeriveAction {
    pub running: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
}

impl DeriveAction {
    pub fn new() -> DeriveAction {
        DeriveAction {
            running: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Returns the click handler that derives the rows of `sample`, adds those not loaded
    /// yet, and opens the compare page on them.
    pub fn handler(
        self,
        sample: Sample,
        offer: DeriveOffer,
    ) -> impl Fn(web_sys::MouseEvent) + Clone + 'static {
        let store = Store::get();
        let navigate = use_navigate_to();
        move |_| {
            let (sample, offer, navigate) = (sample.clone(), offer.clone(), navigate.clone());
            self.running.set(true);
            self.error.set(None);
            leptos::task::spawn_local(async move {
                let rows = derive_rows(&sample, &offer).await;
                self.running.set(false);
                let rows = match rows {
                    Ok(rows) => rows,
                    Err(e) => return self.error.set(Some(e)),
                };
                let compare = CompareRoute {
                    a: Some(rows[0].id.clone()),
                    b: Some(rows[1].id.clone()),
                };
                // Deriving twice adds nothing twice: the compare page shows the rows loaded.
                let new: Vec<Sample> = store.dataset.with_value(|d| {
                    rows.into_iter()
                        .filter(|row| d.find_id(&row.id).is_none())
                        .collect()
                });
                store.add_derived(new);
                navigate(&Route::Compare(compare), NavigateOptions::default());
            });
        }
    }
}

impl Default for DeriveAction {
    fn default() -> Self {
        DeriveAction::new()
    }
}
