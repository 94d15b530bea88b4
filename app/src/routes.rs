//! Every address the app has: its pages, the state each page keeps in its URL, and the links
//! to them. Pages and components build links only through [`Route`], so a route, its query
//! keys and the site's base path are spelled in this one module.
//!
//! The explorer's whole state lives in the URL, so a copied link reproduces the view and
//! back/forward walk through it; its filter is `flan_data::Query`, which owns the facet and
//! search keys (`task=os&q=ls`), while this module adds the app's own keys (`s`, `t`, `try`,
//! `probe`, `a`, `b`).

mod url;

use flan_data::{FlanError, Query};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;

pub use self::url::{asset_url, base_path};
use self::url::{query_string, with_base};

/// The pages served from a path of their own besides "/": the router matches these, and the
/// build copies `index.html` into each so a static host answers a reload there.
pub const STATIC_PAGES: [&str; 4] = ["playground", "stats", "about", "compare"];

/// One page of the app, without the state its URL carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Explorer,
    Playground,
    Stats,
    About,
    Compare,
}

impl Page {
    /// The page's path segment: empty for the explorer at "/", else its [`STATIC_PAGES`] entry.
    pub const fn segment(self) -> &'static str {
        match self {
            Page::Explorer => "",
            Page::Playground => STATIC_PAGES[0],
            Page::Stats => STATIC_PAGES[1],
            Page::About => STATIC_PAGES[2],
            Page::Compare => STATIC_PAGES[3],
        }
    }

    /// The page's path below the base: "/" or "/stats".
    pub fn path(self) -> String {
        format!("/{}", self.segment())
    }

    /// The page with nothing in its query.
    pub fn route(self) -> Route {
        match self {
            Page::Explorer => Route::Explorer(ExplorerState::default()),
            Page::Playground => Route::Playground(PlaygroundRoute::default()),
            Page::Stats => Route::Stats(Query::default()),
            Page::About => Route::About,
            Page::Compare => Route::Compare(CompareRoute::default()),
        }
    }

    /// A link to the page with nothing in its query.
    pub fn href(self) -> String {
        self.route().href()
    }
}

/// A link to one page, with everything its URL carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    Explorer(ExplorerState),
    Playground(PlaygroundRoute),
    /// Statistics of the samples this filter selects.
    Stats(Query),
    About,
    Compare(CompareRoute),
}

impl Route {
    /// The explorer showing `query`, with no sample open.
    pub fn explorer(query: Query) -> Route {
        Route::Explorer(ExplorerState {
            query,
            ..ExplorerState::default()
        })
    }

    /// The explorer (unfiltered) with the sample `id` open.
    pub fn sample(id: impl Into<String>) -> Route {
        Route::Explorer(ExplorerState::default().with_selected(Some(id.into()), None))
    }

    pub fn page(&self) -> Page {
        match self {
            Route::Explorer(_) => Page::Explorer,
            Route::Playground(_) => Page::Playground,
            Route::Stats(_) => Page::Stats,
            Route::About => Page::About,
            Route::Compare(_) => Page::Compare,
        }
    }

    /// The URL query pairs, in the order they are written.
    fn query_pairs(&self) -> Vec<(String, String)> {
        match self {
            Route::Explorer(state) => state.query_pairs(),
            Route::Playground(playground) => playground.query_pairs(),
            Route::Stats(query) => query.to_url_pairs(),
            Route::About => Vec::new(),
            Route::Compare(compare) => compare.query_pairs(),
        }
    }

    /// The link below the site's base path: path, query and fragment (`/compare?a=x&b=y`).
    pub fn path_and_query(&self) -> String {
        let fragment = match self {
            Route::Playground(PlaygroundRoute {
                section: Some(section),
                ..
            }) => format!("#{}", section.id()),
            _ => String::new(),
        };
        format!(
            "{}{}{fragment}",
            self.page().path(),
            query_string(&self.query_pairs())
        )
    }

    /// The link as the page uses it. The router's `base` applies only to relative paths, so
    /// app links are absolute and carry the base path, for deployments under a sub-path.
    pub fn href(&self) -> String {
        with_base(&self.path_and_query())
    }
}

/// Everything the explorer view shows, as read from the URL.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExplorerState {
    pub query: Query,
    /// Parameters that could not be understood (shown, not fatal; never written back).
    pub errors: Vec<String>,
    /// Id of the open sample (`s=`).
    pub selected: Option<String>,
    /// Focused turn of the open sample (`t=`, 0-based).
    pub turn: Option<usize>,
}

impl ExplorerState {
    pub fn from_params(params: &ParamsMap) -> ExplorerState {
        ExplorerState::from_pairs(&QueryPairs::from_params(params))
    }

    fn from_pairs(pairs: &QueryPairs) -> ExplorerState {
        let (query, errors) = pairs.query();
        ExplorerState {
            query,
            errors: errors.iter().map(FlanError::to_string).collect(),
            selected: pairs.get("s").filter(|s| !s.is_empty()),
            turn: pairs.get("t").and_then(|t| t.parse().ok()),
        }
    }

    fn query_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = self.query.to_url_pairs();
        if let Some(id) = &self.selected {
            pairs.push(("s".into(), id.clone()));
            if let Some(turn) = self.turn {
                pairs.push(("t".into(), turn.to_string()));
            }
        }
        pairs
    }

    /// The explorer link for this state.
    pub fn href(&self) -> String {
        Route::Explorer(self.clone()).href()
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

/// `base` with the URL pairs `extra` set over it: a key of `extra` replaces that key of `base`
/// (a histogram bar's facet replaces the same facet of the current filter).
pub fn refine(base: &Query, extra: &[(String, String)]) -> Query {
    let mut pairs = base.to_url_pairs();
    pairs.retain(|(k, _)| !extra.iter().any(|(ek, _)| ek == k));
    pairs.extend(extra.iter().cloned());
    Query::from_url_pairs(pairs).0
}

/// The agent playground's URL: the explorer filter the probe runs on, and what to open.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlaygroundRoute {
    /// The explorer filter whose negative samples the hallucination probe runs.
    pub filter: Query,
    /// Open the probe tab (`probe=1`).
    pub probe: bool,
    /// Try this dataset sample in the chat (`try=<id>`).
    pub try_sample: Option<String>,
    /// Scroll to one section of the page (the URL's fragment).
    pub section: Option<PlaygroundSection>,
}

impl PlaygroundRoute {
    /// The probe tab on the negatives of `filter`.
    pub fn probing(filter: Query) -> PlaygroundRoute {
        PlaygroundRoute {
            filter,
            probe: true,
            ..PlaygroundRoute::default()
        }
    }

    /// The chat, filled in from the sample `id`.
    pub fn trying(id: impl Into<String>) -> PlaygroundRoute {
        PlaygroundRoute {
            try_sample: Some(id.into()),
            ..PlaygroundRoute::default()
        }
    }

    /// What the playground reads from its query (the fragment is the browser's to scroll to).
    pub fn from_params(params: &ParamsMap) -> PlaygroundRoute {
        PlaygroundRoute::from_pairs(&QueryPairs::from_params(params))
    }

    fn from_pairs(pairs: &QueryPairs) -> PlaygroundRoute {
        PlaygroundRoute {
            filter: pairs.query().0,
            probe: pairs.get("probe").is_some(),
            try_sample: pairs.get("try"),
            section: None,
        }
    }

    fn query_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = self.filter.to_url_pairs();
        if self.probe {
            pairs.push(("probe".into(), "1".into()));
        }
        if let Some(id) = &self.try_sample {
            pairs.push(("try".into(), id.clone()));
        }
        pairs
    }
}

/// A section of the playground a link can point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaygroundSection {
    WebGpu,
}

impl PlaygroundSection {
    /// The section's element id, which is also the link's fragment.
    pub const fn id(self) -> &'static str {
        match self {
            PlaygroundSection::WebGpu => "webgpu",
        }
    }
}

/// The two samples the compare page puts side by side (`a=` left, `b=` right); `None` leaves
/// the key out of the link.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompareRoute {
    pub a: Option<String>,
    pub b: Option<String>,
}

impl CompareRoute {
    pub fn from_params(params: &ParamsMap) -> CompareRoute {
        CompareRoute::from_pairs(&QueryPairs::from_params(params))
    }

    fn from_pairs(pairs: &QueryPairs) -> CompareRoute {
        CompareRoute {
            a: pairs.get("a"),
            b: pairs.get("b"),
        }
    }

    fn query_pairs(&self) -> Vec<(String, String)> {
        [("a", &self.a), ("b", &self.b)]
            .into_iter()
            .filter_map(|(key, id)| Some((key.to_string(), id.clone()?)))
            .collect()
    }
}

/// The explorer filter in a page's query (the stats page reads it too).
pub fn filter_from_params(params: &ParamsMap) -> Query {
    QueryPairs::from_params(params).query().0
}

/// A page's query as the router decoded it: each key once, with its latest value. Kept apart
/// from the router's `ParamsMap`, which decodes through the browser, so the parsing here is
/// plain Rust that runs in native tests.
struct QueryPairs(Vec<(String, String)>);

impl QueryPairs {
    fn from_params(params: &ParamsMap) -> QueryPairs {
        QueryPairs(
            params
                .latest_values()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// The explorer filter in the query, and what in it could not be understood.
    fn query(&self) -> (Query, Vec<FlanError>) {
        Query::from_url_pairs(self.0.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// The router's navigate, for typed routes: `navigate(&route, options)`.
pub fn use_navigate_to() -> impl Fn(&Route, NavigateOptions) + Clone + Send + Sync + 'static {
    let navigate = leptos_router::hooks::use_navigate();
    move |route: &Route, options: NavigateOptions| navigate(&route.href(), options)
}

#[cfg(test)]
mod tests {
    use flan_data::{FacetKind, Scope};

    use super::*;

    /// Decodes what [`encode`] wrote (and `+`-free query text in general).
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("hex escape"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("UTF-8")
    }

    /// Reads a link back the way the router does: path to page, query to params.
    fn parse(link: &str) -> Route {
        let (link, fragment) = link.split_once('#').unwrap_or((link, ""));
        let (path, query) = link.split_once('?').unwrap_or((link, ""));
        // Each key once, with its latest value, as `ParamsMap::latest_values` gives them.
        let mut pairs: Vec<(String, String)> = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (decode(k), decode(v));
            match pairs.iter_mut().find(|(pk, _)| *pk == k) {
                Some(existing) => existing.1 = v,
                None => pairs.push((k, v)),
            }
        }
        let params = QueryPairs(pairs);
        let page = PAGES
            .into_iter()
            .find(|p| p.path() == path)
            .expect("a page's path");
        match page {
            Page::Explorer => Route::Explorer(ExplorerState::from_pairs(&params)),
            Page::Playground => Route::Playground(PlaygroundRoute {
                section: (fragment == PlaygroundSection::WebGpu.id())
                    .then_some(PlaygroundSection::WebGpu),
                ..PlaygroundRoute::from_pairs(&params)
            }),
            Page::Stats => Route::Stats(params.query().0),
            Page::About => Route::About,
            Page::Compare => Route::Compare(CompareRoute::from_pairs(&params)),
        }
    }

    const PAGES: [Page; 5] = [
        Page::Explorer,
        Page::Playground,
        Page::Stats,
        Page::About,
        Page::Compare,
    ];

    fn filter() -> Query {
        let mut q = Query::default();
        q.toggle(FacetKind::Task, "os");
        q.toggle(FacetKind::Task, "db");
        q.toggle(FacetKind::Source, "agentinstruct/os.sample.jsonl");
        q.text = "ls -1 | wc & 100% ü".into();
        q.regex = true;
        q.scope = Scope::Assistant;
        q
    }

    #[test]
    fn every_page_but_the_explorer_is_a_static_page() {
        let segments: Vec<&str> = PAGES[1..].iter().map(|p| p.segment()).collect();
        assert_eq!(segments, STATIC_PAGES);
        assert_eq!(Page::Explorer.path(), "/");
        assert_eq!(Page::Stats.path(), "/stats");
    }

    #[test]
    fn links_read_back_as_the_same_route() {
        let routes = [
            Route::explorer(Query::default()),
            Route::explorer(filter()),
            Route::Explorer(ExplorerState {
                query: filter(),
                errors: Vec::new(),
                selected: Some("toolbench_G1_query_1:neg-no-tools".into()),
                turn: Some(3),
            }),
            Route::sample("os_42, the second"),
            Route::Playground(PlaygroundRoute::default()),
            Route::Playground(PlaygroundRoute::probing(filter())),
            Route::Playground(PlaygroundRoute::trying("kg_132:tflan")),
            Route::Playground(PlaygroundRoute {
                section: Some(PlaygroundSection::WebGpu),
                ..PlaygroundRoute::default()
            }),
            Route::Stats(Query::default()),
            Route::Stats(filter()),
            Route::About,
            Route::Compare(CompareRoute::default()),
            Route::Compare(CompareRoute {
                a: Some("kg_132:react".into()),
                b: Some("kg_132:tflan".into()),
            }),
            Route::Compare(CompareRoute {
                a: Some("os_42".into()),
                b: None,
            }),
            Route::Compare(CompareRoute {
                a: Some(String::new()),
                b: Some(String::new()),
            }),
        ];
        for route in routes {
            let link = route.path_and_query();
            assert_eq!(parse(&link), route, "{link}");
        }
    }

    #[test]
    fn links_are_written_as_before() {
        let compare = Route::Compare(CompareRoute {
            a: Some("kg_132:react".into()),
            b: Some("kg_132:tflan".into()),
        });
        assert_eq!(
            compare.path_and_query(),
            "/compare?a=kg_132%3Areact&b=kg_132%3Atflan"
        );
        assert_eq!(Route::sample("os_42").path_and_query(), "/?s=os_42");
        assert_eq!(
            Route::Playground(PlaygroundRoute::trying("a b")).path_and_query(),
            "/playground?try=a%20b"
        );
        let mut os = Query::default();
        os.toggle(FacetKind::Task, "os");
        os.toggle(FacetKind::Task, "db");
        assert_eq!(
            Route::Playground(PlaygroundRoute::probing(os.clone())).path_and_query(),
            "/playground?task=db,os&probe=1"
        );
        let open = ExplorerState::default()
            .with_query(os)
            .with_selected(Some("db_100".into()), Some(1));
        assert_eq!(
            Route::Explorer(open).path_and_query(),
            "/?task=db,os&s=db_100&t=1"
        );
        let webgpu = PlaygroundRoute {
            section: Some(PlaygroundSection::WebGpu),
            ..PlaygroundRoute::default()
        };
        assert_eq!(
            Route::Playground(webgpu).path_and_query(),
            "/playground#webgpu"
        );
        assert_eq!(Route::Stats(Query::default()).path_and_query(), "/stats");
        assert_eq!(Route::About.path_and_query(), "/about");
        for page in PAGES {
            assert_eq!(page.route().path_and_query(), page.path());
        }
    }

    #[test]
    fn a_bar_refines_the_filter_it_was_drawn_for() {
        let mut base = Query::default();
        base.toggle(FacetKind::Task, "os");
        base.toggle(FacetKind::Capability, "reasoning");
        let refined = refine(&base, &[("cap".into(), "retrieval".into())]);
        assert!(refined.is_selected(FacetKind::Task, "os"));
        assert!(refined.is_selected(FacetKind::Capability, "retrieval"));
        assert!(!refined.is_selected(FacetKind::Capability, "reasoning"));
    }
}
