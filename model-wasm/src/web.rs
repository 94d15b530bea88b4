//! Browser byte sources: a model read by HTTP `Range` requests or from a local `File`, a
//! piece at a time, so a multi-gigabyte GGUF is never held in wasm memory.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::gguf::{ByteSource, GgufError};

fn io_error(offset: u64, len: usize, message: String) -> GgufError {
    GgufError::Io {
        offset,
        end: offset.saturating_add(len as u64),
        message,
    }
}

fn js_text(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// `fetch` from the page or a worker (both have it on the global object).
async fn fetch(url: &str, range: Option<(u64, u64)>) -> Result<web_sys::Response, String> {
    let init = web_sys::RequestInit::new();
    if let Some((start, end)) = range {
        let headers = web_sys::Headers::new().map_err(|e| js_text(&e))?;
        headers
            .set("Range", &format!("bytes={start}-{}", end - 1))
            .map_err(|e| js_text(&e))?;
        init.set_headers(&headers);
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(|e| js_text(&e))?;
    let fetch: js_sys::Function = Reflect::get(&js_sys::global(), &"fetch".into())
        .map_err(|e| js_text(&e))?
        .dyn_into()
        .map_err(|_| "this context has no fetch".to_string())?;
    let promise: js_sys::Promise = fetch
        .call1(&js_sys::global(), &request)
        .map_err(|e| js_text(&e))?
        .dyn_into()
        .map_err(|_| "fetch did not return a promise".to_string())?;
    JsFuture::from(promise)
        .await
        .map_err(|e| {
            format!(
                "the network failed or the server refused this page (CORS): {}",
                js_text(&e)
            )
        })?
        .dyn_into()
        .map_err(|_| "fetch did not return a Response".to_string())
}

/// Reads smaller than this are served from one read-ahead window of this size, so parsing a
/// header of many small fields costs a handful of requests, not one per field.
const READ_AHEAD: u64 = 4 << 20;

/// A GGUF on a web server that answers `Range` requests (any static host does).
pub struct HttpRangeSource {
    url: String,
    len: u64,
    /// The last read-ahead window: its start offset and bytes.
    window: Option<(u64, Vec<u8>)>,
}

impl HttpRangeSource {
    /// Asks for the first byte to learn the length and to check that ranges are served.
    pub async fn open(url: &str) -> Result<HttpRangeSource, GgufError> {
        let response = fetch(url, Some((0, 1)))
            .await
            .map_err(|m| io_error(0, 1, m))?;
        let status = response.status();
        if status == 404 {
            return Err(io_error(
                0,
                1,
                format!("{url} answered HTTP 404 (no such file)"),
            ));
        }
        if status != 206 {
            return Err(io_error(0, 1, format!("{url} answered HTTP {status} instead of a byte range (206); the host must support Range requests")));
        }
        let range = response
            .headers()
            .get("content-range")
            .ok()
            .flatten()
            .unwrap_or_default();
        let len = range
            .rsplit('/')
            .next()
            .and_then(|total| total.parse::<u64>().ok())
            .ok_or_else(|| io_error(0, 1, format!("{url} sent no usable Content-Range (got {range:?}); if it is another site, it must expose that header (CORS)")))?;
        Ok(HttpRangeSource {
            url: url.to_string(),
            len,
            window: None,
        })
    }

    async fn fetch_range(&self, offset: u64, end: u64) -> Result<Uint8Array, GgufError> {
        let n = (end - offset) as usize;
        let response = fetch(&self.url, Some((offset, end)))
            .await
            .map_err(|m| io_error(offset, n, m))?;
        if response.status() != 206 {
            return Err(io_error(
                offset,
                n,
                format!("HTTP {} for a byte range", response.status()),
            ));
        }
        let promise = response
            .array_buffer()
            .map_err(|e| io_error(offset, n, js_text(&e)))?;
        let bytes = Uint8Array::new(
            &JsFuture::from(promise)
                .await
                .map_err(|e| io_error(offset, n, js_text(&e)))?,
        );
        if bytes.length() as usize != n {
            return Err(io_error(
                offset,
                n,
                format!(
                    "the server sent {} bytes for a {n}-byte range (file truncated?)",
                    bytes.length()
                ),
            ));
        }
        Ok(bytes)
    }
}

impl ByteSource for HttpRangeSource {
    fn len(&self) -> u64 {
        self.len
    }

    async fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), GgufError> {
        let end = offset.saturating_add(buf.len() as u64);
        if end > self.len {
            return Err(io_error(
                offset,
                buf.len(),
                format!("past the end of a {}-byte file", self.len),
            ));
        }
        if buf.is_empty() {
            return Ok(());
        }
        if let Some((start, bytes)) = &self.window {
            if offset >= *start && end <= start + bytes.len() as u64 {
                let from = (offset - start) as usize;
                buf.copy_from_slice(&bytes[from..from + buf.len()]);
                return Ok(());
            }
        }
        if buf.len() as u64 >= READ_AHEAD {
            // Tensor data: straight into the caller's buffer.
            self.fetch_range(offset, end).await?.copy_to(buf);
            return Ok(());
        }
        let window_end = (offset + READ_AHEAD).min(self.len);
        let bytes = self.fetch_range(offset, window_end).await?.to_vec();
        buf.copy_from_slice(&bytes[..buf.len()]);
        self.window = Some((offset, bytes));
        Ok(())
    }
}

/// A GGUF the user picked or dropped, read with `Blob.slice`.
pub struct BlobSource {
    blob: web_sys::Blob,
}

impl BlobSource {
    pub fn new(blob: web_sys::Blob) -> BlobSource {
        BlobSource { blob }
    }
}

impl ByteSource for BlobSource {
    fn len(&self) -> u64 {
        self.blob.size() as u64
    }

    async fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), GgufError> {
        let end = offset.saturating_add(buf.len() as u64);
        if end > self.len() {
            return Err(io_error(
                offset,
                buf.len(),
                format!("past the end of a {}-byte file", self.len()),
            ));
        }
        let slice = self
            .blob
            .slice_with_f64_and_f64(offset as f64, end as f64)
            .map_err(|e| io_error(offset, buf.len(), js_text(&e)))?;
        let bytes = Uint8Array::new(
            &JsFuture::from(slice.array_buffer())
                .await
                .map_err(|e| io_error(offset, buf.len(), js_text(&e)))?,
        );
        bytes.copy_to(buf);
        Ok(())
    }
}

/// The Cache API cache models are kept in. The playground page lists and deletes entries of
/// the same name (`app/src/engine.rs`), so the two must agree.
pub const MODEL_CACHE: &str = "afe-models-v1";
/// Written on every cached model: the byte length the complete download had. An entry whose
/// body is shorter (a tab killed mid-write, a cut connection) is detected and discarded.
pub const COMPLETE_LENGTH_HEADER: &str = "x-afe-complete-length";

/// How a model was opened.
#[derive(Debug, Clone, PartialEq)]
pub enum CacheOutcome {
    /// From this browser's cache: no network.
    Hit,
    /// Downloaded and stored for next time.
    Stored,
    /// Downloaded but not stored (no Cache API, quota full, …): the reason.
    NotStored(String),
    /// A cached entry was incomplete and was thrown away before downloading again.
    DiscardedPartial { had: u64, expected: u64 },
}

async fn model_cache() -> Result<web_sys::Cache, String> {
    let caches: web_sys::CacheStorage = Reflect::get(&js_sys::global(), &"caches".into())
        .ok()
        .filter(|c| !c.is_undefined())
        .ok_or("this browser context has no Cache API")?
        .dyn_into()
        .map_err(|_| "caches is not a CacheStorage".to_string())?;
    JsFuture::from(caches.open(MODEL_CACHE))
        .await
        .map_err(|e| js_text(&e))?
        .dyn_into()
        .map_err(|_| "caches.open gave no Cache".to_string())
}

/// Removes a model from the cache (nothing happens where there is no cache).
pub async fn forget_cached(url: &str) {
    if let Ok(cache) = model_cache().await {
        let _ = JsFuture::from(cache.delete_with_str(url)).await;
    }
}

/// A cached, complete model, or `Err(Some((had, expected)))` for a partial entry (deleted).
async fn cached_blob(
    cache: &web_sys::Cache,
    url: &str,
) -> Result<Option<web_sys::Blob>, (u64, u64)> {
    let Ok(hit) = JsFuture::from(cache.match_with_str(url)).await else {
        return Ok(None);
    };
    let Ok(response) = hit.dyn_into::<web_sys::Response>() else {
        return Ok(None);
    };
    let expected = response
        .headers()
        .get(COMPLETE_LENGTH_HEADER)
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok());
    let blob: web_sys::Blob = match response.blob() {
        Ok(p) => match JsFuture::from(p).await.ok().and_then(|b| b.dyn_into().ok()) {
            Some(b) => b,
            None => return Ok(None),
        },
        Err(_) => return Ok(None),
    };
    let had = blob.size() as u64;
    match expected {
        Some(expected) if expected == had => Ok(Some(blob)),
        _ => {
            let _ = JsFuture::from(cache.delete_with_str(url)).await;
            Err((had, expected.unwrap_or(0)))
        }
    }
}

/// Opens a model by URL through the model cache: a complete cached copy is read from disk;
/// otherwise the file is downloaded once (reporting `(bytes, total)` as it arrives), stored,
/// and read back from the cache. Where nothing can be stored the model is read by `Range`
/// requests instead, so loading still works.
pub async fn open_cached(
    url: &str,
    mut on_progress: impl FnMut(u64, Option<u64>),
) -> Result<(Box<dyn ByteSourceDyn>, CacheOutcome), GgufError> {
    let cache = match model_cache().await {
        Ok(c) => c,
        Err(reason) => {
            let source = HttpRangeSource::open(url).await?;
            return Ok((Box::new(source), CacheOutcome::NotStored(reason)));
        }
    };
    let mut discarded = None;
    match cached_blob(&cache, url).await {
        Ok(Some(blob)) => return Ok((Box::new(BlobSource::new(blob)), CacheOutcome::Hit)),
        Ok(None) => {}
        Err((had, expected)) => discarded = Some(CacheOutcome::DiscardedPartial { had, expected }),
    }
    let response = fetch(url, None).await.map_err(|m| io_error(0, 0, m))?;
    let status = response.status();
    if status == 404 {
        return Err(io_error(
            0,
            0,
            format!("{url} answered HTTP 404 (no such file)"),
        ));
    }
    if !response.ok() {
        return Err(io_error(0, 0, format!("{url} answered HTTP {status}")));
    }
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok());
    let body = response
        .body()
        .ok_or_else(|| io_error(0, 0, format!("{url} sent no body")))?;
    // One branch is written to the cache while the other is counted for the progress bar.
    let branches = body.tee();
    let to_cache: web_sys::ReadableStream = branches.get(0).unchecked_into();
    let to_count: web_sys::ReadableStream = branches.get(1).unchecked_into();
    let headers = web_sys::Headers::new().map_err(|e| io_error(0, 0, js_text(&e)))?;
    let _ = headers.set("content-type", "application/octet-stream");
    if let Some(total) = total {
        let _ = headers.set(COMPLETE_LENGTH_HEADER, &total.to_string());
    }
    let init = web_sys::ResponseInit::new();
    init.set_headers(&headers);
    let stored = web_sys::Response::new_with_opt_readable_stream_and_init(Some(&to_cache), &init)
        .map_err(|e| io_error(0, 0, js_text(&e)))?;
    let put = JsFuture::from(cache.put_with_str(url, &stored));
    let reader: web_sys::ReadableStreamDefaultReader = to_count.get_reader().unchecked_into();
    let mut received = 0u64;
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| {
            io_error(
                received,
                0,
                format!(
                    "the download broke off after {received} bytes: {}",
                    js_text(&e)
                ),
            )
        })?;
        if Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true)
        {
            break;
        }
        if let Ok(value) = Reflect::get(&chunk, &"value".into()) {
            received += Uint8Array::new(&value).length() as u64;
        }
        on_progress(received, total);
    }
    if let Some(total) = total.filter(|&t| t != received) {
        return Err(io_error(
            received,
            0,
            format!("the download ended after {received} of {total} bytes (truncated file)"),
        ));
    }
    let outcome = match put.await {
        Ok(_) => match cached_blob(&cache, url).await {
            Ok(Some(blob)) => {
                return Ok((
                    Box::new(BlobSource::new(blob)),
                    discarded.unwrap_or(CacheOutcome::Stored),
                ));
            }
            Ok(None) => CacheOutcome::NotStored("the stored copy could not be read back".into()),
            Err((had, expected)) => {
                CacheOutcome::NotStored(format!("the stored copy has {had} of {expected} bytes"))
            }
        },
        Err(e) => CacheOutcome::NotStored(format!(
            "the browser refused to store it ({}); storage may be full",
            js_text(&e)
        )),
    };
    // Not stored: read it by ranges (the browser's HTTP cache usually has it by now).
    let source = HttpRangeSource::open(url).await?;
    Ok((Box::new(source), outcome))
}

/// Object-safe face of [`ByteSource`] for the sources above, so the worker can hold any of
/// them behind one type.
pub trait ByteSourceDyn {
    fn dyn_len(&self) -> u64;
    fn dyn_read_at<'a>(
        &'a mut self,
        offset: u64,
        buf: &'a mut [u8],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), GgufError>> + 'a>>;
}

impl<S: ByteSource> ByteSourceDyn for S {
    fn dyn_len(&self) -> u64 {
        self.len()
    }
    fn dyn_read_at<'a>(
        &'a mut self,
        offset: u64,
        buf: &'a mut [u8],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), GgufError>> + 'a>> {
        Box::pin(self.read_exact_at(offset, buf))
    }
}

impl ByteSource for Box<dyn ByteSourceDyn> {
    fn len(&self) -> u64 {
        (**self).dyn_len()
    }
    async fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), GgufError> {
        (**self).dyn_read_at(offset, buf).await
    }
}

/// Counts the bytes read through it (upload progress).
pub struct Counted<S> {
    pub inner: S,
    pub read: u64,
    on_read: Box<dyn FnMut(u64, u64)>,
}

impl<S: ByteSource> Counted<S> {
    pub fn new(inner: S, on_read: impl FnMut(u64, u64) + 'static) -> Counted<S> {
        Counted {
            inner,
            read: 0,
            on_read: Box::new(on_read),
        }
    }
}

impl<S: ByteSource> ByteSource for Counted<S> {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    async fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), GgufError> {
        self.inner.read_exact_at(offset, buf).await?;
        self.read += buf.len() as u64;
        let len = self.inner.len();
        (self.on_read)(self.read, len);
        Ok(())
    }
}

/// The adapter as the browser describes it (`GPUAdapter.info`), which wgpu's web backend does
/// not pass on: a display name, and whether it is a CPU implementation (SwiftShader, a
/// fallback adapter), where the mat-vec kernels want one thread per row.
pub async fn adapter_facts() -> Option<(String, bool)> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let gpu = Reflect::get(&navigator, &"gpu".into())
        .ok()
        .filter(|g| !g.is_undefined())?;
    let request: js_sys::Function = Reflect::get(&gpu, &"requestAdapter".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let promise: js_sys::Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = JsFuture::from(promise)
        .await
        .ok()
        .filter(|a| !a.is_null())?;
    let info = Reflect::get(&adapter, &"info".into()).ok()?;
    let field = |k: &str| {
        Reflect::get(&info, &k.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let parts: Vec<String> = ["vendor", "architecture", "description"]
        .iter()
        .map(|k| field(k))
        .filter(|s| !s.is_empty())
        .collect();
    let fallback = Reflect::get(&info, &"isFallbackAdapter".into())
        .ok()
        .and_then(|v| v.as_bool())
        .or_else(|| {
            Reflect::get(&adapter, &"isFallbackAdapter".into())
                .ok()
                .and_then(|v| v.as_bool())
        })
        .unwrap_or(false);
    let name = parts.join(" · ");
    let cpu = fallback || name.to_lowercase().contains("swiftshader");
    Some((
        if name.is_empty() {
            "WebGPU adapter".into()
        } else {
            name
        },
        cpu,
    ))
}
