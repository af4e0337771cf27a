//! A bounded cache of the read API's answers (`/api/users`, `/api/summary`, `/api/user`). A
//! snapshot never changes once written, so the answer to one URL holds for as long as the server
//! keeps the database open: entries are keyed by the connections' generation, which moves on
//! whenever the database is reopened (after an ingest, or any change of the file), and the
//! first answer of a new generation drops every older entry. Only successful answers are kept,
//! least recently used first out, within `--cache SIZE` (0: none).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::reply::Reply;

pub(super) struct Cache {
    max_bytes: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    entries: HashMap<String, Entry>,
    bytes: usize,
    clock: u64,
}

struct Entry {
    content_type: &'static str,
    body: Arc<[u8]>,
    used: u64,
}

impl Cache {
    pub(super) fn new(max_bytes: usize) -> Cache {
        Cache {
            max_bytes,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The kept answer to `url` in `generation`, if any.
    pub(super) fn get(&self, generation: u64, url: &str) -> Option<Reply> {
        if self.max_bytes == 0 {
            return None;
        }
        let mut inner = self.lock();
        if inner.generation != generation {
            return None;
        }
        inner.clock += 1;
        let now = inner.clock;
        let e = inner.entries.get_mut(url)?;
        e.used = now;
        Some(Reply::new(200, e.content_type, e.body.to_vec()))
    }

    /// Keeps a successful answer to `url` read in `generation` (none larger than an eighth of
    /// the whole, so one answer never empties the cache).
    pub(super) fn put(&self, generation: u64, url: &str, reply: &Reply) {
        if self.max_bytes == 0 || reply.status != 200 || reply.body.len() > self.max_bytes / 8 {
            return;
        }
        let mut inner = self.lock();
        if generation < inner.generation {
            return;
        }
        if generation > inner.generation {
            inner.entries.clear();
            inner.bytes = 0;
            inner.generation = generation;
        }
        inner.clock += 1;
        let size = url.len() + reply.body.len();
        let entry = Entry {
            content_type: reply.content_type,
            body: reply.body.as_slice().into(),
            used: inner.clock,
        };
        if let Some(old) = inner.entries.insert(url.to_string(), entry) {
            inner.bytes -= url.len() + old.body.len();
        }
        inner.bytes += size;
        while inner.bytes > self.max_bytes {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            let gone = inner.entries.remove(&oldest).expect("just found");
            inner.bytes -= oldest.len() + gone.body.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> Reply {
        Reply::new(200, "application/json", body.as_bytes().to_vec())
    }

    #[test]
    fn answers_hold_within_a_generation_and_go_with_it() {
        let c = Cache::new(1 << 20);
        assert!(c.get(1, "/api/summary").is_none());
        c.put(1, "/api/summary", &ok("{\"total\":3}"));
        let hit = c.get(1, "/api/summary").expect("kept");
        assert_eq!(hit.body, b"{\"total\":3}");
        assert_eq!(hit.content_type, "application/json");
        assert!(c.get(2, "/api/summary").is_none(), "another generation");
        c.put(2, "/api/users", &ok("[]"));
        assert!(c.get(1, "/api/summary").is_none(), "older entries dropped");
        c.put(1, "/api/summary", &ok("stale"));
        assert!(
            c.get(2, "/api/summary").is_none(),
            "a late answer of generation 1"
        );
    }

    #[test]
    fn only_successes_within_the_bound_are_kept_least_recently_used_out_first() {
        let c = Cache::new(800);
        c.put(
            1,
            "/e",
            &Reply::new(404, "application/json", b"{}".to_vec()),
        );
        assert!(c.get(1, "/e").is_none(), "errors are not kept");
        c.put(1, "/big", &ok(&"x".repeat(101)));
        assert!(c.get(1, "/big").is_none(), "over an eighth of the bound");
        for k in 0..9 {
            c.put(1, &format!("/{k}"), &ok(&"y".repeat(98)));
            if k == 2 {
                // /0 is used again: /1 is now the least recently used.
                assert!(c.get(1, "/0").is_some());
            }
        }
        // 9 entries of 100 bytes exceed 800: the least recently used (/1) went first.
        assert!(c.get(1, "/1").is_none());
        assert!(c.get(1, "/0").is_some());
        assert!(c.get(1, "/8").is_some());
        assert!(c.lock().bytes <= 800);
        assert!(Cache::new(0).get(1, "/0").is_none());
    }
}
