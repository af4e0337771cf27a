//! The read side under `--pseudonymize`: once [`Reader::pseudonymize`] has a key, everything
//! this reader hands out that could name a person is a pseudonym or withheld. The users list
//! is pseudonymised in SQL (`queries/read/users_pseudonymized.sql`, so exports stream and sort
//! by pseudonym); the diff's users, the data-quality notices and the rejects, which are small
//! and already Rust values, are rewritten here. Filters still select on the real data (the
//! commands refuse `--search`, whose text would be recorded).

use std::sync::Arc;

use anyhow::{Context, Result};

use super::{Change, Listing, Reader};
use crate::model::{NoticeRow, Reject};
use crate::pseudo::Key;
use crate::sql::Stmt;

/// What a pseudonymised reader shows in place of a reject's detail and raw row, which hold the
/// row's own cells (names, addresses, device names) as they were read.
pub(crate) const WITHHELD: &str = "(withheld: pseudonymised output)";

impl Reader {
    /// From now on, names and emails this reader returns are pseudonyms under `key`; device
    /// names and the rejects' cells are withheld. Registers the SQL functions on the database.
    pub(crate) fn pseudonymize(&mut self, key: Arc<Key>) -> Result<()> {
        self.store()
            .register_pseudonyms(&key)
            .context("registering the pseudonym functions")?;
        self.pseudo = Some(key);
        Ok(())
    }

    /// The key in force, if this reader pseudonymises.
    pub(crate) fn pseudonyms(&self) -> Option<&Key> {
        self.pseudo.as_deref()
    }

    /// The listing's SELECT as this reader must run it: [`Listing::select`], or, pseudonymised,
    /// the same rows with names and emails replaced and sorted by the pseudonyms.
    pub(crate) fn listing_select(
        &self,
        listing: &Listing,
        limit: Option<u64>,
        offset: u64,
    ) -> Result<Stmt> {
        if self.pseudo.is_none() {
            return listing.select(self.sql(), limit, offset);
        }
        listing.select_from(self.sql(), "read/users_pseudonymized.sql", limit, offset)
    }

    /// The diff's users with pseudonyms, re-sorted by them (the statement sorts by the real
    /// address, an order that would say who is who).
    pub(super) fn pseudonymize_changes(&self, users: &mut [Change]) {
        let Some(key) = self.pseudonyms() else {
            return;
        };
        for u in users.iter_mut() {
            u.name = key.name(&u.email, u.name.as_deref());
            u.email = key.email(&u.email);
        }
        users.sort_by(|a, b| a.email.cmp(&b.email));
    }

    /// Addresses as written, each replaced by its pseudonym.
    pub(super) fn pseudonymize_emails(&self, emails: Vec<String>) -> Vec<String> {
        match self.pseudonyms() {
            Some(key) => emails.iter().map(|e| key.email(e)).collect(),
            None => emails,
        }
    }

    pub(super) fn pseudonymize_notices(&self, mut notices: Vec<NoticeRow>) -> Vec<NoticeRow> {
        if let Some(key) = self.pseudonyms() {
            for n in &mut notices {
                n.email = n.email.as_deref().map(|e| key.email(e));
            }
        }
        notices
    }

    /// Rejects keep where they were and why (file, line, column, reason); their detail and raw
    /// row are withheld.
    pub(super) fn withhold(&self, mut rejects: Vec<Reject>) -> Vec<Reject> {
        if self.pseudo.is_some() {
            for r in &mut rejects {
                r.detail = WITHHELD.to_string();
                r.raw = WITHHELD.to_string();
            }
        }
        rejects
    }
}
