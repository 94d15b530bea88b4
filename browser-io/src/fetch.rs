//! `fetch` (optionally for a byte range) and reading a response body chunk by chunk.

use std::ops::Range;

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::{get, global, js_error_text};

/// `fetch(url)` from the page or a worker; with `range`, asks for those bytes only (`Range:
/// bytes=start-(end-1)`). A rejected fetch is a network failure or a refusal by the server
/// (CORS); the error says so.
pub async fn fetch(url: &str, range: Option<Range<u64>>) -> Result<web_sys::Response, String> {
    let init = web_sys::RequestInit::new();
    if let Some(range) = range {
        let headers = web_sys::Headers::new().map_err(|e| js_error_text(&e))?;
        headers
            .set("Range", &range_header(&range))
            .map_err(|e| js_error_text(&e))?;
        init.set_headers(&headers);
    }
    let request =
        web_sys::Request::new_with_str_and_init(url, &init).map_err(|e| js_error_text(&e))?;
    let fetch: js_sys::Function = global("fetch")
        .ok_or("this context has no fetch")?
        .dyn_into()
        .map_err(|_| "this context has no fetch".to_string())?;
    let promise: js_sys::Promise = fetch
        .call1(&js_sys::global(), &request)
        .map_err(|e| js_error_text(&e))?
        .dyn_into()
        .map_err(|_| "fetch did not return a promise".to_string())?;
    JsFuture::from(promise)
        .await
        .map_err(|e| {
            format!(
                "the network failed or the server refused this page (CORS): {}",
                js_error_text(&e)
            )
        })?
        .dyn_into()
        .map_err(|_| "fetch did not return a Response".to_string())
}

/// The `Range` header value for `range` (HTTP ranges include their last byte).
pub fn range_header(range: &Range<u64>) -> String {
    format!("bytes={}-{}", range.start, range.end.saturating_sub(1))
}

/// The whole file's length from a `Content-Range` value (`bytes 0-0/12345` → 12345).
pub fn content_range_total(value: &str) -> Option<u64> {
    value.rsplit('/').next()?.trim().parse().ok()
}

/// A header's value as a number (`content-length`, the model cache's complete length).
pub fn header_u64(response: &web_sys::Response, name: &str) -> Option<u64> {
    response
        .headers()
        .get(name)
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse().ok())
}

/// A header's value as text, empty where it is missing.
pub fn header_text(response: &web_sys::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// The whole body of `response` as bytes (still in JS memory).
pub async fn response_bytes(response: &web_sys::Response) -> Result<Uint8Array, String> {
    let promise = response.array_buffer().map_err(|e| js_error_text(&e))?;
    let buffer = JsFuture::from(promise)
        .await
        .map_err(|e| js_error_text(&e))?;
    Ok(Uint8Array::new(&buffer))
}

/// The bytes `[range)` of a `Blob` (a picked `File`, a cached model), read with `Blob.slice`.
pub async fn blob_bytes(blob: &web_sys::Blob, range: Range<u64>) -> Result<Uint8Array, String> {
    let slice = blob
        .slice_with_f64_and_f64(range.start as f64, range.end as f64)
        .map_err(|e| js_error_text(&e))?;
    let buffer = JsFuture::from(slice.array_buffer())
        .await
        .map_err(|e| js_error_text(&e))?;
    Ok(Uint8Array::new(&buffer))
}

/// A reader over a response's body.
pub fn body_reader(
    response: &web_sys::Response,
) -> Result<web_sys::ReadableStreamDefaultReader, String> {
    stream_reader(&response.body().ok_or("the response has no body")?)
}

/// A reader over a byte stream (a body, one branch of a `tee`, a `File.stream()`).
pub fn stream_reader(
    stream: &web_sys::ReadableStream,
) -> Result<web_sys::ReadableStreamDefaultReader, String> {
    stream
        .get_reader()
        .dyn_into()
        .map_err(|_| "the body is not a byte stream".to_string())
}

/// The next chunk of a body stream, `None` at its end.
pub async fn read_chunk(
    reader: &web_sys::ReadableStreamDefaultReader,
) -> Result<Option<Uint8Array>, String> {
    let result = JsFuture::from(reader.read())
        .await
        .map_err(|e| js_error_text(&e))?;
    // A result without a readable `done` cannot carry more data: treat it as the end.
    if get(&result, "done").as_bool().unwrap_or(true) {
        return Ok(None);
    }
    get(&result, "value")
        .dyn_into::<Uint8Array>()
        .map(Some)
        .map_err(|_| "a chunk was not bytes".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_include_their_last_byte() {
        assert_eq!(range_header(&(0..1)), "bytes=0-0");
        assert_eq!(range_header(&(4096..8192)), "bytes=4096-8191");
    }

    #[test]
    fn the_total_comes_after_the_slash() {
        assert_eq!(content_range_total("bytes 0-0/12345"), Some(12345));
        assert_eq!(content_range_total("bytes 0-0/*"), None);
        assert_eq!(content_range_total(""), None);
    }
}
