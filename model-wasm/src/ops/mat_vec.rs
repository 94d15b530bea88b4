//! `y = W x` for one token (decode): one workgroup per group of output rows, `threads_per_row`
//! threads cooperating on each row (mat_vec.wgsl).

use super::launch::{Launch, PipelineKey};
use super::{grid_2d, kernel_block, shader, Dispatch, Kernels, WeightResource, MAT_VEC_WG};
use crate::gpu::Gpu;
use crate::quant::GgmlDType;

/// The `mat_vec.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MatVecParams {
    pub rows: u32,
    pub cols: u32,
    pub row_bytes: u32,
    pub grid_x: u32,
    pub accumulate: u32,
    pub y_row0: u32,
    pub _pad: [u32; 2],
}

/// Where a matrix kernel's output rows go: `first`.. in rows of `stride` values (a tensor split
/// into row parts writes each part's range of the whole output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutRows {
    pub first: u32,
    pub stride: u32,
}

impl OutRows {
    /// The whole output of a `rows`-row matrix.
    pub fn all(rows: u32) -> OutRows {
        OutRows {
            first: 0,
            stride: rows,
        }
    }
}

/// One matrix product, `y = W x` per token row (`y += W x` with `accumulate`, which fuses the
/// residual add): W is `rows x cols` of `dtype` in GGUF layout, x rows of `cols`, y rows laid
/// out as `out` says.
#[derive(Clone, Copy)]
pub struct MatMul<'a> {
    pub dtype: GgmlDType,
    pub w: &'a WeightResource,
    pub x: &'a wgpu::Buffer,
    pub y: &'a wgpu::Buffer,
    pub rows: u32,
    pub cols: u32,
    pub accumulate: bool,
    pub out: OutRows,
}

impl<'a> MatMul<'a> {
    /// `y = W x` into the whole of `y`.
    pub fn new(
        dtype: GgmlDType,
        w: &'a WeightResource,
        x: &'a wgpu::Buffer,
        y: &'a wgpu::Buffer,
        rows: u32,
        cols: u32,
    ) -> MatMul<'a> {
        MatMul {
            dtype,
            w,
            x,
            y,
            rows,
            cols,
            accumulate: false,
            out: OutRows::all(rows),
        }
    }

    /// Adds to `y` instead of overwriting it.
    pub fn accumulate(self, accumulate: bool) -> MatMul<'a> {
        MatMul { accumulate, ..self }
    }

    /// Writes `out`'s rows of `y`.
    pub fn out(self, out: OutRows) -> MatMul<'a> {
        MatMul { out, ..self }
    }

    /// Bytes per weight row.
    #[track_caller]
    pub(crate) fn row_bytes(&self, op: &str) -> u32 {
        row_bytes(op, self.dtype, self.cols)
    }
}

/// Bytes per row of `cols` values of `dtype`, which must be whole blocks of the type.
#[track_caller]
pub(crate) fn row_bytes(op: &str, dtype: GgmlDType, cols: u32) -> u32 {
    let (elems, bytes, _) = kernel_block(dtype);
    assert!(
        cols.is_multiple_of(elems),
        "{op}: cols {cols} is not a multiple of the {dtype} block ({elems})"
    );
    cols / elems * bytes
}

impl Kernels {
    /// `m.y[m.out.first..][..m.rows] (+)= W x` for one token.
    #[track_caller]
    pub fn mat_vec(&self, gpu: &Gpu, m: MatMul<'_>) -> Dispatch {
        let row_bytes = m.row_bytes("mat_vec");
        let tpr = self.geometry.threads_per_row;
        let (gx, gy) = grid_2d(m.rows.div_ceil(MAT_VEC_WG / tpr));
        let params = MatVecParams {
            rows: m.rows,
            cols: m.cols,
            row_bytes,
            grid_x: gx,
            accumulate: m.accumulate as u32,
            y_row0: m.out.first,
            _pad: [0; 2],
        };
        let key = PipelineKey::MatVec { dtype: m.dtype };
        let pipeline = self.weight_pipeline(
            gpu,
            key,
            m.dtype,
            tpr,
            || shader::source::MAT_VEC.to_string(),
            "mat_vec",
        );
        Launch::new(key.label(), &pipeline)
            .weights(m.w, self.geometry.weights_in_textures)
            .buffers(&[m.x, m.y])
            .params(gpu, &params)
            .dispatch(gpu, [gx, gy, 1])
    }
}
