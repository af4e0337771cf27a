//! `staged(token)`: a DuckDB table function over the typed Arrow batches an ingest built, so the
//! snapshot SQL in queries/ingest/ reads them straight from memory. It scans on every DuckDB
//! thread and converts only the columns a query uses; copying the batches into temporary tables
//! first cost about a second per million users.

use std::collections::HashMap;
use std::error::Error;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::vtab::{
    record_batch_to_duckdb_data_chunk, to_duckdb_logical_type_for_field, BindInfo, InitInfo,
    TableFunctionInfo, VTab,
};

/// The SQL name of the function.
pub const NAME: &str = "staged";

/// Rows per output chunk: DuckDB's standard vector size, which the bundled build keeps.
const CHUNK_ROWS: usize = 2048;

struct Batches {
    schema: SchemaRef,
    batches: Arc<[RecordBatch]>,
}

// Table functions are registered per database without a way to pass Rust values at call time, so
// batches are found by a token bound as the function's parameter. The registration owns the entry.
static REGISTRY: LazyLock<Mutex<HashMap<u64, Batches>>> = LazyLock::new(Default::default);
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

fn registry() -> std::sync::MutexGuard<'static, HashMap<u64, Batches>> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Batches readable as `staged(token)` while this value lives.
pub struct Registration {
    token: u64,
}

impl Registration {
    /// The first batch gives the columns, so an empty export is staged as one empty batch.
    pub fn new(batches: &[RecordBatch]) -> Registration {
        let schema = batches
            .first()
            .expect("ingest stages at least one batch per export")
            .schema();
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        registry().insert(
            token,
            Batches {
                schema,
                batches: batches.into(),
            },
        );
        Registration { token }
    }

    /// The value to bind as the function's parameter.
    pub fn token(&self) -> u64 {
        self.token
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        registry().remove(&self.token);
    }
}

pub struct StagedScan;

pub struct Bound {
    batches: Arc<[RecordBatch]>,
    /// (batch, first row, rows): the units of work the scan threads claim in turn.
    chunks: Vec<(usize, usize, usize)>,
}

pub struct Scan {
    next: AtomicUsize,
    columns: Vec<usize>,
}

impl VTab for StagedScan {
    type BindData = Bound;
    type InitData = Scan;

    fn bind(bind: &BindInfo) -> Result<Bound, Box<dyn Error>> {
        let token = bind.get_parameter(0).to_uint64();
        let reg = registry();
        let staged = reg
            .get(&token)
            .ok_or_else(|| format!("{NAME}({token}): no batches are staged under this token"))?;
        for field in staged.schema.fields() {
            bind.add_result_column(field.name(), to_duckdb_logical_type_for_field(field)?);
        }
        let mut chunks = Vec::new();
        for (b, batch) in staged.batches.iter().enumerate() {
            for start in (0..batch.num_rows()).step_by(CHUNK_ROWS) {
                chunks.push((b, start, CHUNK_ROWS.min(batch.num_rows() - start)));
            }
        }
        let rows: usize = staged.batches.iter().map(RecordBatch::num_rows).sum();
        bind.set_cardinality(rows as u64, true);
        Ok(Bound {
            batches: staged.batches.clone(),
            chunks,
        })
    }

    fn init(init: &InitInfo) -> Result<Scan, Box<dyn Error>> {
        // Every chunk is independent, so any number of threads may scan; DuckDB caps it.
        init.set_max_threads(u64::MAX);
        Ok(Scan {
            next: AtomicUsize::new(0),
            columns: init
                .get_column_indices()
                .into_iter()
                .map(|i| i as usize)
                .collect(),
        })
    }

    fn func(
        info: &TableFunctionInfo<Self>,
        output: &mut DataChunkHandle,
    ) -> Result<(), Box<dyn Error>> {
        let bound = info.get_bind_data();
        let scan = info.get_init_data();
        let Some(&(b, start, rows)) = bound.chunks.get(scan.next.fetch_add(1, Ordering::Relaxed))
        else {
            output.set_len(0);
            return Ok(());
        };
        let batch = &bound.batches[b];
        if let Some(bad) = scan.columns.iter().find(|c| **c >= batch.num_columns()) {
            return Err(format!("{NAME}: column {bad} is not a staged column").into());
        }
        let chunk = batch.slice(start, rows).project(&scan.columns)?;
        record_batch_to_duckdb_data_chunk(&chunk, output)
    }

    fn supports_pushdown() -> bool {
        true
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![LogicalTypeHandle::from(LogicalTypeId::UBigint)])
    }
}
