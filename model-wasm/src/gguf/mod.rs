//! A bounded, incremental GGUF (v2, v3) reader.
//!
//! The header (metadata + tensor infos) is parsed from a prefix of the file that grows on
//! demand, so a browser can fetch a few MiB instead of the model. Every count and length is
//! checked against the bytes left in the file and against the named caps below *before*
//! anything is allocated: a hostile or truncated file is a [`GgufError`], never a panic or a
//! giant allocation. Tensor data is read later, in pieces, through a [`ByteSource`].
//!
//! Dimensions are kept in GGUF order: `dims[0]` is ggml's `ne0`, the contiguous row length.

pub mod source;
pub mod synthetic;
pub mod writer;

use crate::quant::GgmlDType;
use std::collections::BTreeMap;

#[cfg(not(target_arch = "wasm32"))]
pub use source::FileSource;
pub use source::{ByteSource, MemorySource};

/// `GGUF` as stored at byte 0.
pub const GGUF_MAGIC: [u8; 4] = *b"GGUF";
/// Default `general.alignment` for the tensor data section.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// Longest string (key or value) accepted; chat templates and merges are far below this.
pub const MAX_STRING_LEN: u64 = 16 << 20;
/// Most elements in one metadata array (a 256k-token vocabulary fits easily).
pub const MAX_ARRAY_LEN: u64 = 16 << 20;
/// Most array elements in the whole header, all arrays together. Each element is decoded into
/// a [`Value`] of 32 bytes (16 on wasm32) even when it took 1 byte in the file, so without this
/// a 256 MiB header of u8 arrays would ask for 8 GiB. Real vocabularies (tokens + scores +
/// types + merges of a 256k-token model) stay under 1.5M.
pub const MAX_TOTAL_VALUES: u64 = 1 << 22;
/// Deepest nesting of arrays inside arrays.
pub const MAX_VALUE_DEPTH: usize = 8;
/// Most metadata key/value pairs.
pub const MAX_KV_COUNT: u64 = 1 << 16;
/// Most tensors (a 70B model has well under 1000).
pub const MAX_TENSOR_COUNT: u64 = 1 << 16;
/// Most dimensions of one tensor (ggml's `GGML_MAX_DIMS`).
pub const MAX_TENSOR_DIMS: u32 = 4;
/// Largest header (everything before the tensor data) the incremental reader will fetch.
pub const MAX_HEADER_BYTES: u64 = 256 << 20;
/// First fetch when reading a header; doubled until the header fits.
pub const INITIAL_HEADER_FETCH: u64 = 4 << 20;

/// Everything that can be wrong with a GGUF file or its source.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GgufError {
    // === framing ===
    #[error("not a GGUF file: magic bytes are {0:?}, expected \"GGUF\"")]
    BadMagic([u8; 4]),
    #[error("unsupported GGUF version {0} (this reader handles 2 and 3)")]
    UnsupportedVersion(u32),
    #[error(
        "file truncated at byte {at}: {what} needs {needed} more bytes, the file has {available}"
    )]
    Truncated {
        at: u64,
        what: String,
        needed: u64,
        available: u64,
    },
    #[error("GGUF header is larger than {MAX_HEADER_BYTES} bytes")]
    HeaderTooLarge,
    // === metadata ===
    #[error("metadata key/value count {0} exceeds the cap of {MAX_KV_COUNT}")]
    TooManyKeys(u64),
    #[error("string of {len} bytes at byte {at} exceeds the cap of {MAX_STRING_LEN}")]
    StringTooLong { at: u64, len: u64 },
    #[error("string at byte {at} is not valid UTF-8")]
    BadUtf8 { at: u64 },
    #[error("array of {len} elements at byte {at} exceeds the cap of {MAX_ARRAY_LEN}")]
    ArrayTooLong { at: u64, len: u64 },
    #[error(
        "metadata arrays hold more than {MAX_TOTAL_VALUES} elements in all (array at byte {at})"
    )]
    TooManyValues { at: u64 },
    #[error("arrays nested deeper than {MAX_VALUE_DEPTH} at byte {at}")]
    TooDeep { at: u64 },
    #[error("unknown metadata value type {ty} at byte {at}")]
    UnknownValueType { at: u64, ty: u32 },
    #[error("duplicate metadata key {0:?}")]
    DuplicateKey(String),
    #[error("metadata key {0:?} is missing")]
    MissingKey(String),
    #[error("metadata key {key:?} has type {got}, expected {expected}")]
    WrongType {
        key: String,
        expected: &'static str,
        got: &'static str,
    },
    #[error("general.alignment {0} is not a non-zero power of two")]
    BadAlignment(u64),
    // === tensor infos ===
    #[error("tensor count {0} exceeds the cap of {MAX_TENSOR_COUNT}")]
    TooManyTensors(u64),
    #[error("tensor {name:?} has {n_dims} dimensions; at most {MAX_TENSOR_DIMS} are allowed")]
    TooManyDims { name: String, n_dims: u32 },
    #[error("tensor {name:?} has unknown ggml type {ty}")]
    UnknownGgmlType { name: String, ty: u32 },
    #[error("tensor {name:?}: the product of dimensions {dims:?} overflows")]
    DimOverflow { name: String, dims: Vec<u64> },
    #[error(
        "tensor {name:?}: row length {ne0} is not a multiple of the {dtype} block size {block}"
    )]
    PartialBlock {
        name: String,
        ne0: u64,
        dtype: GgmlDType,
        block: u64,
    },
    #[error(
        "tensor {name:?}: data offset {offset} is not a multiple of the alignment {alignment}"
    )]
    Misaligned {
        name: String,
        offset: u64,
        alignment: u64,
    },
    #[error("tensor {name:?}: data [{offset}, {end}) runs past the end of the data section ({data_len} bytes)")]
    TensorPastEnd {
        name: String,
        offset: u64,
        end: u64,
        data_len: u64,
    },
    #[error("duplicate tensor name {0:?}")]
    DuplicateTensor(String),
    #[error("no tensor named {0:?}")]
    MissingTensor(String),
    // === source ===
    #[error("reading bytes [{offset}, {end}) failed: {message}")]
    Io {
        offset: u64,
        end: u64,
        message: String,
    },
}

/// A metadata value. Arrays may nest (up to [`MAX_VALUE_DEPTH`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    Array(Vec<Value>),
    U64(u64),
    I64(i64),
    F64(f64),
}

/// GGUF value type ids.
mod vt {
    pub const U8: u32 = 0;
    pub const I8: u32 = 1;
    pub const U16: u32 = 2;
    pub const I16: u32 = 3;
    pub const U32: u32 = 4;
    pub const I32: u32 = 5;
    pub const F32: u32 = 6;
    pub const BOOL: u32 = 7;
    pub const STRING: u32 = 8;
    pub const ARRAY: u32 = 9;
    pub const U64: u32 = 10;
    pub const I64: u32 = 11;
    pub const F64: u32 = 12;
}

impl Value {
    /// The GGUF value type id.
    pub fn type_id(&self) -> u32 {
        match self {
            Value::U8(_) => vt::U8,
            Value::I8(_) => vt::I8,
            Value::U16(_) => vt::U16,
            Value::I16(_) => vt::I16,
            Value::U32(_) => vt::U32,
            Value::I32(_) => vt::I32,
            Value::F32(_) => vt::F32,
            Value::Bool(_) => vt::BOOL,
            Value::String(_) => vt::STRING,
            Value::Array(_) => vt::ARRAY,
            Value::U64(_) => vt::U64,
            Value::I64(_) => vt::I64,
            Value::F64(_) => vt::F64,
        }
    }

    /// A short type name for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::U8(_) => "u8",
            Value::I8(_) => "i8",
            Value::U16(_) => "u16",
            Value::I16(_) => "i16",
            Value::U32(_) => "u32",
            Value::I32(_) => "i32",
            Value::F32(_) => "f32",
            Value::Bool(_) => "bool",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::U64(_) => "u64",
            Value::I64(_) => "i64",
            Value::F64(_) => "f64",
        }
    }

    /// Any non-negative integer value as u64.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v.into()),
            Value::U16(v) => Some(v.into()),
            Value::U32(v) => Some(v.into()),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// Any numeric value as f64.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v.into()),
            Value::F64(v) => Some(v),
            _ => self.as_u64().map(|v| v as f64).or(match *self {
                Value::I8(v) => Some(v.into()),
                Value::I16(v) => Some(v.into()),
                Value::I32(v) => Some(v.into()),
                Value::I64(v) => Some(v as f64),
                _ => None,
            }),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// Where one tensor's bytes are and how to read them.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    /// GGUF order: `dims[0]` (ggml `ne0`) is the contiguous row length.
    pub dims: Vec<u64>,
    pub dtype: GgmlDType,
    /// Offset from the start of the tensor data section.
    pub offset: u64,
    /// Bytes of tensor data (validated not to overflow).
    pub n_bytes: u64,
}

impl TensorInfo {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }
    /// Row length (ne0) and number of rows (product of the other dims).
    pub fn rows_cols(&self) -> (u64, u64) {
        let cols = self.dims.first().copied().unwrap_or(1);
        (self.n_elements() / cols.max(1), cols)
    }
}

/// A parsed GGUF header.
#[derive(Debug, Clone)]
pub struct Content {
    pub version: u32,
    pub metadata: BTreeMap<String, Value>,
    pub tensor_infos: Vec<TensorInfo>,
    pub alignment: u64,
    /// Absolute file offset of the tensor data section.
    pub data_offset: u64,
    /// Total file length.
    pub file_len: u64,
}

impl Content {
    /// Parses the header from the start of `bytes`, the whole file being `file_len` bytes.
    /// If the header needs more than `bytes` holds but the file is long enough, returns
    /// `Err(NeedMore(n))` with the prefix length to try next.
    fn parse_prefix(bytes: &[u8], file_len: u64) -> Result<Content, ParseStop> {
        let mut c = Cursor {
            buf: bytes,
            pos: 0,
            file_len,
            values: 0,
        };
        let magic: [u8; 4] = c.take(4, "magic")?.try_into().expect("4 bytes");
        if magic != GGUF_MAGIC {
            return Err(GgufError::BadMagic(magic).into());
        }
        let version = c.u32("version")?;
        if !(2..=3).contains(&version) {
            return Err(GgufError::UnsupportedVersion(version).into());
        }
        let n_tensors = c.u64("tensor count")?;
        if n_tensors > MAX_TENSOR_COUNT {
            return Err(GgufError::TooManyTensors(n_tensors).into());
        }
        let n_kv = c.u64("metadata count")?;
        if n_kv > MAX_KV_COUNT {
            return Err(GgufError::TooManyKeys(n_kv).into());
        }
        // Each key/value takes at least 8 (key len) + 4 (type) + 1 bytes.
        c.check_count(n_kv, 13, "metadata entries")?;
        let mut metadata = BTreeMap::new();
        for _ in 0..n_kv {
            let key = c.string("metadata key")?;
            let ty = c.u32("value type")?;
            let value = c.value(ty, 0)?;
            if metadata.insert(key.clone(), value).is_some() {
                return Err(GgufError::DuplicateKey(key).into());
            }
        }
        let alignment = match metadata.get("general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some(v) => {
                let a = v.as_u64().unwrap_or(0);
                if a == 0 || !a.is_power_of_two() {
                    return Err(GgufError::BadAlignment(a).into());
                }
                a
            }
        };
        // name (>= 8) + n_dims (4) + type (4) + offset (8).
        c.check_count(n_tensors, 24, "tensor infos")?;
        let mut tensor_infos = Vec::with_capacity(n_tensors as usize);
        let mut names = std::collections::HashSet::new();
        for _ in 0..n_tensors {
            let name = c.string("tensor name")?;
            let n_dims = c.u32("tensor dimension count")?;
            if n_dims > MAX_TENSOR_DIMS {
                return Err(GgufError::TooManyDims { name, n_dims }.into());
            }
            let mut dims = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                dims.push(c.u64("tensor dimension")?);
            }
            let ty = c.u32("tensor type")?;
            let offset = c.u64("tensor offset")?;
            let dtype = GgmlDType::from_u32(ty).ok_or_else(|| GgufError::UnknownGgmlType {
                name: name.clone(),
                ty,
            })?;
            let n_elements = dims
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d))
                .ok_or_else(|| GgufError::DimOverflow {
                    name: name.clone(),
                    dims: dims.clone(),
                })?;
            let ne0 = dims.first().copied().unwrap_or(1);
            if ne0 % dtype.block_size() != 0 {
                return Err(GgufError::PartialBlock {
                    name,
                    ne0,
                    dtype,
                    block: dtype.block_size(),
                }
                .into());
            }
            let n_bytes = dtype
                .bytes_for(n_elements)
                .ok_or_else(|| GgufError::DimOverflow {
                    name: name.clone(),
                    dims: dims.clone(),
                })?;
            if offset % alignment != 0 {
                return Err(GgufError::Misaligned {
                    name,
                    offset,
                    alignment,
                }
                .into());
            }
            if !names.insert(name.clone()) {
                return Err(GgufError::DuplicateTensor(name).into());
            }
            tensor_infos.push(TensorInfo {
                name,
                dims,
                dtype,
                offset,
                n_bytes,
            });
        }
        let data_offset = c.pos.div_ceil(alignment) * alignment;
        let data_len = file_len.saturating_sub(data_offset);
        for t in &tensor_infos {
            let end = t.offset.saturating_add(t.n_bytes);
            if end > data_len {
                return Err(GgufError::TensorPastEnd {
                    name: t.name.clone(),
                    offset: t.offset,
                    end,
                    data_len,
                }
                .into());
            }
        }
        Ok(Content {
            version,
            metadata,
            tensor_infos,
            alignment,
            data_offset,
            file_len,
        })
    }

    /// Parses a GGUF header held entirely in memory.
    pub fn from_bytes(bytes: &[u8]) -> Result<Content, GgufError> {
        match Self::parse_prefix(bytes, bytes.len() as u64) {
            Ok(c) => Ok(c),
            Err(ParseStop::Error(e)) => Err(e),
            Err(ParseStop::NeedMore(_)) => unreachable!("the whole file was given"),
        }
    }

    /// Reads the header from `source`, fetching a growing prefix (never more than
    /// [`MAX_HEADER_BYTES`]) until it parses.
    pub async fn read<S: ByteSource>(source: &mut S) -> Result<Content, GgufError> {
        let file_len = source.len();
        let mut want = INITIAL_HEADER_FETCH.min(file_len);
        let mut buf: Vec<u8> = Vec::new();
        loop {
            if (buf.len() as u64) < want {
                let start = buf.len() as u64;
                buf.resize(want as usize, 0);
                source
                    .read_exact_at(start, &mut buf[start as usize..])
                    .await?;
            }
            match Self::parse_prefix(&buf, file_len) {
                Ok(c) => return Ok(c),
                Err(ParseStop::Error(e)) => return Err(e),
                Err(ParseStop::NeedMore(n)) => {
                    let next = (want * 2).max(n).min(file_len);
                    if next > MAX_HEADER_BYTES {
                        return Err(GgufError::HeaderTooLarge);
                    }
                    want = next;
                }
            }
        }
    }

    pub fn tensor(&self, name: &str) -> Result<&TensorInfo, GgufError> {
        self.tensor_infos
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| GgufError::MissingTensor(name.to_string()))
    }

    pub fn get(&self, key: &str) -> Result<&Value, GgufError> {
        self.metadata
            .get(key)
            .ok_or_else(|| GgufError::MissingKey(key.to_string()))
    }

    fn wrong(&self, key: &str, expected: &'static str) -> GgufError {
        let got = self.metadata.get(key).map_or("missing", Value::type_name);
        GgufError::WrongType {
            key: key.to_string(),
            expected,
            got,
        }
    }

    pub fn get_u64(&self, key: &str) -> Result<u64, GgufError> {
        self.get(key)?
            .as_u64()
            .ok_or_else(|| self.wrong(key, "unsigned integer"))
    }

    pub fn get_f32(&self, key: &str) -> Result<f32, GgufError> {
        self.get(key)?
            .as_f64()
            .map(|v| v as f32)
            .ok_or_else(|| self.wrong(key, "number"))
    }

    pub fn get_str(&self, key: &str) -> Result<&str, GgufError> {
        self.get(key)?
            .as_str()
            .ok_or_else(|| self.wrong(key, "string"))
    }

    pub fn get_bool(&self, key: &str) -> Result<bool, GgufError> {
        self.get(key)?
            .as_bool()
            .ok_or_else(|| self.wrong(key, "bool"))
    }

    pub fn get_array(&self, key: &str) -> Result<&[Value], GgufError> {
        self.get(key)?
            .as_array()
            .ok_or_else(|| self.wrong(key, "array"))
    }

    /// Reads one tensor's bytes in pieces of at most `chunk` bytes, handing each piece and its
    /// offset within the tensor to `sink` (e.g. `queue.write_buffer`). The tensor is never
    /// held whole in memory.
    pub async fn read_tensor_chunked<S: ByteSource>(
        &self,
        source: &mut S,
        info: &TensorInfo,
        chunk: usize,
        mut sink: impl FnMut(u64, &[u8]),
    ) -> Result<(), GgufError> {
        let chunk = chunk.max(4) & !3;
        let mut buf = vec![0u8; chunk.min(info.n_bytes as usize)];
        let mut done = 0u64;
        while done < info.n_bytes {
            let n = ((info.n_bytes - done) as usize).min(chunk);
            source
                .read_exact_at(self.data_offset + info.offset + done, &mut buf[..n])
                .await?;
            sink(done, &buf[..n]);
            done += n as u64;
        }
        Ok(())
    }

    /// Reads one tensor whole (for small tensors and tests).
    pub async fn read_tensor<S: ByteSource>(
        &self,
        source: &mut S,
        info: &TensorInfo,
    ) -> Result<Vec<u8>, GgufError> {
        if info.n_bytes == 0 {
            // A zero-element tensor may sit at a data section that starts past the end of the
            // file (no padding after the header): there is nothing to read.
            return Ok(Vec::new());
        }
        let mut out = vec![0u8; info.n_bytes as usize];
        source
            .read_exact_at(self.data_offset + info.offset, &mut out)
            .await?;
        Ok(out)
    }
}

/// Why parsing a prefix stopped.
enum ParseStop {
    Error(GgufError),
    /// The header continues past the prefix; retry with at least this many bytes.
    NeedMore(u64),
}

impl From<GgufError> for ParseStop {
    fn from(e: GgufError) -> Self {
        ParseStop::Error(e)
    }
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: u64,
    file_len: u64,
    /// Array elements decoded so far (bounded by [`MAX_TOTAL_VALUES`]).
    values: u64,
}

impl<'a> Cursor<'a> {
    /// Fails if `n` bytes are not left in the file; asks for more if they are not in `buf`.
    fn ensure(&self, n: u64, what: &str) -> Result<(), ParseStop> {
        let available = self.file_len.saturating_sub(self.pos);
        if n > available {
            return Err(GgufError::Truncated {
                at: self.pos,
                what: what.to_string(),
                needed: n,
                available,
            }
            .into());
        }
        let end = self.pos + n;
        if end > self.buf.len() as u64 {
            return Err(ParseStop::NeedMore(end));
        }
        Ok(())
    }

    /// Checks that `count` items of at least `min_size` bytes can fit in the rest of the file.
    fn check_count(&self, count: u64, min_size: u64, what: &str) -> Result<(), ParseStop> {
        let available = self.file_len.saturating_sub(self.pos);
        match count.checked_mul(min_size) {
            Some(n) if n <= available => Ok(()),
            _ => Err(GgufError::Truncated {
                at: self.pos,
                what: format!("{count} {what}"),
                needed: count.saturating_mul(min_size),
                available,
            }
            .into()),
        }
    }

    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], ParseStop> {
        self.ensure(n, what)?;
        let s = &self.buf[self.pos as usize..(self.pos + n) as usize];
        self.pos += n;
        Ok(s)
    }

    fn arr<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ParseStop> {
        Ok(self.take(N as u64, what)?.try_into().expect("N bytes"))
    }

    fn u32(&mut self, what: &str) -> Result<u32, ParseStop> {
        Ok(u32::from_le_bytes(self.arr(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, ParseStop> {
        Ok(u64::from_le_bytes(self.arr(what)?))
    }

    fn string(&mut self, what: &str) -> Result<String, ParseStop> {
        let at = self.pos;
        let len = self.u64(what)?;
        if len > MAX_STRING_LEN {
            return Err(GgufError::StringTooLong { at, len }.into());
        }
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| GgufError::BadUtf8 { at }.into())
    }

    /// Smallest encoded size of one value of type `ty` (for bounding array lengths).
    fn min_size(ty: u32) -> u64 {
        match ty {
            vt::U8 | vt::I8 | vt::BOOL => 1,
            vt::U16 | vt::I16 => 2,
            vt::U32 | vt::I32 | vt::F32 => 4,
            vt::U64 | vt::I64 | vt::F64 | vt::STRING => 8,
            _ => 12, // array: type + count
        }
    }

    fn value(&mut self, ty: u32, depth: usize) -> Result<Value, ParseStop> {
        Ok(match ty {
            vt::U8 => Value::U8(self.arr::<1>("u8")?[0]),
            vt::I8 => Value::I8(self.arr::<1>("i8")?[0] as i8),
            vt::U16 => Value::U16(u16::from_le_bytes(self.arr("u16")?)),
            vt::I16 => Value::I16(i16::from_le_bytes(self.arr("i16")?)),
            vt::U32 => Value::U32(self.u32("u32")?),
            vt::I32 => Value::I32(i32::from_le_bytes(self.arr("i32")?)),
            vt::F32 => Value::F32(f32::from_le_bytes(self.arr("f32")?)),
            vt::BOOL => Value::Bool(self.arr::<1>("bool")?[0] != 0),
            vt::STRING => Value::String(self.string("string value")?),
            vt::U64 => Value::U64(self.u64("u64")?),
            vt::I64 => Value::I64(i64::from_le_bytes(self.arr("i64")?)),
            vt::F64 => Value::F64(f64::from_le_bytes(self.arr("f64")?)),
            vt::ARRAY => {
                let at = self.pos;
                if depth >= MAX_VALUE_DEPTH {
                    return Err(GgufError::TooDeep { at }.into());
                }
                let elem_ty = self.u32("array element type")?;
                if elem_ty > vt::F64 {
                    return Err(GgufError::UnknownValueType { at, ty: elem_ty }.into());
                }
                let len = self.u64("array length")?;
                if len > MAX_ARRAY_LEN {
                    return Err(GgufError::ArrayTooLong { at, len }.into());
                }
                self.check_count(len, Self::min_size(elem_ty), "array elements")?;
                self.values = self.values.saturating_add(len);
                if self.values > MAX_TOTAL_VALUES {
                    return Err(GgufError::TooManyValues { at }.into());
                }
                let mut items = Vec::with_capacity(len as usize);
                for _ in 0..len {
                    items.push(self.value(elem_ty, depth + 1)?);
                }
                Value::Array(items)
            }
            other => {
                return Err(GgufError::UnknownValueType {
                    at: self.pos - 4,
                    ty: other,
                }
                .into())
            }
        })
    }
}
