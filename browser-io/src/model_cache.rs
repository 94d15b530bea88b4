//! The model cache: the Cache API cache ([`MODEL_CACHE`]) the worker downloads models into and
//! the page lists and deletes. Each entry carries [`COMPLETE_LENGTH_HEADER`], the length the
//! complete download had, so an entry cut short (a tab killed mid-write) is never read as a
//! model.

use engine_protocol::{COMPLETE_LENGTH_HEADER, MODEL_CACHE};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::fetch::header_u64;
use crate::{global, js_error_text};

/// A model in this browser's model cache.
#[derive(Clone, Debug, PartialEq)]
pub struct CachedModel {
    pub url: String,
    /// The complete download's length, where the entry says.
    pub bytes: Option<u64>,
}

/// A cached entry shorter than the download it claims to be (it has been deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partial {
    pub had: u64,
    /// 0 where the entry did not say.
    pub expected: u64,
}

/// Whether a cached body of `had` bytes is the whole of a download that announced `expected`.
pub fn is_complete(expected: Option<u64>, had: u64) -> Result<(), Partial> {
    match expected {
        Some(expected) if expected == had => Ok(()),
        _ => Err(Partial {
            had,
            expected: expected.unwrap_or(0),
        }),
    }
}

/// Opens (creating it if needed) the model cache.
pub async fn open() -> Result<web_sys::Cache, String> {
    let caches: web_sys::CacheStorage = global("caches")
        .ok_or("this browser context has no Cache API")?
        .dyn_into()
        .map_err(|_| "caches is not a CacheStorage".to_string())?;
    JsFuture::from(caches.open(MODEL_CACHE))
        .await
        .map_err(|e| js_error_text(&e))?
        .dyn_into()
        .map_err(|_| "caches.open gave no Cache".to_string())
}

/// The cached, complete model stored for `url`: `Ok(None)` where there is none, `Err` for a
/// partial entry, which is deleted.
pub async fn complete_entry(
    cache: &web_sys::Cache,
    url: &str,
) -> Result<Option<web_sys::Blob>, Partial> {
    let Ok(hit) = JsFuture::from(cache.match_with_str(url)).await else {
        return Ok(None);
    };
    let Ok(response) = hit.dyn_into::<web_sys::Response>() else {
        return Ok(None);
    };
    let expected = header_u64(&response, COMPLETE_LENGTH_HEADER);
    let Ok(promise) = response.blob() else {
        return Ok(None);
    };
    let Some(blob) = JsFuture::from(promise)
        .await
        .ok()
        .and_then(|b| b.dyn_into::<web_sys::Blob>().ok())
    else {
        return Ok(None);
    };
    match is_complete(expected, blob.size() as u64) {
        Ok(()) => Ok(Some(blob)),
        Err(partial) => {
            let _ = JsFuture::from(cache.delete_with_str(url)).await;
            Err(partial)
        }
    }
}

/// The response to store for a download of `total` bytes whose body is `body`.
pub fn entry_for(
    body: &web_sys::ReadableStream,
    total: Option<u64>,
) -> Result<web_sys::Response, String> {
    let headers = web_sys::Headers::new().map_err(|e| js_error_text(&e))?;
    let _ = headers.set("content-type", "application/octet-stream");
    if let Some(total) = total {
        let _ = headers.set(COMPLETE_LENGTH_HEADER, &total.to_string());
    }
    let init = web_sys::ResponseInit::new();
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_readable_stream_and_init(Some(body), &init)
        .map_err(|e| js_error_text(&e))
}

/// The cached models, with the sizes their complete downloads had.
pub async fn list() -> Result<Vec<CachedModel>, String> {
    let cache = open().await?;
    let keys: js_sys::Array = JsFuture::from(cache.keys())
        .await
        .map_err(|e| js_error_text(&e))?
        .unchecked_into();
    let mut out = Vec::new();
    for request in keys.iter() {
        let request: web_sys::Request = request.unchecked_into();
        let bytes = match JsFuture::from(cache.match_with_request(&request)).await {
            Ok(r) => r
                .dyn_into::<web_sys::Response>()
                .ok()
                .and_then(|r| header_u64(&r, COMPLETE_LENGTH_HEADER)),
            Err(_) => None,
        };
        out.push(CachedModel {
            url: request.url(),
            bytes,
        });
    }
    Ok(out)
}

/// Deletes the model stored for `url`.
pub async fn delete(url: &str) -> Result<(), String> {
    let cache = open().await?;
    JsFuture::from(cache.delete_with_str(url))
        .await
        .map(|_| ())
        .map_err(|e| js_error_text(&e))
}

/// Deletes the model stored for `url`, where there is a cache at all.
pub async fn forget(url: &str) {
    let _ = delete(url).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_body_of_the_announced_length_is_a_model() {
        assert_eq!(is_complete(Some(10), 10), Ok(()));
        assert_eq!(
            is_complete(Some(10), 4),
            Err(Partial {
                had: 4,
                expected: 10
            })
        );
        // No length written: the download never finished its bookkeeping.
        assert_eq!(
            is_complete(None, 4),
            Err(Partial {
                had: 4,
                expected: 0
            })
        );
    }
}
