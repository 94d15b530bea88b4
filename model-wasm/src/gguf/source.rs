//! Random-access byte sources for GGUF files.
//!
//! `read_exact_at` is async so the browser can implement it over `fetch` with a `Range`
//! header or `File.slice()`; native sources complete immediately and are driven with
//! `pollster::block_on`.

use super::GgufError;

/// A file-like object read at absolute offsets.
#[allow(async_fn_in_trait)] // single-threaded use (wasm has no Send futures); no Send bound wanted
pub trait ByteSource {
    /// Total length in bytes.
    fn len(&self) -> u64;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes at `[offset, offset + buf.len())`.
    async fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), GgufError>;
}

fn out_of_range(offset: u64, n: usize, len: u64) -> GgufError {
    GgufError::Io {
        offset,
        end: offset.saturating_add(n as u64),
        message: format!("past the end of a {len}-byte source"),
    }
}

/// A source over bytes already in memory (tests, small models, a browser `ArrayBuffer`).
#[derive(Debug, Clone)]
pub struct MemorySource<B: AsRef<[u8]>>(pub B);

impl<B: AsRef<[u8]>> ByteSource for MemorySource<B> {
    fn len(&self) -> u64 {
        self.0.as_ref().len() as u64
    }

    async fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), GgufError> {
        let data = self.0.as_ref();
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= data.len() as u64);
        match end {
            Some(end) => {
                buf.copy_from_slice(&data[offset as usize..end as usize]);
                Ok(())
            }
            None => Err(out_of_range(offset, buf.len(), data.len() as u64)),
        }
    }
}

/// A native file read with positioned reads.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug)]
pub struct FileSource {
    file: std::fs::File,
    len: u64,
}

#[cfg(not(target_arch = "wasm32"))]
impl FileSource {
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<FileSource, GgufError> {
        let path = path.as_ref();
        let io = |e: std::io::Error| GgufError::Io {
            offset: 0,
            end: 0,
            message: format!("{}: {e}", path.display()),
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        Ok(FileSource { file, len })
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl ByteSource for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    async fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), GgufError> {
        use std::io::{Read, Seek, SeekFrom};
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|e| e > self.len)
        {
            return Err(out_of_range(offset, buf.len(), self.len));
        }
        let io = |e: std::io::Error| GgufError::Io {
            offset,
            end: offset + buf.len() as u64,
            message: e.to_string(),
        };
        self.file.seek(SeekFrom::Start(offset)).map_err(io)?;
        let n = buf.len();
        self.file.read_exact(buf).map_err(|e| GgufError::Io {
            offset,
            end: offset + n as u64,
            message: e.to_string(),
        })
    }
}
