//! The URL text of the app's links: the base path the site is served under, and the
//! encoding of query values. Plain Rust except where the page is read, so the links are
//! tested natively.

/// `?k=v&…` with each part percent-encoded (empty for no pairs).
pub(super) fn query_string(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("?{}", parts.join("&"))
}

/// JavaScript's `encodeURIComponent`, except that commas stay readable: they separate facet
/// values, and the router decodes `,` and `%2C` alike.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')'
            | b',' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The path the site is served under ("" for the root, or "/sub/path"), from
/// `<meta name="afe-base">`, which `./x build` writes for sub-path deployments.
pub fn base_path() -> String {
    let meta = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=afe-base]").ok().flatten())
        .and_then(|m| m.get_attribute("content"));
    base_from_meta(meta.as_deref().unwrap_or("/"))
}

fn base_from_meta(content: &str) -> String {
    content.trim_end_matches('/').to_string()
}

/// An app path below the base (`/stats`) as the browser addresses it.
pub(super) fn with_base(path: &str) -> String {
    format!("{}{path}", base_path())
}

/// An absolute URL for a file shipped with the site (data, models, icons, the worker).
pub fn asset_url(relative: &str) -> String {
    asset_below(&base_path(), relative)
}

fn asset_below(base: &str, relative: &str) -> String {
    format!("{base}/{}", relative.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_matches_encode_uri_component_but_keeps_commas() {
        assert_eq!(encode("a-z_A.Z~0!9*'()"), "a-z_A.Z~0!9*'()");
        assert_eq!(encode("a,b"), "a,b");
        assert_eq!(encode("x y/z?&=#%+:"), "x%20y%2Fz%3F%26%3D%23%25%2B%3A");
        assert_eq!(encode("ü€"), "%C3%BC%E2%82%AC");
        assert_eq!(query_string(&[]), "");
    }

    #[test]
    fn the_base_path_comes_from_the_meta_tag() {
        assert_eq!(base_from_meta("/"), "");
        assert_eq!(
            base_from_meta("/agent-flan-explorer/"),
            "/agent-flan-explorer"
        );
        assert_eq!(asset_below("", "data/default.jsonl"), "/data/default.jsonl");
        assert_eq!(asset_below("/sub", "/models/x.gguf"), "/sub/models/x.gguf");
    }
}
