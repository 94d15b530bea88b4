//! The explorer's whole state lives in the URL, so a copied link reproduces the view and
//! back/forward walk through it. This module maps URL parameters to state and back.

use flan_data::{FlanError, Query};
use leptos_router::params::ParamsMap;

/// Everything the explorer view shows, as read from the URL.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExplorerState {
    pub query: Query,
    /// Parameters that could not be understood (shown, not fatal).
    pub errors: Vec<String>,
    /// Id of the open sample (`s=`).
    pub selected: Option<String>,
    /// Focused turn of the open sample (`t=`, 0-based).
    pub turn: Option<usize>,
}

impl ExplorerState {
    pub fn from_params(params: &ParamsMap) -> ExplorerState {
        let pairs: Vec<(String, String)> = params
            .latest_values()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (query, errors) =
            Query::from_url_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        ExplorerState {
            query,
            errors: errors.iter().map(FlanError::to_string).collect(),
            selected: params.get("s").filter(|s| !s.is_empty()),
            turn: params.get("t").and_then(|t| t.parse().ok()),
        }
    }

    /// The explorer link for this state.
    pub fn href(&self) -> String {
        let mut pairs = self.query.to_url_pairs();
        if let Some(id) = &self.selected {
            pairs.push(("s".into(), id.clone()));
            if let Some(turn) = self.turn {
                pairs.push(("t".into(), turn.to_string()));
            }
        }
        crate::app::href(&format!("/{}", query_string(&pairs)))
    }

    pub fn with_query(&self, query: Query) -> ExplorerState {
        ExplorerState {
            query,
            errors: Vec::new(),
            ..self.clone()
        }
    }

    pub fn with_selected(&self, id: Option<String>, turn: Option<usize>) -> ExplorerState {
        ExplorerState {
            selected: id,
            turn,
            errors: Vec::new(),
            query: self.query.clone(),
        }
    }
}

/// `?k=v&…` with each part percent-encoded (empty for no pairs).
pub fn query_string(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("?{}", parts.join("&"))
}

fn encode(s: &str) -> String {
    // Keep commas readable: they separate facet values.
    String::from(js_sys::encode_uri_component(s)).replace("%2C", ",")
}
