//! Streams bytes from a URL or a local file in chunks, yielding to the browser between
//! chunks so that a 200 MB file never freezes the page.

use browser_io::fetch::{header_u64, read_chunk, stream_reader};
use browser_io::js_error_text;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

/// Why a byte source could not be read.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadError {
    /// The server answered with an error status (404, 403, …).
    Http {
        url: String,
        status: u16,
        status_text: String,
    },
    /// fetch() itself failed: offline, DNS, or the server did not allow this page (CORS).
    Network { url: String, detail: String },
    /// The address is not a URL this page may fetch.
    BadUrl { url: String, detail: String },
    /// Reading the stream failed midway (connection dropped, file removed).
    Read { detail: String },
    /// The user stopped it.
    Cancelled,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Http { url, status, status_text } => {
                write!(f, "{url} answered HTTP {status} {status_text}")?;
                if *status == 404 {
                    write!(f, " (no such file)")?;
                }
                Ok(())
            }
            LoadError::Network { url, detail } => write!(
                f,
                "could not fetch {url}: the network failed or the server does not allow this page to read it (CORS). ({detail})"
            ),
            LoadError::BadUrl { url, detail } => write!(f, "\"{url}\" is not a URL that can be opened: {detail}"),
            LoadError::Read { detail } => write!(f, "reading stopped midway: {detail}"),
            LoadError::Cancelled => write!(f, "cancelled"),
        }
    }
}

/// Progress through one source: bytes read and, when known, the total.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ByteProgress {
    pub read: u64,
    pub total: Option<u64>,
}

/// Opens `url` and returns a reader over its body plus the announced length.
pub async fn open_url(url: &str) -> Result<(ReadableStreamDefaultReader, Option<u64>), LoadError> {
    let response = fetch_ok(url).await?;
    body_reader(&response)
}

/// Fetches `url` and returns its body as text (small shipped files, e.g. a source file).
pub async fn fetch_text(url: &str) -> Result<String, LoadError> {
    let response = fetch_ok(url).await?;
    let promise = response.text().map_err(|e| LoadError::Read {
        detail: js_error_text(&e),
    })?;
    let text = JsFuture::from(promise).await.map_err(|e| LoadError::Read {
        detail: js_error_text(&e),
    })?;
    text.as_string().ok_or_else(|| LoadError::Read {
        detail: "the body was not text".into(),
    })
}

/// Cache API store for data files opened by URL, so a second visit reads them locally.
pub const DATA_CACHE: &str = "afe-data-v1";

/// Like [`open_url`], but answers from the Cache API when this URL was read before, and
/// otherwise stores the response while it streams. Returns whether it came from the cache.
/// A load that stops midway leaves no entry: the cache only keeps complete bodies.
pub async fn open_url_cached(
    url: &str,
) -> Result<(ReadableStreamDefaultReader, Option<u64>, bool), LoadError> {
    let cache = match open_cache(DATA_CACHE).await {
        Some(cache) => cache,
        None => return open_url(url).await.map(|(r, t)| (r, t, false)),
    };
    if let Ok(hit) = JsFuture::from(cache.match_with_str(url)).await {
        if let Ok(response) = hit.dyn_into::<Response>() {
            let (reader, total) = body_reader(&response)?;
            return Ok((reader, total, true));
        }
    }
    let response = fetch_ok(url).await?;
    if let Ok(copy) = response.clone() {
        // Storing runs alongside our read of the original; failures only cost the cache.
        let _ = cache.put_with_str(url, &copy);
    }
    let (reader, total) = body_reader(&response)?;
    Ok((reader, total, false))
}

async fn open_cache(name: &str) -> Option<web_sys::Cache> {
    let caches = web_sys::window()?.caches().ok()?;
    JsFuture::from(caches.open(name))
        .await
        .ok()?
        .dyn_into()
        .ok()
}

async fn fetch_ok(url: &str) -> Result<Response, LoadError> {
    let window = web_sys::window().ok_or_else(|| LoadError::Read {
        detail: "no window".into(),
    })?;
    let promise = window.fetch_with_str(url);
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|e| {
            let detail = js_error_text(&e);
            if detail.contains("Failed to parse URL") || detail.contains("Invalid URL") {
                LoadError::BadUrl {
                    url: url.to_string(),
                    detail,
                }
            } else {
                LoadError::Network {
                    url: url.to_string(),
                    detail,
                }
            }
        })?
        .dyn_into()
        .map_err(|_| LoadError::Read {
            detail: "fetch did not return a Response".into(),
        })?;
    if !response.ok() {
        return Err(LoadError::Http {
            url: url.to_string(),
            status: response.status(),
            status_text: response.status_text(),
        });
    }
    Ok(response)
}

fn body_reader(
    response: &Response,
) -> Result<(ReadableStreamDefaultReader, Option<u64>), LoadError> {
    let total = header_u64(response, "content-length");
    let reader =
        browser_io::fetch::body_reader(response).map_err(|detail| LoadError::Read { detail })?;
    Ok((reader, total))
}

/// A reader over a local file the user picked or dropped.
pub fn open_file(
    file: &web_sys::File,
) -> Result<(ReadableStreamDefaultReader, Option<u64>), LoadError> {
    let reader = stream_reader(&file.stream()).map_err(|detail| LoadError::Read { detail })?;
    Ok((reader, Some(file.size() as u64)))
}

/// Reads every chunk of `reader`, handing each to `on_chunk` with the running progress.
/// Between chunks it yields to the event loop (so the page repaints and stays responsive)
/// and stops with [`LoadError::Cancelled`] when `cancelled()` becomes true.
pub async fn read_chunks(
    reader: ReadableStreamDefaultReader,
    total: Option<u64>,
    mut on_chunk: impl FnMut(&[u8], ByteProgress),
    cancelled: impl Fn() -> bool,
) -> Result<ByteProgress, LoadError> {
    let mut progress = ByteProgress { read: 0, total };
    let mut since_yield = 0usize;
    let mut buffer = Vec::new();
    loop {
        if cancelled() {
            let _ = reader.cancel();
            return Err(LoadError::Cancelled);
        }
        let chunk = read_chunk(&reader)
            .await
            .map_err(|detail| LoadError::Read { detail })?;
        let Some(array) = chunk else {
            return Ok(progress);
        };
        buffer.resize(array.length() as usize, 0);
        array.copy_to(&mut buffer);
        progress.read += buffer.len() as u64;
        on_chunk(&buffer, progress);
        since_yield += buffer.len();
        // Yield about every 1 MiB of work so progress bars paint and input stays live.
        if since_yield >= 1 << 20 {
            since_yield = 0;
            gloo::timers::future::TimeoutFuture::new(0).await;
        }
    }
}
