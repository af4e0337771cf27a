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
pub(crate) const NAME: &str = "staged";

/// Rows per output chunk: DuckDB's standard vector size (STANDARD_VECTOR_SIZE), which the bundled
/// build keeps. Were it smaller, duckdb-rs's copy into the chunk would fail an assertion (an
/// error for the query), not write past the chunk.
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
pub(crate) struct Registration {
    token: u64,
}

impl Registration {
    /// The first batch gives the columns, so an empty export is staged as one empty batch.
    pub(crate) fn new(batches: &[RecordBatch]) -> Registration {
        let schema = batches
            .first()
            .expect("ingest stages at least one batch per export")
            .schema();
        // The scan copies by the Arrow type of each batch into columns typed from the first:
        // a batch of another shape must never get that far.
        assert!(
            batches.iter().all(|b| b.schema() == schema),
            "staged batches must share one schema"
        );
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
    pub(crate) fn token(&self) -> u64 {
        self.token
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        registry().remove(&self.token);
    }
}

pub(crate) struct StagedScan;

pub(crate) struct Bound {
    batches: Arc<[RecordBatch]>,
    /// (batch, first row, rows): the units of work the scan threads claim in turn.
    chunks: Vec<(usize, usize, usize)>,
}

pub(crate) struct Scan {
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

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::arrow::array::{Int64Array, StringArray};
    use duckdb::arrow::datatypes::{DataType, Field, Schema};
    use duckdb::Connection;

    /// Rows `from..to`: n, and s = "row n".
    fn batch(from: i64, to: i64) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
        ]);
        let n: Vec<i64> = (from..to).collect();
        let s: Vec<String> = n.iter().map(|i| format!("row {i}")).collect();
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Int64Array::from(n)),
                Arc::new(StringArray::from(s)),
            ],
        )
        .unwrap()
    }

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("SET threads = 2").unwrap();
        c.register_table_function::<StagedScan>(NAME).unwrap();
        c
    }

    #[test]
    fn every_row_of_every_batch_once_on_several_threads() {
        let c = conn();
        // Batches of uneven sizes, crossing the 2,048-row chunks, and one empty.
        let reg = Registration::new(&[batch(0, 5000), batch(5000, 5000), batch(5000, 7001)]);
        let (rows, sum, distinct): (i64, i64, i64) = c
            .query_row(
                "SELECT count(*), sum(n), count(DISTINCT s) FROM staged(?)",
                [reg.token()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((rows, sum, distinct), (7001, 7000 * 7001 / 2, 7001));
    }

    #[test]
    fn a_query_gets_only_the_columns_it_names() {
        let c = conn();
        let reg = Registration::new(&[batch(0, 3000)]);
        let picked: Vec<String> = c
            .prepare("SELECT s FROM staged(?) WHERE n % 1000 = 999 ORDER BY n")
            .unwrap()
            .query_map([reg.token()], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(picked, ["row 999", "row 1999", "row 2999"]);
        let plan: String = c
            .prepare("EXPLAIN SELECT s FROM staged(?)")
            .unwrap()
            .query_map([reg.token()], |r| r.get::<_, String>(1))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
            .concat();
        // With projection pushdown the scan itself produces only `s`.
        let projected = plan
            .split("Projections:")
            .nth(1)
            .and_then(|rest| rest.split('│').next())
            .map(str::trim);
        assert_eq!(projected, Some("s"), "{plan}");
    }

    #[test]
    fn counts_and_an_empty_batch() {
        let c = conn();
        // count(*) still scans a column (DuckDB asks for the first), and an empty batch still
        // names its columns.
        for (batches, sql, want) in [
            (vec![batch(0, 0)], "SELECT count(s) FROM staged(?)", 0),
            (vec![batch(0, 4100)], "SELECT count(*) FROM staged(?)", 4100),
        ] {
            let reg = Registration::new(&batches);
            let n: i64 = c.query_row(sql, [reg.token()], |r| r.get(0)).unwrap();
            assert_eq!(n, want, "{sql}");
        }
    }

    #[test]
    #[should_panic(expected = "share one schema")]
    fn batches_of_another_shape_are_refused() {
        let other = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("n", DataType::Utf8, false)])),
            vec![Arc::new(StringArray::from(vec!["not a number"]))],
        )
        .unwrap();
        let _ = Registration::new(&[batch(0, 1), other]);
    }

    #[test]
    fn a_dropped_registration_cannot_be_read() {
        let c = conn();
        let token = Registration::new(&[batch(0, 10)]).token();
        let err = c
            .query_row("SELECT count(*) FROM staged(?)", [token], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no batches are staged under this token"),
            "{err}"
        );
    }
}
