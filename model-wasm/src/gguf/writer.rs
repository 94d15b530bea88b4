//! A small GGUF writer: builds test files in memory and streams large synthetic models to disk
//! (tensor data is produced one tensor at a time by a callback, never all at once).

use super::{Value, DEFAULT_ALIGNMENT, GGUF_MAGIC};
use crate::quant::GgmlDType;
use std::io::{self, Write};

/// A tensor to be written: its data comes from the caller when the file is streamed.
#[derive(Debug, Clone)]
pub struct TensorSpec {
    pub name: String,
    /// GGUF order (`dims[0]` = row length).
    pub dims: Vec<u64>,
    pub dtype: GgmlDType,
}

impl TensorSpec {
    pub fn n_bytes(&self) -> u64 {
        self.dtype
            .bytes_for(self.dims.iter().product())
            .expect("whole blocks")
    }
}

/// Collects metadata and tensor specs, then writes a GGUF file.
#[derive(Debug, Clone)]
pub struct GgufWriter {
    pub version: u32,
    pub alignment: u64,
    pub metadata: Vec<(String, Value)>,
    pub tensors: Vec<TensorSpec>,
}

impl Default for GgufWriter {
    fn default() -> Self {
        GgufWriter {
            version: 3,
            alignment: DEFAULT_ALIGNMENT,
            metadata: Vec::new(),
            tensors: Vec::new(),
        }
    }
}

fn write_str(w: &mut impl Write, s: &str) -> io::Result<()> {
    w.write_all(&(s.len() as u64).to_le_bytes())?;
    w.write_all(s.as_bytes())
}

fn write_value(w: &mut impl Write, v: &Value) -> io::Result<()> {
    match v {
        Value::U8(x) => w.write_all(&[*x]),
        Value::I8(x) => w.write_all(&x.to_le_bytes()),
        Value::U16(x) => w.write_all(&x.to_le_bytes()),
        Value::I16(x) => w.write_all(&x.to_le_bytes()),
        Value::U32(x) => w.write_all(&x.to_le_bytes()),
        Value::I32(x) => w.write_all(&x.to_le_bytes()),
        Value::F32(x) => w.write_all(&x.to_le_bytes()),
        Value::Bool(x) => w.write_all(&[*x as u8]),
        Value::String(s) => write_str(w, s),
        Value::U64(x) => w.write_all(&x.to_le_bytes()),
        Value::I64(x) => w.write_all(&x.to_le_bytes()),
        Value::F64(x) => w.write_all(&x.to_le_bytes()),
        Value::Array(items) => {
            // An empty array is written as an array of u8.
            let elem_ty = items.first().map_or(0, Value::type_id);
            w.write_all(&elem_ty.to_le_bytes())?;
            w.write_all(&(items.len() as u64).to_le_bytes())?;
            for item in items {
                assert_eq!(item.type_id(), elem_ty, "GGUF arrays are homogeneous");
                write_value(w, item)?;
            }
            Ok(())
        }
    }
}

impl GgufWriter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn kv(&mut self, key: &str, value: Value) -> &mut Self {
        self.metadata.push((key.to_string(), value));
        self
    }

    pub fn tensor(&mut self, name: &str, dims: &[u64], dtype: GgmlDType) -> &mut Self {
        self.tensors.push(TensorSpec {
            name: name.to_string(),
            dims: dims.to_vec(),
            dtype,
        });
        self
    }

    /// Offsets of each tensor within the data section.
    pub fn offsets(&self) -> Vec<u64> {
        let mut at = 0u64;
        self.tensors
            .iter()
            .map(|t| {
                let o = at;
                at = (at + t.n_bytes()).div_ceil(self.alignment) * self.alignment;
                o
            })
            .collect()
    }

    /// Writes the header, then each tensor's data as `data(index, spec, writer)` produces it
    /// (it must write exactly `spec.n_bytes()` bytes).
    pub fn write<W: Write>(
        &self,
        w: &mut W,
        mut data: impl FnMut(usize, &TensorSpec, &mut W) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut header = Vec::new();
        header.extend_from_slice(&GGUF_MAGIC);
        header.extend_from_slice(&self.version.to_le_bytes());
        header.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        header.extend_from_slice(&(self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            write_str(&mut header, k)?;
            header.extend_from_slice(&v.type_id().to_le_bytes());
            write_value(&mut header, v)?;
        }
        let offsets = self.offsets();
        for (t, off) in self.tensors.iter().zip(&offsets) {
            write_str(&mut header, &t.name)?;
            header.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                header.extend_from_slice(&d.to_le_bytes());
            }
            header.extend_from_slice(&t.dtype.to_u32().to_le_bytes());
            header.extend_from_slice(&off.to_le_bytes());
        }
        let pad =
            header.len().div_ceil(self.alignment as usize) * self.alignment as usize - header.len();
        header.resize(header.len() + pad, 0);
        w.write_all(&header)?;
        let mut at = 0u64;
        for (i, (t, off)) in self.tensors.iter().zip(&offsets).enumerate() {
            w.write_all(&vec![0u8; (off - at) as usize])?;
            data(i, t, w)?;
            at = off + t.n_bytes();
        }
        Ok(())
    }

    /// Builds the whole file in memory with the given tensor bytes (tests).
    #[track_caller]
    pub fn to_bytes(&self, tensor_data: &[Vec<u8>]) -> Vec<u8> {
        assert_eq!(tensor_data.len(), self.tensors.len());
        let mut out = Vec::new();
        self.write(&mut out, |i, spec, w| {
            assert_eq!(
                tensor_data[i].len() as u64,
                spec.n_bytes(),
                "tensor {} size",
                spec.name
            );
            w.write_all(&tensor_data[i])
        })
        .expect("writing to a Vec cannot fail");
        out
    }
}
