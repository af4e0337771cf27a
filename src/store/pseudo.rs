//! The pseudonyms of [`crate::pseudo`] as DuckDB scalar functions, so the users list is
//! pseudonymised inside the statement that streams it (CSV, JSON and DuckDB's own Parquet
//! writer alike) and sorted by the pseudonyms, never by the real names:
//! `rollcall_pseudo_email(email_key)` and `rollcall_pseudo_name(email_key)`. The key travels
//! as the functions' state; they exist only on a database a key was loaded for.

use std::error::Error;
use std::sync::Arc;

use duckdb::core::{DataChunkHandle, Inserter, LogicalTypeId};
use duckdb::types::DuckString;
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::Connection;

use crate::pseudo::Key;

/// The SQL names (`queries/read/users_pseudonymized.sql` calls them).
pub(crate) const EMAIL_FN: &str = "rollcall_pseudo_email";
pub(crate) const NAME_FN: &str = "rollcall_pseudo_name";

/// One VARCHAR in (an email key), one VARCHAR out; NULL stays NULL.
fn map_keys(
    input: &mut DataChunkHandle,
    output: &mut dyn WritableVector,
    f: impl Fn(&str) -> String,
) -> Result<(), Box<dyn Error>> {
    let rows = input.len();
    let keys = input.flat_vector(0);
    let cells = unsafe { keys.as_slice_with_len::<duckdb::ffi::duckdb_string_t>(rows) };
    let mut out = output.flat_vector();
    for (r, cell) in cells.iter().enumerate() {
        if keys.row_is_null(r as u64) {
            out.set_null(r);
        } else {
            let text = DuckString::new(&mut { *cell }).as_str().into_owned();
            out.insert(r, f(&text).as_str());
        }
    }
    Ok(())
}

fn signature() -> Vec<ScalarFunctionSignature> {
    vec![ScalarFunctionSignature::exact(
        vec![LogicalTypeId::Varchar.into()],
        LogicalTypeId::Varchar.into(),
    )]
}

struct PseudoEmail;

impl VScalar for PseudoEmail {
    type State = Arc<Key>;

    fn invoke(
        key: &Arc<Key>,
        input: &mut DataChunkHandle,
        output: &mut dyn WritableVector,
    ) -> Result<(), Box<dyn Error>> {
        map_keys(input, output, |k| key.email_of_key(k))
    }

    fn signatures() -> Vec<ScalarFunctionSignature> {
        signature()
    }
}

struct PseudoName;

impl VScalar for PseudoName {
    type State = Arc<Key>;

    fn invoke(
        key: &Arc<Key>,
        input: &mut DataChunkHandle,
        output: &mut dyn WritableVector,
    ) -> Result<(), Box<dyn Error>> {
        map_keys(input, output, |k| key.name_of_key(k))
    }

    fn signatures() -> Vec<ScalarFunctionSignature> {
        signature()
    }
}

/// Registers both functions with `key` on the connection's database (every connection to it
/// sees them; registering again replaces them).
fn register(conn: &Connection, key: &Arc<Key>) -> duckdb::Result<()> {
    conn.register_scalar_function_with_state::<PseudoEmail>(EMAIL_FN, key)?;
    conn.register_scalar_function_with_state::<PseudoName>(NAME_FN, key)
}

impl super::Store {
    /// Makes `rollcall_pseudo_email` and `rollcall_pseudo_name` callable, keyed by `key`.
    pub(crate) fn register_pseudonyms(&self, key: &Arc<Key>) -> anyhow::Result<()> {
        Ok(register(&self.conn, key)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_pseudonyms_are_the_library_ones() {
        let key = Arc::new(Key::from_bytes(b"a key of sixteen+ bytes", "test").unwrap());
        let conn = Connection::open_in_memory().unwrap();
        register(&conn, &key).unwrap();
        // More rows than one vector, and a NULL among them.
        let rows: Vec<(Option<String>, Option<String>)> = conn
            .prepare(
                "SELECT rollcall_pseudo_email(k), rollcall_pseudo_name(k) FROM (
                   SELECT CASE WHEN i = 5 THEN NULL ELSE 'user' || i || '@x.com' END AS k
                   FROM range(5000) t(i)) ORDER BY k NULLS FIRST",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 5000);
        assert_eq!(rows[0], (None, None));
        let mut keys: Vec<String> = (0..5000)
            .filter(|i| *i != 5)
            .map(|i| format!("user{i}@x.com"))
            .collect();
        keys.sort();
        for (k, (email, name)) in keys.iter().zip(&rows[1..]) {
            assert_eq!(email.as_deref(), Some(key.email_of_key(k).as_str()));
            assert_eq!(name.as_deref(), Some(key.name_of_key(k).as_str()));
        }
    }
}
