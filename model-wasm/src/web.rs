//! Browser byte sources: a model read by HTTP `Range` requests, from a local `File`, or from
//! the model cache, a piece at a time, so a multi-gigabyte GGUF is never held in wasm memory.
//! The browser calls themselves (fetch, Cache API, stream reading) are `browser-io`'s.

use browser_io::fetch::{
    blob_bytes, content_range_total, fetch, header_text, header_u64, read_chunk, response_bytes,
    stream_reader,
};
use browser_io::{js_error_text, model_cache};
use engine_protocol::CacheOutcome;
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::gguf::{ByteSource, GgufError};

fn io_error(offset: u64, len: usize, message: String) -> GgufError {
    GgufError::Io {
        offset,
        end: offset.saturating_add(len as u64),
        message,
    }
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
        let response = fetch(url, Some(0..1))
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
        let range = header_text(&response, "content-range");
        let len = content_range_total(&range).ok_or_else(|| io_error(0, 1, format!("{url} sent no usable Content-Range (got {range:?}); if it is another site, it must expose that header (CORS)")))?;
        Ok(HttpRangeSource {
            url: url.to_string(),
            len,
            window: None,
        })
    }

    async fn fetch_range(&self, offset: u64, end: u64) -> Result<Uint8Array, GgufError> {
        let n = (end - offset) as usize;
        let response = fetch(&self.url, Some(offset..end))
            .await
            .map_err(|m| io_error(offset, n, m))?;
        if response.status() != 206 {
            return Err(io_error(
                offset,
                n,
                format!("HTTP {} for a byte range", response.status()),
            ));
        }
        let bytes = response_bytes(&response)
            .await
            .map_err(|m| io_error(offset, n, m))?;
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
        blob_bytes(&self.blob, offset..end)
            .await
            .map_err(|m| io_error(offset, buf.len(), m))?
            .copy_to(buf);
        Ok(())
    }
}

/// Removes a model from the model cache (nothing happens where there is no cache).
pub async fn forget_cached(url: &str) {
    model_cache::forget(url).await;
}

/// Opens a model by URL through the model cache: a complete cached copy is read from disk;
/// otherwise the file is downloaded once (reporting `(bytes, total)` as it arrives), stored,
/// and read back from the cache. Where nothing can be stored the model is read by `Range`
/// requests instead, so loading still works.
pub async fn open_cached(
    url: &str,
    mut on_progress: impl FnMut(u64, Option<u64>),
) -> Result<(Box<dyn ByteSourceDyn>, CacheOutcome), GgufError> {
    let cache = match model_cache::open().await {
        Ok(c) => c,
        Err(reason) => {
            let source = HttpRangeSource::open(url).await?;
            return Ok((Box::new(source), CacheOutcome::NotStored(reason)));
        }
    };
    let mut discarded = None;
    match model_cache::complete_entry(&cache, url).await {
        Ok(Some(blob)) => return Ok((Box::new(BlobSource::new(blob)), CacheOutcome::Hit)),
        Ok(None) => {}
        Err(model_cache::Partial { had, expected }) => {
            discarded = Some(CacheOutcome::DiscardedPartial { had, expected })
        }
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
    let total = header_u64(&response, "content-length");
    let body = response
        .body()
        .ok_or_else(|| io_error(0, 0, format!("{url} sent no body")))?;
    // One branch is written to the cache while the other is counted for the progress bar.
    let branches = body.tee();
    let to_cache: web_sys::ReadableStream = branches.get(0).unchecked_into();
    let to_count: web_sys::ReadableStream = branches.get(1).unchecked_into();
    let stored = model_cache::entry_for(&to_cache, total).map_err(|m| io_error(0, 0, m))?;
    let put = JsFuture::from(cache.put_with_str(url, &stored));
    let reader = stream_reader(&to_count).map_err(|m| io_error(0, 0, m))?;
    let mut received = 0u64;
    while let Some(chunk) = read_chunk(&reader).await.map_err(|m| {
        io_error(
            received,
            0,
            format!("the download broke off after {received} bytes: {m}"),
        )
    })? {
        received += chunk.length() as u64;
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
        Ok(_) => match model_cache::complete_entry(&cache, url).await {
            Ok(Some(blob)) => {
                return Ok((
                    Box::new(BlobSource::new(blob)),
                    discarded.unwrap_or(CacheOutcome::Stored),
                ));
            }
            Ok(None) => CacheOutcome::NotStored("the stored copy could not be read back".into()),
            Err(model_cache::Partial { had, expected }) => {
                CacheOutcome::NotStored(format!("the stored copy has {had} of {expected} bytes"))
            }
        },
        Err(e) => CacheOutcome::NotStored(format!(
            "the browser refused to store it ({}); storage may be full",
            js_error_text(&e)
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
