#!/usr/bin/env python3
"""rollcall's benchmark harness: every figure is a ratio against DuckDB itself doing the same
work, measured in the same run on the same machine (the `duckdb` Python package, 2.0.x).

Standard library plus `duckdb` only. Run it through bench/run.sh, which builds the release
binary and the venv; `python bench.py --help` lists the options. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import fcntl
import http.client
import json
import os
import platform
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
QUERIES = REPO / "queries"
AS_OF = "2026-11-26T12:00:00Z"
SECTIONS = ["ingest", "query", "export", "report", "serve", "history"]
REPORT_SMALL = 100_000

# The history section (issue #13): a diff of the sample and its evolved copy, and the trend over
# TREND_SNAPSHOTS snapshots of TREND_USERS users.
EVOLVE_DAYS = 30
TREND_SNAPSHOTS = 12
TREND_USERS = 100_000
AIM_TREND_S = 1.0

# Aims from the performance issue (stated for 1,000,000 users).
AIM_RATIO = 1.5
AIM_RSS_BYTES = 2_000_000_000
AIM_LATENCY_S = 0.300
AIM_SAMPLE_S = 10.0

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Typed one character at a time into the report's search box; each is timed on its own.
KEYSTROKES = "mar"
# The report page's aims (issue #11), stated for 1,000,000 users.
AIM_PAGE_BYTES = 40_000_000
AIM_TTI_MS = 2000
AIM_KEYSTROKE_MS = 100
# The filter the page is checked with once open: its count must be DuckDB's own.
CHECK_FILTER = ("status", "pending")
SORT_CLICKS = ("email", "last_used", "name")

# The summary's funnel steps in src/domain.rs's order (FUNNEL); their predicates, like the
# facets', are read from queries/ (funnel/KEY.sql, filters/NAME.sql) as rollcall reads them.
FUNNEL_STEPS = ["total", "assigned", "activated", "app_setup", "using"]
DIMENSIONS = [
    ("license", ["assigned", "unassigned"]),
    ("status", ["no-license", "pending", "using"]),
    ("activity", ["active", "inactive", "never"]),
    ("hub", ["authenticated", "never"]),
    ("scim", ["yes", "no"]),
    ("reminders", ["0", "1", "2", "3+"]),
]
PAGE_COLUMNS = "name,email,scim,last_used,license,status"  # domain::DEFAULT_COLUMNS
PAGE_FILTERS = ["--status", "pending", "--activity", "never"]
PAGE_LIMIT = 50

# The serve section (issue #11): `rollcall serve` under load from wrk on loopback, against DuckDB
# itself running the same SQL at the same concurrency. See bench/README.md, "serve".
SERVE_SECONDS = 30  # --serve-seconds
SERVE_CLIENTS = 16  # concurrent connections (wrk) and threads (the floor)
SERVE_TIMEOUT_S = 10  # wrk --timeout: the server's default --query-timeout
AIM_SERVE_P99_S = 0.300  # list pages and summary
AIM_DOWNLOAD_RSS_BYTES = 300_000_000
SERVE_COLUMNS = "name,email,scim,last_used,license,status,activity,hub,reminders_sent"  # the console's page
# List pages: (label, filters as (key, [values]), search, sort, offset); each asks for 50 rows.
SERVE_LISTS = [
    ("first page, by name", [], None, None, 0),
    ("pending + never active", [("status", ["pending"]), ("activity", ["never"])], None, None, 0),
    ("search 'an', last use desc, offset 100", [], "an", "last_used:desc", 100),
    ("assigned + hub never, by email, offset 5000", [("license", ["assigned"]), ("hub", ["never"])], None, "email",
     5000),
    ("using + active|inactive, reminders desc, offset 50",
     [("status", ["using"]), ("activity", ["active", "inactive"])], None, "reminders_sent:desc", 50),
    ("search 'müller' + pending|no-license", [("status", ["pending", "no-license"])], "müller", None, 0),
    ("no SCIM + 3+ reminders, by last use, offset 150", [("scim", ["no"]), ("reminders", ["3+"])], None,
     "last_used", 150),
    ("search 'zoe', status desc", [], "zoe", "status:desc", 0),
]
# Summaries: (label, filters, search).
SERVE_SUMMARIES = [
    ("whole snapshot", [], None),
    ("pending", [("status", ["pending"])], None),
    ("search 'an'", [], "an"),
    ("never active + hub never", [("activity", ["never"]), ("hub", ["never"])], None),
]
SERVE_DETAILS_PER_STATUS = 16  # real emails per status for /api/user
# One cycle of the mix, 10 requests: 5 list pages, 3 details, 2 summaries (each class takes its
# next path in turn); the schedule is 16 cycles, every client walks it from its own offset.
SERVE_PATTERN = ["list", "details", "list", "summary", "list", "details", "list", "summary", "list", "details"]
SERVE_CYCLES = 16
SERVE_CLASSES = [("list", "list pages"), ("details", "details"), ("summary", "summaries")]


# ------------------------------------------------------------------------------------ processes


class CmdFailed(Exception):
    def __init__(self, cmd, rc, stderr):
        self.cmd, self.rc, self.stderr = cmd, rc, stderr
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        super().__init__(f"`{' '.join(map(str, cmd))}` exited {rc}:\n{tail}")


class Run:
    """One finished child: wall time (process start to exit), exit code, its own peak RSS."""

    def __init__(self, wall, rc, maxrss, stdout, stderr):
        self.wall, self.rc, self.maxrss, self.stdout, self.stderr = wall, rc, maxrss, stdout, stderr


def run(cmd, *, capture=False, cwd=None, timeout=7200, check=True) -> Run:
    """Runs `cmd` and reaps it with os.wait4, so ru_maxrss is exactly that child's (and its
    waited-for descendants') peak resident set, not a maximum over every child so far."""
    cmd = [str(c) for c in cmd]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out if capture else subprocess.DEVNULL,
                             stderr=err, cwd=cwd)
        killer = threading.Timer(timeout, p.kill)
        killer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - t0
        rc = os.waitstatus_to_exitcode(status)
        p.returncode = rc  # reaped here; keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace") if capture else None
        stderr = err.read().decode("utf-8", "replace")
    r = Run(wall, rc, ru.ru_maxrss * 1024, stdout, stderr)
    if check and rc != 0:
        raise CmdFailed(cmd, rc, stderr)
    return r


def py_child(code: str, *args) -> Run:
    """A fresh Python process (this venv's, with duckdb) running `code`; its stdout is JSON."""
    return run([sys.executable, "-c", code, *args], capture=True)


def rm(path: Path):
    for p in [path, Path(str(path) + ".wal")]:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def sql_str(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


# ------------------------------------------------------------------------------------- printing


def fmt_s(s):
    if s is None:
        return "—"
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def fmt_bytes(b):
    if b is None:
        return "—"
    return f"{b / 1e6:.1f} MB" if b < 1e9 else f"{b / 1e9:.2f} GB"


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}×"


def ratio(a, b):
    return a / b if a is not None and b else None


def verdict(ok):
    return "—" if ok is None else ("PASS" if ok else "MISS")


class Section:
    """A table (metric, rollcall, reference, ratio, aim, verdict) plus the raw figures."""

    def __init__(self, name):
        self.name = name
        self.rows = []
        self.figures = {}
        self.notes = []

    def row(self, metric, rollcall="—", reference="—", ratio_="—", aim="—", ok=None):
        self.rows.append({"metric": metric, "rollcall": rollcall, "reference": reference,
                          "ratio": ratio_, "aim": aim, "verdict": verdict(ok)})

    def note(self, text):
        self.notes.append(text)

    def print(self):
        heads = ["metric", "rollcall", "reference", "ratio", "aim", "verdict"]
        widths = [max(len(h), *(len(str(r[h])) for r in self.rows)) if self.rows else len(h) for h in heads]
        line = "  ".join(h.ljust(w) for h, w in zip(heads, widths))
        print(f"\n== {self.name} ==")
        print(line)
        print("  ".join("-" * w for w in widths))
        for r in self.rows:
            print("  ".join(str(r[h]).ljust(w) for h, w in zip(heads, widths)))
        for n in self.notes:
            print(f"  note: {n}")
        sys.stdout.flush()

    def json(self):
        return {"table": self.rows, "figures": self.figures, "notes": self.notes}


def progress(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------- DuckDB reference code

FLOOR_INGEST = r"""
import json, sys, time
t0 = time.perf_counter()
import duckdb
db, users, devices = sys.argv[1:4]
q = lambda s: "'" + s.replace("'", "''") + "'"
t1 = time.perf_counter()
c = duckdb.connect(db)
c.execute(f"CREATE TABLE users AS SELECT * FROM read_csv({q(users)})")
c.execute(f"CREATE TABLE devices AS SELECT * FROM read_csv({q(devices)})")
n = c.execute("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM devices)").fetchone()
c.close()
t2 = time.perf_counter()
print(json.dumps({"startup_s": t1 - t0, "work_s": t2 - t1, "users": n[0], "devices": n[1]}))
"""

REF_QUERY = r"""
import json, sys, time
t0 = time.perf_counter()
import duckdb
spec = json.loads(sys.argv[1])
t1 = time.perf_counter()
c = duckdb.connect(spec["db"], read_only=True)
results = []
for sql, params in spec["queries"]:
    results.append(c.execute(sql, params).fetchall())
if spec.get("then_if_last_positive") and results[0] and results[0][0][-1] > 0:
    sql, params = spec["then_if_last_positive"]
    results.append(c.execute(sql, params).fetchall())
c.close()
t2 = time.perf_counter()
print(json.dumps({"startup_s": t1 - t0, "work_s": t2 - t1, "rows": [len(r) for r in results],
                  "firsts": [[str(v) for v in r[0]] if r else None for r in results]}))
"""

FLOOR_EXPORT = r"""
import json, sys, time
t0 = time.perf_counter()
import duckdb
db, target, sql, params = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
q = lambda s: "'" + s.replace("'", "''") + "'"
t1 = time.perf_counter()
c = duckdb.connect(db, read_only=True)
res = c.execute(f"COPY ({sql}) TO {q(target)} (HEADER)", params).fetchall()
c.close()
t2 = time.perf_counter()
print(json.dumps({"startup_s": t1 - t0, "work_s": t2 - t1, "rows": res[0][0] if res else None}))
"""

# The history section's trend floor: the summary's one-scan statement once per snapshot, as
# `rollcall trend` runs it (each at its own as-of), on one read-only connection.
FLOOR_TREND = r"""
import json, sys, time
t0 = time.perf_counter()
import duckdb
db, statements = sys.argv[1], json.load(open(sys.argv[2]))
t1 = time.perf_counter()
c = duckdb.connect(db, read_only=True)
c.execute("SET enable_progress_bar = false")
totals = [c.execute(sql, params).fetchall()[0][0] for sql, params in statements]
c.close()
t2 = time.perf_counter()
print(json.dumps({"startup_s": t1 - t0, "work_s": t2 - t1, "totals": totals}))
"""

# The serve section's floor: `clients` threads, each with its own cursor (its own connection to
# the one read-only database), walk the same schedule as wrk's connections from the same offsets
# for the same time, each request running the statements the server runs for that route.
FLOOR_SERVE = r"""
import json, sys, threading, time
import duckdb
spec = json.load(open(sys.argv[1]))
items, clients, seconds = spec["items"], spec["clients"], spec["seconds"]
con = duckdb.connect(spec["db"], read_only=True)
curs = [con.cursor() for _ in range(clients)]
for cur in curs:
    cur.execute("SET enable_progress_bar = false")

def once(cur, queries):
    for sql, params in queries:
        cur.execute(sql, params).fetchall()

for i in spec["distinct"]:  # the warm-up: every distinct request once
    once(curs[0], items[i][1])
results = [[] for _ in range(clients)]
inflight = [None] * clients
errors = {}
state = {}
barrier = threading.Barrier(clients + 1)

def client(i):
    cur, n, out = curs[i], len(items), results[i]
    pos = (i * n // clients + i) % n
    barrier.wait()
    deadline = state["deadline"]
    while True:
        at = pos
        cls, queries = items[pos]
        pos = (pos + 1) % n
        t0 = time.perf_counter()
        if t0 >= deadline:
            return
        ok = True
        try:
            once(cur, queries)
        except Exception as e:
            ok = False
            errors.setdefault(cls, str(e)[:300])
        t1 = time.perf_counter()
        if t1 > deadline:  # as wrk does: a request still running at the end is not counted
            inflight[i] = [at, t1 - t0]
            return
        out.append([at, t1 - t0, ok])

threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in threads:
    t.start()
start = time.perf_counter()
state["deadline"] = start + seconds
barrier.wait()
for t in threads:
    t.join()
con.close()
print(json.dumps({"duration_s": seconds, "requests": [r for rs in results for r in rs],
                  "inflight": [x for x in inflight if x], "first_errors": errors}))
"""

# The wrk script of the serve section. wrk's Lua response() is not given the latency, and a wrk
# thread does not tell its script which of its connections answered; so every wrk thread gets
# exactly one connection (-t = -c), and within a thread request() and response() alternate: the
# time between them (a monotonic clock through LuaJIT's FFI) is that request's latency, and the
# schedule index it asked for gives its path and class. Filled in by Bench.serve: ITEMS, CLIENTS, OUT.
WRK_LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } rollcall_timespec;
int clock_gettime(int clk_id, rollcall_timespec *tp);
]]
local ts = ffi.new("rollcall_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local items = { ITEMS }
local clients = CLIENTS
local out_path = OUT
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  reqs = {}
  for i, it in ipairs(items) do
    reqs[i] = wrk.format("GET", it[2])
  end
  pos = (math.floor(id * #items / clients) + id) % #items
  lines = {}
  pending = nil
  started = 0
end

function request()
  if id == 0 and not verified then
    -- wrk calls thread 0's request() once before the run to count the requests it returns
    verified = true
    return reqs[1]
  end
  if pending then
    -- the previous request got no response: wrk re-opened the connection after an error
    lines[#lines + 1] = pending .. " lost 0"
  end
  local i = pos + 1
  pos = (pos + 1) % #items
  pending = i
  started = now_us()
  return reqs[i]
end

function response(status, headers, body)
  local t = now_us()
  lines[#lines + 1] = pending .. " " .. status .. " " .. (t - started)
  pending = nil
end

function done(summary, latency, requests)
  local f = assert(io.open(out_path, "w"))
  local e = summary.errors
  f:write(string.format("summary %d %d %d %d %d %d %d %d\n", summary.duration, summary.requests,
    summary.bytes, e.connect, e.read, e.write, e.status, e.timeout))
  local now = now_us()
  for _, t in ipairs(threads) do
    local ls = t:get("lines")
    for i = 1, #ls do
      f:write(ls[i], "\n")
    end
    local p = t:get("pending")
    if p then
      f:write(p, " inflight ", now - t:get("started"), "\n")
    end
  end
  f:close()
end
"""


def fragment(path: str) -> str:
    """A queries/ file as rollcall embeds it (Sql::fragment): comment lines and `;` removed."""
    text = (QUERIES / path).read_text()
    lines = [l for l in text.splitlines() if not l.lstrip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";").strip()


def filter_body(name: str) -> str:
    """A queries/filters/NAME.sql predicate."""
    return fragment(f"filters/{name}.sql")


def split_listing_sql(sql: str):
    """The export manifest's SQL is `WITH params …, users AS (…)\\nSELECT cols\\nFROM users\\nWHERE
    pred\\nORDER BY …` (read::Listing::select over queries/read/users.sql, made self-contained by queries/read/standalone.sql): returns (cte, predicate)."""
    # The ORDER BY runs to the end and may span lines (the collation, queries/read/collation.sql).
    m = re.match(r"(?s)^(.*\n\)\n)SELECT .*?\nFROM users\nWHERE (.*?)\nORDER BY .*$", sql)
    if not m:
        raise RuntimeError("cannot split the manifest's SQL into CTE and predicate:\n" + sql)
    return m.group(1), m.group(2)


def summary_sql(cte: str) -> str:
    """The statement read::summary builds from queries/read/summary.sql for no filters (every predicate TRUE)."""
    s = cte + "SELECT count(*) AS total"
    for step in FUNNEL_STEPS:
        s += f",\n count(*) FILTER (WHERE ({fragment(f'funnel/{step}.sql')}) AND (TRUE))"
    for dim, values in DIMENSIONS:
        s += ",\n count(*) FILTER (WHERE TRUE)"
        for v in values:
            s += f",\n count(*) FILTER (WHERE ({filter_body(f'{dim}-{v}')}) AND (TRUE))"
    s += ",\n count(*) FILTER (WHERE last_used > (SELECT as_of FROM params) AND (TRUE))\nFROM users"
    return s


# ------------------------------------------------------------ the serve section's SQL, as rollcall's

def fill(template: str, slots: dict) -> tuple[str, list]:
    """Sql::fill: each /*slot*/ replaced by its (sql, params), the parameters in text order."""
    sql, params, at = "", [], 0
    for m in re.finditer(r"/\*(\w+)\*/", template):
        sql += template[at:m.start()]
        part, ps = slots[m.group(1)]
        sql += part
        params += ps
        at = m.end()
    return sql + template[at:], params


def predicate(filters, search) -> tuple[str, list]:
    """read::predicate: OR within a dimension, AND across (dimensions and values in the domain's
    order, as FilterSet keeps them), then the
    search (queries/search.sql, its two ? the same text); TRUE when nothing is filtered."""
    given = dict(filters)
    parts = []
    for dim, values in DIMENSIONS:
        if dim in given:
            ors = " OR ".join(f"({filter_body(f'{dim}-{v}')})" for v in values if v in given[dim])
            parts.append((f"({ors})", []))
    if search is not None:
        parts.append((fragment("search.sql"), [search, search]))
    if not parts:
        return "TRUE", []
    return "\n  AND ".join(p for p, _ in parts), [x for _, ps in parts for x in ps]


def summary_statement(cte: str, scope: list, filters, search) -> tuple[str, list]:
    """read::summary's one-scan statement (queries/read/summary.sql) for these filters, made
    self-contained with the manifest's CTE: each facet counts within the other dimensions."""
    every = predicate(filters, search)

    def count_where(a, b):
        return f" count(*) FILTER (WHERE ({a}) AND ({b[0]}))", b[1]

    counts = [count_where(fragment(f"funnel/{step}.sql"), every) for step in FUNNEL_STEPS]
    for dim, values in DIMENSIONS:
        others = predicate([(k, v) for k, v in filters if k != dim], search)
        counts.append(count_where("TRUE", others))
        counts += [count_where(filter_body(f"{dim}-{v}"), others) for v in values]
    joined = (",\n".join(c for c, _ in counts), [x for _, ps in counts for x in ps])
    body, params = fill(fragment("read/summary.sql"), {"counts": joined, "where": every})
    return cte + body, scope + params


def url_query(filters, search=None, sort=None, extra=()) -> str:
    """The API's query string: a dimension's values comma-separated, everything percent-encoded."""
    pairs = [(k, ",".join(vs)) for k, vs in filters]
    if search is not None:
        pairs.append(("search", search))
    if sort:
        pairs.append(("sort", sort))
    pairs += list(extra)
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote, safe=",:")


def filter_flags(filters, search=None, sort=None) -> list:
    """The same filters as `rollcall export` flags (a dimension's flag repeated per value)."""
    flags = [x for k, vs in filters for v in vs for x in (f"--{k}", v)]
    if search is not None:
        flags += ["--search", search]
    if sort:
        flags += ["--sort", sort]
    return flags


def percentile(xs, p):
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not xs:
        return None
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))
    return xs[int(k)]

# --------------------------------------------------------------------- Chromium, DevTools by pipe

READY_PROBE = r"""
(function () {
  var done;
  window.__rcReady = new Promise(function (r) { done = r; });
  function check() {
    var b = document.body;
    if (b && b.getAttribute('data-ready') === '1') {
      done({observed: performance.now(), page: b.getAttribute('data-ready-ms')});
      return true;
    }
    return false;
  }
  var mo = new MutationObserver(function () { if (check()) mo.disconnect(); });
  mo.observe(document, {subtree: true, attributes: true, attributeFilter: ['data-ready']});
  document.addEventListener('DOMContentLoaded', function () { if (check()) mo.disconnect(); });
})();
"""

# Clicks an element (a filter checkbox, a sort button; a CSS selector) and resolves with the ms
# until the frame after the page's DOM changed.
CLICK_PROBE = r"""
new Promise(function (resolve) {
  var box = document.querySelector(%s);
  if (!box) { resolve(null); return; }
  var t0 = performance.now();
  var mo = new MutationObserver(function () {
    mo.disconnect();
    requestAnimationFrame(function () { setTimeout(function () { resolve(performance.now() - t0); }, 0); });
  });
  mo.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  box.click();
  setTimeout(function () { mo.disconnect(); resolve(null); }, 30000);
})
"""

# Where the time to interactive went: the page's own performance marks (report-templates/data.js).
MARKS = r"""
(function () {
  function at(name) { var e = performance.getEntriesByName(name)[0]; return e ? e.startTime : null; }
  return {data_start: at('rollcall:data-start'), data_unpacked: at('rollcall:data-unpacked'),
          heap: performance.memory ? performance.memory.usedJSHeapSize : null};
})()
"""

KEY_PROBE = r"""
window.__rcKey = new Promise(function (resolve) {
  var t0 = null;
  window.addEventListener('input', function (e) { t0 = e.timeStamp; }, {capture: true, once: true});
  var mo = new MutationObserver(function () {
    if (t0 === null) return;
    mo.disconnect();
    requestAnimationFrame(function () { setTimeout(function () { resolve(performance.now() - t0); }, 0); });
  });
  mo.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  setTimeout(function () { mo.disconnect(); resolve(null); }, 30000);
});
true
"""


class Chromium:
    """Headless Chromium driven over --remote-debugging-pipe (fd 3 in, fd 4 out, messages
    separated by NUL): the DevTools protocol with no websocket, so the standard library does."""

    def __init__(self, binary):
        self.ud = tempfile.mkdtemp(prefix="rollcall-bench-chromium-")
        r_in, self.w = os.pipe()
        self.r, w_out = os.pipe()
        # Move the child's ends above 10 so the shell's 3< and 4> cannot clobber them.
        cr = fcntl.fcntl(r_in, fcntl.F_DUPFD, 10)
        cw = fcntl.fcntl(w_out, fcntl.F_DUPFD, 10)
        os.close(r_in)
        os.close(w_out)
        self.err = tempfile.TemporaryFile()
        cmd = ["bash", "-c", f'exec "$0" "$@" 3<&{cr} 4>&{cw} {cr}<&- {cw}>&-', binary, *CHROMIUM_FLAGS,
               f"--user-data-dir={self.ud}", "--window-size=1280,900", "--remote-debugging-pipe", "about:blank"]
        self.proc = subprocess.Popen(cmd, pass_fds=(cr, cw), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.err)
        os.close(cr)
        os.close(cw)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.r], [], [], left)
            if ready:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    self.err.seek(0)
                    tail = self.err.read().decode("utf-8", "replace").strip().splitlines()[-5:]
                    raise RuntimeError("Chromium closed the DevTools pipe: " + " | ".join(tail))
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, timeout=120, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method, timeout=300):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def evaluate(self, expr, timeout=120):
        r = self.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True, "returnByValue": True},
                      timeout=timeout)
        if "exceptionDetails" in r:
            raise RuntimeError(f"page script failed: {r['exceptionDetails'].get('text')}")
        return r.get("result", {}).get("value")

    def open_page(self):
        targets = self.call("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.w, self.r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.err.close()
        shutil.rmtree(self.ud, ignore_errors=True)


def measure_page(binary, url):
    """One fresh browser: time to interactive (ms since navigation start until <body
    data-ready="1">, or the page's own data-ready-ms when it records one), where it went (the
    page's marks), whether the page opens with every user and filters (one filter clicked on
    and off, each click timed like a keystroke), and the search keystrokes (ms from the input
    event until the frame after the page's DOM changed)."""
    c = Chromium(binary)
    try:
        c.open_page()
        c.call("Page.addScriptToEvaluateOnNewDocument", {"source": READY_PROBE})
        c.call("Page.navigate", {"url": url})
        c.wait_event("Page.loadEventFired", timeout=300)
        ready = c.evaluate("Promise.race([window.__rcReady, new Promise(r => setTimeout(() => r(null), 60000))])",
                           timeout=90)
        nav = c.evaluate("(function(){var n=performance.getEntriesByType('navigation')[0];"
                         "return n ? {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd} : null})()")
        out = {"ready_observed_ms": None, "ready_page_ms": None, "dcl_ms": nav and nav["dcl"],
               "load_ms": nav and nav["load"], "keystrokes_ms": []}
        if ready:
            out["ready_observed_ms"] = ready["observed"]
            out["ready_page_ms"] = float(ready["page"]) if ready.get("page") else None
            out.update(c.evaluate(MARKS) or {})
            count = "window.rollcall && typeof window.rollcall.visibleCount === 'function' ? window.rollcall.visibleCount() : null"
            out["visible_at_ready"] = c.evaluate(count)
            box = json.dumps(f"#f-{CHECK_FILTER[0]}-{CHECK_FILTER[1]}")
            out["filter_on_ms"] = c.evaluate(CLICK_PROBE % box, timeout=60)
            out["visible_filtered"] = c.evaluate(count)
            out["filter_off_ms"] = c.evaluate(CLICK_PROBE % box, timeout=60)
            out["visible_unfiltered"] = c.evaluate(count)
        has_search = c.evaluate("!!(document.querySelector('#search') || document.querySelector('input[type=search]'))")
        if ready and has_search:
            c.evaluate("(document.querySelector('#search') || document.querySelector('input[type=search]')).focus(); true")
            for ch in KEYSTROKES:
                c.evaluate(KEY_PROBE)
                c.call("Input.insertText", {"text": ch})
                out["keystrokes_ms"].append(c.evaluate("window.__rcKey", timeout=60))
            out["visible_after_search"] = c.evaluate(
                "window.rollcall && typeof window.rollcall.visibleCount === 'function' ? window.rollcall.visibleCount() : null")
        if ready:
            # Sorting, last (so the figures above are taken as before): the first sort by email,
            # then by last use (each builds its order over every user), then back to the
            # embedded order by name.
            out["sort_ms"] = [c.evaluate(CLICK_PROBE % json.dumps(f'button.sort[data-key="{k}"]'), timeout=120)
                              for k in SORT_CLICKS]
        return out
    finally:
        c.close()


def tti_dump_dom(binary, url):
    """The fallback: --dump-dom after a virtual-time budget, reading <body data-ready-ms>."""
    ud = tempfile.mkdtemp(prefix="rollcall-bench-chromium-")
    try:
        r = run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={ud}", "--virtual-time-budget=10000", "--dump-dom", url],
                capture=True, timeout=600)
    finally:
        shutil.rmtree(ud, ignore_errors=True)
    m = re.search(r'<body[^>]*\bdata-ready-ms="([0-9.]+)"', r.stdout or "")
    return float(m.group(1)) if m else None


# ------------------------------------------------------------------------ the server under load


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


class Served:
    """`rollcall serve --db DB --port 0` in the background: the URL from its first line of
    standard output (written to a file, so a chatty server never blocks on a full pipe), its
    peak resident set from /proc/PID/status, and a clean stop (SIGINT, as Ctrl-C)."""

    def __init__(self, binary, db, folder: Path, extra=()):
        help_text = run([binary, "serve", "--help"], capture=True).stdout
        self.optional = [f for f in ("--workers", "--query-timeout") if f in help_text]
        self.cmd = [binary, "serve", "--db", str(db), "--port", "0"]
        if "--quiet" in help_text:
            self.cmd.append("--quiet")
        self.cmd += list(extra)
        self.out_path, self.err_path = folder / "serve.stdout", folder / "serve.stderr"
        self.out, self.err = open(self.out_path, "wb"), open(self.err_path, "wb")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 120
        while True:
            m = re.search(r"serving http://127\.0\.0\.1:(\d+)/", self.out_path.read_text(errors="replace"))
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"`{' '.join(self.cmd)}` printed no URL (exit {self.proc.returncode}): "
                                   f"{self.stderr_tail()}")
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{self.port}"

    def stderr_tail(self, n=5):
        try:
            return " | ".join(self.err_path.read_text(errors="replace").strip().splitlines()[-n:])
        except OSError:
            return ""

    def status_kb(self, key):
        for line in open(f"/proc/{self.pid}/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
        return None

    def hwm(self):
        return self.status_kb("VmHWM")

    def reset_hwm(self):
        """Resets VmHWM to the current RSS (Linux's clear_refs 5), so the next reading is the
        peak of what follows alone."""
        with open(f"/proc/{self.pid}/clear_refs", "w") as f:
            f.write("5")

    def get(self, path, timeout=300):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def download(self, path, target: Path):
        """GET path into target, 1 MiB at a time: (status, seconds from the request to the last
        byte, bytes); the body of a non-200 answer is returned instead of saved."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            t0 = time.perf_counter()
            c.request("GET", path)
            r = c.getresponse()
            if r.status != 200:
                return r.status, time.perf_counter() - t0, r.read()
            buf = bytearray(1 << 20)
            view = memoryview(buf)
            size = 0
            with open(target, "wb") as f:
                while True:
                    n = r.readinto(view)
                    if not n:
                        break
                    f.write(view[:n])
                    size += n
            return 200, time.perf_counter() - t0, size
        finally:
            c.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT, as Ctrl-C
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        self.err.close()


def read_wrk(path: Path):
    """The file WRK_LUA's done() writes: wrk's totals, then per request `index status
    latency_us` (`index lost 0`: no answer before wrk re-opened the connection; `index inflight
    us`: still waiting when the run ended), index being 1-based in the schedule."""
    lines = path.read_text().splitlines()
    head = lines[0].split()
    assert head[0] == "summary", lines[0]
    keys = ["duration_us", "requests", "bytes", "connect", "read", "write", "status", "timeout"]
    totals = dict(zip(keys, map(int, head[1:])))
    reqs, lost, inflight = [], [], []
    for line in lines[1:]:
        i, what, us = line.split()
        i = int(i) - 1
        if what == "lost":
            lost.append([i])
        elif what == "inflight":
            inflight.append([i, int(us) / 1e6])
        else:
            reqs.append([i, int(what), int(us) / 1e6])
    return totals, reqs, lost, inflight

# ------------------------------------------------------------------------------------- the bench


class Bench:
    def __init__(self, args):
        self.a = args
        self.bin = str(Path(args.binary).resolve())
        self.dir = Path(args.bench_dir).expanduser().resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = args.users
        self.k_latency = args.runs or 5
        self.k_bulk = args.runs or 3
        self.results = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "users": self.n,
                        "runs": {"latency": self.k_latency, "bulk": self.k_bulk}, "sections": {},
                        "errors": {}}
        self.samples = {}  # users -> folder
        self.dbs = {}  # users -> ingested db
        self.export_floor = {}  # users -> median seconds

    def rc(self, *args, **kw):
        return run([self.bin, *args], **kw)

    # ---- data
    def sample(self, users):
        if users in self.samples:
            return self.samples[users]
        out = self.dir / f"sample-{users}"
        rm(out)
        progress(f"rollcall sample --users {users:,}")
        r = self.rc("sample", "--users", users, "--seed", self.a.seed, "--out", out)
        size = sum(f.stat().st_size for f in out.iterdir())
        self.results.setdefault("setup", {})[str(users)] = {
            "sample_s": r.wall, "sample_rss_bytes": r.maxrss, "sample_bytes": size,
            "users_csv_bytes": (out / "users.csv").stat().st_size,
            "devices_csv_bytes": (out / "devices.csv").stat().st_size, "message": r.stderr.strip()}
        self.samples[users] = out
        return out

    def ingest_cmd(self, sample, db):
        return ["ingest", "--quiet", "--users", sample / "users.csv", "--devices", sample / "devices.csv",
                "--as-of", AS_OF, "--db", db]

    def db(self, users):
        """An ingested database for `users` (made once, untimed, unless the ingest section left one)."""
        if users in self.dbs:
            return self.dbs[users]
        sample = self.sample(users)
        db = self.dir / f"rollcall-{users}.duckdb"
        rm(db)
        progress(f"ingesting {users:,} users into {db}")
        self.rc(*self.ingest_cmd(sample, db))
        self.dbs[users] = db
        return db

    def manifest(self, db, extra, name):
        out = self.dir / f"{name}.csv"
        self.rc("export", "--db", db, "-o", out, *extra)
        m = json.loads(Path(str(out) + ".manifest.json").read_text())
        return m, out

    # ---- sections
    def setup(self):
        s = Section(f"setup: rollcall sample --users {self.n:,} --seed {self.a.seed}")
        self.sample(self.n)
        f = self.results["setup"][str(self.n)]
        s.figures = f
        s.row("sample wall time", fmt_s(f["sample_s"]), aim=f"< {AIM_SAMPLE_S:.0f} s",
              ok=f["sample_s"] < AIM_SAMPLE_S)
        s.row("sample peak RSS", fmt_bytes(f["sample_rss_bytes"]))
        s.row("users.csv + devices.csv", f"{fmt_bytes(f['users_csv_bytes'])} + {fmt_bytes(f['devices_csv_bytes'])}")
        s.note(f["message"])
        return s

    def ingest(self):
        s = Section(f"ingest: {self.n:,} users, median of {self.k_bulk} (fresh db each run)")
        sample = self.sample(self.n)
        rolls, floors = [], []
        for i in range(self.k_bulk):
            db = self.dir / f"ingest-{self.n}-{i}.duckdb"
            floor_db = self.dir / f"floor-{self.n}-{i}.duckdb"
            rm(db)
            rm(floor_db)
            progress(f"ingest run {i + 1}/{self.k_bulk}: rollcall")
            r = self.rc(*self.ingest_cmd(sample, db))
            rolls.append({"wall_s": r.wall, "rss_bytes": r.maxrss, "db_bytes": db.stat().st_size})
            progress(f"ingest run {i + 1}/{self.k_bulk}: duckdb floor")
            f = py_child(FLOOR_INGEST, floor_db, sample / "users.csv", sample / "devices.csv")
            fj = json.loads(f.stdout)
            floors.append({"wall_s": f.wall, "work_s": fj["work_s"], "rss_bytes": f.maxrss,
                           "db_bytes": floor_db.stat().st_size, "users": fj["users"], "devices": fj["devices"]})
            rm(floor_db)
            if i < self.k_bulk - 1:
                rm(db)
        # The last run's database serves the other sections.
        main = self.dir / f"rollcall-{self.n}.duckdb"
        rm(main)
        db.rename(main)
        self.dbs[self.n] = main
        rt = median(r["wall_s"] for r in rolls)
        ft = median(f["work_s"] for f in floors)
        fe = median(f["wall_s"] for f in floors)
        rss = max(r["rss_bytes"] for r in rolls)
        s.figures = {"rollcall_runs": rolls, "floor_runs": floors, "rollcall_s": rt, "floor_s": ft,
                     "floor_end_to_end_s": fe, "ratio": ratio(rt, ft), "rollcall_peak_rss_bytes": rss}
        s.row("wall time (rollcall end to end; floor connect→close)", fmt_s(rt), fmt_s(ft), fmt_ratio(ratio(rt, ft)),
              f"≤ {AIM_RATIO}×", ratio(rt, ft) <= AIM_RATIO)
        s.row("  floor incl. python start + import duckdb", fmt_s(rt), fmt_s(fe), fmt_ratio(ratio(rt, fe)))
        s.row("peak RSS (max of runs)", fmt_bytes(rss), fmt_bytes(max(f["rss_bytes"] for f in floors)),
              fmt_ratio(ratio(rss, max(f["rss_bytes"] for f in floors))), "< 2 GB", rss < AIM_RSS_BYTES)
        s.row("database file", fmt_bytes(rolls[-1]["db_bytes"]), fmt_bytes(floors[-1]["db_bytes"]),
              fmt_ratio(ratio(rolls[-1]["db_bytes"], floors[-1]["db_bytes"])))
        s.note("floor = duckdb CREATE TABLE users/devices AS SELECT * FROM read_csv(…) into a fresh file, "
               "closed (checkpointed); it validates and derives nothing.")
        s.note(f"floor read {floors[-1]['users']:,} users and {floors[-1]['devices']:,} device rows")
        return s

    def query(self):
        s = Section(f"query: {self.n:,} users, median of {self.k_latency} end-to-end (after 1 warm-up)")
        db = self.db(self.n)
        m, _ = self.manifest(db, [*PAGE_FILTERS, "--columns", PAGE_COLUMNS], f"query-page-{self.n}")
        cte, pred = split_listing_sql(m["sql"])
        params = m["parameters"]
        scope_params = params[:3]
        page_sql = m["sql"] + "\nLIMIT ?"
        count_sql = cte + f"SELECT count(*) FILTER (WHERE {pred}) AS matches, count(*) AS total FROM users"
        snap_sql = "SELECT * FROM snapshots ORDER BY id"
        page_spec = {"db": str(db), "queries": [[snap_sql, []], [page_sql, params + [PAGE_LIMIT]],
                                                [count_sql, params]]}
        sid = scope_params[0]
        sum_spec = {"db": str(db), "queries": [
            [summary_sql(cte), scope_params], [snap_sql, []],
            ["SELECT file, kind, line, column_name, reason, detail, raw FROM reject_records "
             "WHERE snapshot_id = ? ORDER BY kind DESC, line", [sid]],
            ["SELECT kind, file, line, email, detail FROM notice_records WHERE snapshot_id = ? "
             "ORDER BY kind, line NULLS FIRST", [sid]]],
            "then_if_last_positive": [cte + "SELECT email FROM users WHERE last_used > (SELECT as_of FROM params) "
                                            "AND (TRUE) ORDER BY last_used DESC, email_key LIMIT 5", scope_params]}
        users_cmd = ["users", "--db", db, "--format", "json", *PAGE_FILTERS, "--limit", PAGE_LIMIT]
        summary_cmd = ["summary", "--db", db, "--format", "json"]
        figs = {}

        def bench(label, cmd, spec):
            progress(f"query: {label}")
            out = self.rc(*cmd, capture=True)  # warm-up, and the output checked below
            py_child(REF_QUERY, json.dumps(spec))
            rt, ref_e2e, ref_work = [], [], []
            for _ in range(self.k_latency):
                rt.append(self.rc(*cmd).wall)
                r = py_child(REF_QUERY, json.dumps(spec))
                j = json.loads(r.stdout)
                ref_e2e.append(r.wall)
                ref_work.append(j["work_s"])
            # In this process: the same statements on an open read-only connection.
            con = duckdb.connect(str(db), read_only=True)
            try:
                inproc = []
                for _ in range(self.k_latency + 1):
                    t0 = time.perf_counter()
                    for sql, p in spec["queries"]:
                        con.execute(sql, p).fetchall()
                    inproc.append(time.perf_counter() - t0)
                inproc = inproc[1:]
            finally:
                con.close()
            f = {"rollcall_s": median(rt), "reference_end_to_end_s": median(ref_e2e),
                 "reference_connect_query_close_s": median(ref_work), "in_process_query_s": median(inproc),
                 "rollcall_runs": rt, "reference_runs": ref_e2e, "reference_last": j}
            figs[label] = f
            s.row(f"{label}: end to end", fmt_s(f["rollcall_s"]), fmt_s(f["reference_end_to_end_s"]),
                  fmt_ratio(ratio(f["rollcall_s"], f["reference_end_to_end_s"])), "< 300 ms",
                  f["rollcall_s"] < AIM_LATENCY_S)
            s.row(f"  {label}: reference connect→close in python", "", fmt_s(f["reference_connect_query_close_s"]))
            s.row(f"  {label}: query alone, open connection (info)", "", fmt_s(f["in_process_query_s"]))
            return out, j

        out, j = bench("users page (50, status=pending, activity=never)", users_cmd, page_spec)
        uj = json.loads(out.stdout)
        ref_matches, ref_total = (int(x) for x in j["firsts"][2])
        agree = uj.get("total") == ref_matches and uj.get("users_in_snapshot") == ref_total \
            and uj.get("count") == j["rows"][1]
        s.note(f"rollcall users: {uj.get('count')} shown of {uj.get('total'):,} matching of "
               f"{uj.get('users_in_snapshot'):,}; reference: {j['rows'][1]} shown of {ref_matches:,} of "
               f"{ref_total:,}" + ("" if agree else "  MISMATCH"))
        out, j = bench("summary --format json", summary_cmd, sum_spec)
        sj = json.loads(out.stdout)
        first = j["firsts"][0]
        if str(sj.get("total")) != str(first[0]) or str(sj.get("matches")) != str(first[1]):
            s.note(f"MISMATCH: rollcall summary total/matches {sj.get('total')}/{sj.get('matches')} "
                   f"vs reference {first[0]}/{first[1]}")
        else:
            s.note(f"summary totals agree with the reference ({int(first[0]):,} users)")
        # Spawning the binary at all, for scale.
        v = [self.rc("--version").wall for _ in range(self.k_latency)]
        figs["rollcall --version"] = {"rollcall_s": median(v)}
        s.row("process start alone (rollcall --version)", fmt_s(median(v)))
        s.note("reference = a fresh python process (interpreter start + import duckdb) opening the db "
               "read-only and running the same SQL rollcall runs (from the export manifest).")
        s.figures = figs
        return s

    def export(self):
        s = Section(f"export: {self.n:,} users, all rows, default columns, median of {self.k_bulk}")
        db = self.db(self.n)
        f = self.export_floor_for(self.n, s)
        s.figures.update(f)
        rt = f["rollcall_s"]
        ft = f["floor_s"]
        s.row("wall time (rollcall end to end; floor connect→close)", fmt_s(rt), fmt_s(ft), fmt_ratio(ratio(rt, ft)),
              f"≤ {AIM_RATIO}×", ratio(rt, ft) <= AIM_RATIO)
        s.row("  floor incl. python start + import duckdb", fmt_s(rt), fmt_s(f["floor_end_to_end_s"]),
              fmt_ratio(ratio(rt, f["floor_end_to_end_s"])))
        s.row("peak RSS", fmt_bytes(f["rollcall_rss_bytes"]), fmt_bytes(f["floor_rss_bytes"]),
              fmt_ratio(ratio(f["rollcall_rss_bytes"], f["floor_rss_bytes"])))
        s.row("output size", fmt_bytes(f["rollcall_bytes"]), fmt_bytes(f["floor_bytes"]),
              fmt_ratio(ratio(f["rollcall_bytes"], f["floor_bytes"])))
        s.row("rows", f"{f['rollcall_rows']:,}", f"{f['floor_rows']:,}" if f["floor_rows"] is not None else "—")
        s.note("floor = duckdb COPY (<the manifest's SQL>) TO 'floor.csv' (HEADER) on the same db, read-only; "
               "rollcall also guards cells against formula injection and hashes the file for its manifest.")
        return s

    def export_floor_for(self, users, section=None):
        if users in self.export_floor:
            return self.export_floor[users]
        db = self.db(users)
        out = self.dir / f"export-{users}.csv"
        floor = self.dir / f"floor-{users}.csv"
        rolls, floors = [], []
        m = None
        for i in range(self.k_bulk):
            progress(f"export {users:,} run {i + 1}/{self.k_bulk}")
            rm(out)
            r = self.rc("export", "--db", db, "-o", out)
            m = json.loads(Path(str(out) + ".manifest.json").read_text())
            rolls.append({"wall_s": r.wall, "rss_bytes": r.maxrss})
            rm(floor)
            fr = py_child(FLOOR_EXPORT, db, floor, m["sql"], json.dumps(m["parameters"]))
            fj = json.loads(fr.stdout)
            floors.append({"wall_s": fr.wall, "work_s": fj["work_s"], "rss_bytes": fr.maxrss, "rows": fj["rows"]})
        f = {"rollcall_s": median(r["wall_s"] for r in rolls), "floor_s": median(x["work_s"] for x in floors),
             "floor_end_to_end_s": median(x["wall_s"] for x in floors),
             "rollcall_rss_bytes": max(r["rss_bytes"] for r in rolls),
             "floor_rss_bytes": max(x["rss_bytes"] for x in floors),
             "rollcall_bytes": out.stat().st_size, "floor_bytes": floor.stat().st_size,
             "rollcall_rows": m["rows"], "floor_rows": floors[-1]["rows"],
             "rollcall_runs": rolls, "floor_runs": floors}
        f["ratio"] = ratio(f["rollcall_s"], f["floor_s"])
        self.export_floor[users] = f
        return f

    def report(self):
        sizes = sorted({REPORT_SMALL, self.n}) if self.n >= REPORT_SMALL else [self.n, REPORT_SMALL]
        s = Section(f"report: rollcall report at {', '.join(f'{n:,}' for n in sizes)} users, "
                    f"generation median of {self.k_bulk}, browser median of 3")
        figs = {}
        for users in sizes:
            try:
                figs[str(users)] = self.report_one(users, s)
            except Exception as e:  # one size failing does not hide the other
                figs[str(users)] = {"error": str(e)}
                self.results["errors"][f"report-{users}"] = str(e)
                s.row(f"{users:,}: FAILED", str(e).splitlines()[0][:100])
                s.note(f"{users:,} users failed: {e}")
        s.figures = figs
        s.note("no reference for report generation; the ratio is to the export floor (duckdb COPY to CSV) "
               "at the same size, for scale.")
        s.note("time to interactive = ms from navigation start until <body data-ready=\"1\"> (a MutationObserver "
               "injected before the page loads notes the moment), in a fresh headless Chromium per run.")
        s.note(f"search keystroke = ms from the input event of typing one character ({', '.join(KEYSTROKES)}, "
               "in turn) into #search until the frame after the page's DOM changed; a filter click likewise, "
               f"from clicking #f-{CHECK_FILTER[0]}-{CHECK_FILTER[1]} (on, then off again); a sort click likewise, "
               f"clicking the {', '.join(SORT_CLICKS)} headings in turn after the keystrokes (the first two build an "
               "order over every user from the ranks rollcall embeds; name is the embedded order). No aim for sorting.")
        s.note("loading the page = navigation start to the page's data script starting (reading and parsing the "
               "HTML, first layout); unpacking = base64, gzip and the arrays (data.js); the list's start = "
               "report.js up to data-ready. Aims (issue #11): index.html < 40 MB, time to interactive < 2 s, "
               "keystroke < 100 ms, at 1,000,000 users.")
        return s

    def expected_counts(self, db):
        """Users in the latest snapshot and those matching CHECK_FILTER, counted by DuckDB itself."""
        r = py_child(r"""
import json, sys, duckdb
c = duckdb.connect(sys.argv[1], read_only=True)
sid = c.execute("SELECT max(snapshot_id) FROM user_records").fetchone()[0]
print(json.dumps(c.execute("SELECT count(*), count(*) FILTER (WHERE " + sys.argv[2] + " = ?) FROM user_records "
                           "WHERE snapshot_id = ?", [sys.argv[3], sid]).fetchone()))
""", db, CHECK_FILTER[0], CHECK_FILTER[1])
        return json.loads(r.stdout)

    def report_one(self, users, s):
        db = self.db(users)
        out = self.dir / f"report-{users}"
        times, rss = [], []
        for i in range(self.k_bulk):
            progress(f"report {users:,} run {i + 1}/{self.k_bulk}")
            rm(out)
            r = self.rc("report", "--db", db, "--out", out)
            times.append(r.wall)
            rss.append(r.maxrss)
        index = out / "index.html"
        size = index.stat().st_size
        floor = self.export_floor_for(users)
        gen = median(times)
        f = {"generation_s": gen, "generation_runs": times, "peak_rss_bytes": max(rss), "index_html_bytes": size,
             "export_floor_s": floor["floor_s"], "ratio_to_export_floor": ratio(gen, floor["floor_s"]),
             "browser_runs": []}
        s.row(f"{users:,}: generation", fmt_s(gen), fmt_s(floor["floor_s"]) + " (export floor)",
              fmt_ratio(f["ratio_to_export_floor"]))
        s.row(f"{users:,}: generation peak RSS", fmt_bytes(max(rss)))
        s.row(f"{users:,}: index.html size", fmt_bytes(size), aim=f"< {fmt_bytes(AIM_PAGE_BYTES)}",
              ok=size < AIM_PAGE_BYTES)
        url = index.resolve().as_uri()
        if not Path(self.a.chromium).exists():
            s.row(f"{users:,}: time to interactive", f"unavailable: no {self.a.chromium}")
            return f
        browser_error = None
        for i in range(3):
            progress(f"report {users:,}: browser run {i + 1}/3")
            try:
                f["browser_runs"].append(measure_page(self.a.chromium, url))
            except Exception as e:
                browser_error = f"{type(e).__name__}: {e}"
                break
        runs = f["browser_runs"]
        if browser_error and not runs:
            # The DevTools pipe failed: fall back to --dump-dom and the page's own data-ready-ms.
            s.note(f"{users:,}: DevTools driver failed ({browser_error}); fell back to --dump-dom")
            vals = [tti_dump_dom(self.a.chromium, url) for _ in range(3)]
            tti = median(vals)
            f["tti_ms"] = tti
            f["tti_method"] = "dump-dom data-ready-ms"
            s.row(f"{users:,}: time to interactive",
                  f"{tti:.0f} ms" if tti is not None else "unavailable (no data-ready-ms on <body>)")
            s.row(f"{users:,}: search keystroke", "unavailable with --dump-dom (see the Rust browser tests)")
            return f
        if browser_error:
            s.note(f"{users:,}: a browser run failed: {browser_error}")
        page_ms = median(r["ready_page_ms"] for r in runs)
        obs_ms = median(r["ready_observed_ms"] for r in runs)
        tti = page_ms if page_ms is not None else obs_ms
        f["tti_ms"] = tti
        f["tti_method"] = "page data-ready-ms" if page_ms is not None else "observed data-ready"
        f["load_ms"] = median(r["load_ms"] for r in runs)
        keys = [k for r in runs for k in r["keystrokes_ms"]]
        f["keystroke_ms_median"] = median(keys)
        f["keystroke_ms_max"] = max((k for k in keys if k is not None), default=None)
        s.row(f"{users:,}: time to interactive ({f['tti_method']})",
              f"{tti:.0f} ms" if tti is not None else "unavailable (data-ready never set)",
              aim=f"< {AIM_TTI_MS} ms", ok=None if tti is None else tti < AIM_TTI_MS)
        s.row(f"{users:,}: load event", f"{f['load_ms']:.0f} ms" if f["load_ms"] is not None else "—")
        start, unpacked = median(r.get("data_start") for r in runs), median(r.get("data_unpacked") for r in runs)
        if start is not None and unpacked is not None and tti is not None:
            f.update({"data_start_ms": start, "data_unpacked_ms": unpacked})
            s.row(f"{users:,}: of which loading the page / unpacking the data / the list's start",
                  f"{start:.0f} / {unpacked - start:.0f} / {tti - unpacked:.0f} ms")
        heap = median(r.get("heap") for r in runs)
        if heap:
            f["js_heap_bytes"] = heap
            s.row(f"{users:,}: JavaScript heap once interactive", fmt_bytes(heap))
        # Opens and filters: every user is in the list, and one filter gives DuckDB's own count.
        want_all, want_filtered = self.expected_counts(db)
        got = [(r.get("visible_at_ready"), r.get("visible_filtered"), r.get("visible_unfiltered")) for r in runs]
        opens = all(g == (want_all, want_filtered, want_all) for g in got)
        f.update({"expected_users": want_all, "expected_filtered": want_filtered, "visible": got, "opens_and_filters": opens})
        s.row(f"{users:,}: opens with every user, filters {CHECK_FILTER[0]}={CHECK_FILTER[1]}",
              f"{got[0][0]:,} users, {got[0][1]:,} filtered" if got and None not in got[0] else f"got {got}",
              f"{want_all:,} / {want_filtered:,} (DuckDB)", aim="equal", ok=opens)
        clicks = [k for r in runs for k in (r.get("filter_on_ms"), r.get("filter_off_ms"))]
        f["filter_click_ms_median"] = median(clicks)
        f["filter_click_ms_max"] = max((k for k in clicks if k is not None), default=None)
        if f["filter_click_ms_median"] is not None:
            s.row(f"{users:,}: filter click (median / max of {len(clicks)})",
                  f"{f['filter_click_ms_median']:.0f} / {f['filter_click_ms_max']:.0f} ms",
                  aim=f"< {AIM_KEYSTROKE_MS} ms", ok=f["filter_click_ms_max"] < AIM_KEYSTROKE_MS)
        for i, key in enumerate(SORT_CLICKS):
            ms = [r["sort_ms"][i] for r in runs if r.get("sort_ms") and r["sort_ms"][i] is not None]
            f[f"sort_{key}_ms_median"] = median(ms)
            if ms:
                s.row(f"{users:,}: sort click, {key} (median / max of {len(ms)})",
                      f"{median(ms):.0f} / {max(ms):.0f} ms")
        if keys:
            s.row(f"{users:,}: search keystroke (median / max of {len(keys)})",
                  f"{f['keystroke_ms_median']:.0f} / {f['keystroke_ms_max']:.0f} ms"
                  if f["keystroke_ms_median"] is not None else "unavailable (no DOM change)",
                  aim=f"< {AIM_KEYSTROKE_MS} ms",
                  ok=None if f["keystroke_ms_max"] is None else f["keystroke_ms_max"] < AIM_KEYSTROKE_MS)
        else:
            s.row(f"{users:,}: search keystroke", "unavailable (no #search box or page never ready)")
        return f

    # ---- serve
    def serve_mix(self, db):
        """Every request of the mix: its class, label, path and the statements the server runs for
        it (self-contained, from the export manifests and queries/), plus the answers DuckDB gives,
        to check the server's against. Returns (schedule of (class, request), requests)."""
        snap = [fragment("read/snapshots.sql"), []]
        by = {"list": [], "details": [], "summary": []}
        cte = scope = None
        for i, (label, filters, search, sort, offset) in enumerate(SERVE_LISTS):
            progress(f"serve: the SQL of list page {i + 1}/{len(SERVE_LISTS)} (rollcall export's manifest)")
            m, out = self.manifest(db, [*filter_flags(filters, search, sort), "--columns", SERVE_COLUMNS],
                                   f"serve-list-{self.n}-{i}")
            rm(out)  # only its manifest is needed
            cte, pred = split_listing_sql(m["sql"])
            scope = m["parameters"][:3]
            where = predicate(filters, search)
            if (pred, m["parameters"][3:]) != (where[0], where[1]):
                raise RuntimeError(f"list page '{label}': the manifest's predicate is not the one bench.py builds "
                                   f"for the summaries (did read::predicate change?):\n{pred}\n!=\n{where[0]}")
            page, page_params = m["sql"] + "\nLIMIT ?", m["parameters"] + [PAGE_LIMIT]
            if offset:  # Listing::select adds OFFSET only when it is not 0
                page, page_params = page + "\nOFFSET ?", page_params + [offset]
            count, count_params = fill(fragment("read/count.sql"), {"where": where})
            path = "/api/users?" + url_query(filters, search, sort,
                                             [("limit", PAGE_LIMIT), ("offset", offset), ("columns", SERVE_COLUMNS)])
            by["list"].append({"label": label, "path": path,
                               "queries": [snap, [page, page_params], [cte + count, scope + count_params]]})
        sid = scope[0]
        side = [[fragment("read/rejects.sql"), [sid]], [fragment("read/notices.sql"), [sid]]]
        for label, filters, search in SERVE_SUMMARIES:
            path = "/api/summary" + (("?" + url_query(filters, search)) if filters or search else "")
            by["summary"].append({"label": label, "path": path,
                                  "queries": [snap, list(summary_statement(cte, scope, filters, search)), *side]})
        devices_cte = (f"WITH params AS ({fragment('session/params.sql')}),\ndevices AS (\n"
                       f"{fragment('views/devices.sql')}\n)\n")
        con = duckdb.connect(str(db), read_only=True)
        try:
            con.execute("SET enable_progress_bar = false")
            # Real users, spread through the file, the same number of each status.
            emails = con.execute(
                "SELECT email, email_key, status FROM (SELECT email, email_key, status, line, "
                "row_number() OVER (PARTITION BY status ORDER BY line) - 1 AS i, "
                "greatest(count(*) OVER (PARTITION BY status) // ?, 1) AS stride "
                "FROM user_records WHERE snapshot_id = ?) WHERE i % stride = 0 AND i // stride < ? "
                "ORDER BY line", [SERVE_DETAILS_PER_STATUS, sid, SERVE_DETAILS_PER_STATUS]).fetchall()
            for email, key, status in emails:
                by["details"].append({
                    "label": status, "path": "/api/user?" + urllib.parse.urlencode({"email": email}),
                    "queries": [snap, [cte + fragment("read/user.sql"), scope + [key]],
                                [devices_cte + fragment("read/user_devices.sql"), scope + [key]]],
                    "email": email, "status": status})
            # The answers, to check the server's against.
            for r in by["list"]:
                _, page, counts = [con.execute(q, p).fetchall() for q, p in r["queries"]]
                r["expect"] = {"count": len(page), "total": counts[0][0], "users_in_snapshot": counts[0][1],
                               "first_email": page[0][1] if page else None}
            for r in by["summary"]:
                row = con.execute(*r["queries"][1]).fetchone()
                r["expect"] = {"total": row[0], "matches": row[1]}
            for r in by["details"]:
                devices = con.execute(*r["queries"][2]).fetchall()
                r["expect"] = {"email": r["email"], "status": r["status"], "devices": len(devices)}
        finally:
            con.close()
        nxt = {k: 0 for k in by}
        schedule = []
        for _ in range(SERVE_CYCLES):
            for cls in SERVE_PATTERN:
                schedule.append((cls, by[cls][nxt[cls] % len(by[cls])]))
                nxt[cls] += 1
        return schedule, by

    @staticmethod
    def check_answer(cls, r, body):
        """What differs between the server's JSON and DuckDB's answer (empty when they agree)."""
        try:
            j = json.loads(body)
        except ValueError:
            return ["not JSON"]
        e = r["expect"]
        if cls == "list":
            got = {"count": j.get("count"), "total": j.get("total"), "users_in_snapshot": j.get("users_in_snapshot"),
                   "first_email": (j.get("users") or [{}])[0].get("email") if j.get("users") else None}
        elif cls == "summary":
            got = {"total": j.get("total"), "matches": j.get("matches")}
        else:
            got = {"email": j.get("email"), "status": j.get("status"), "devices": len(j.get("devices") or [])}
        return [f"{k} {got[k]!r} (DuckDB: {e[k]!r})" for k in e if got[k] != e[k]]

    def serve(self):
        secs = self.a.serve_seconds
        s = Section(f"serve: {self.n:,} users, {SERVE_CLIENTS} connections for {secs} s over a mix of list pages, "
                    f"details and summaries; then the full CSV download, median of {self.k_bulk}")
        wrk = shutil.which("wrk")
        if not wrk:
            raise RuntimeError("wrk is not installed: apt-get install wrk (Debian's package)")
        load_start = uptime()
        db = self.db(self.n)
        schedule, by = self.serve_mix(db)
        figs = {"uptime_at_start": load_start, "seconds": secs, "clients": SERVE_CLIENTS,
                "paths": {cls: [[r["label"], r["path"]] for r in rs] for cls, rs in by.items()}}
        work = self.dir / "serve"
        work.mkdir(exist_ok=True)
        progress("serve: starting rollcall serve")
        server = Served(self.bin, db, work, self.a.serve_arg)
        figs["server_command"] = " ".join(server.cmd)
        figs["optional_flags_offered"] = server.optional
        try:
            # Warm-up: every distinct request once, its answer checked against DuckDB's.
            progress(f"serve: warm-up, {sum(len(v) for v in by.values())} distinct requests at {server.base}")
            bad = []
            for cls, rs in by.items():
                for r in rs:
                    status, body = server.get(r["path"])
                    if status != 200:
                        bad.append(f"{r['path']}: HTTP {status} {body[:200]!r}")
                    else:
                        bad += [f"{r['path']}: {d}" for d in self.check_answer(cls, r, body)]
            figs["warmup_mismatches"] = bad
            if bad:
                s.note(f"MISMATCH in {len(bad)} warm-up answers, e.g. {bad[0]}")
            else:
                s.note("warm-up: every distinct request answered 200, agreeing with DuckDB's counts, first rows "
                       "and statuses")
            # The load: one wrk thread per connection (see WRK_LUA).
            items = ",\n  ".join("{%s, %s}" % (json.dumps(cls), json.dumps(r["path"])) for cls, r in schedule)
            lua = work / "mix.lua"
            out = work / "wrk.out"
            lua.write_text(WRK_LUA.replace("ITEMS", items).replace("CLIENTS", str(SERVE_CLIENTS))
                           .replace("OUT", json.dumps(str(out))))
            rm(out)
            progress(f"serve: wrk -t{SERVE_CLIENTS} -c{SERVE_CLIENTS} -d{secs}s ({uptime()})")
            w = run([wrk, f"-t{SERVE_CLIENTS}", f"-c{SERVE_CLIENTS}", f"-d{secs}s", f"--timeout", f"{SERVE_TIMEOUT_S}s",
                     "-s", lua, server.base + "/"], capture=True, timeout=secs + 120)
            totals, reqs, lost, inflight = read_wrk(out)
            figs["wrk_stdout"] = w.stdout
            figs["wrk_totals"] = totals
            figs["server_peak_rss_load_bytes"] = server.hwm()
            alive = server.proc.poll() is None
            if not alive:
                raise RuntimeError(f"the server exited during the load (status {server.proc.returncode}): "
                                   f"{server.stderr_tail()}")
            # The full download, after the load, on the same server.
            dl = self.serve_download(server, db, s)
        finally:
            server.stop()
        figs["server_stderr_tail"] = server.stderr_tail(20)
        # The floor: DuckDB itself, the same requests at the same concurrency for the same time.
        progress(f"serve: the floor, {SERVE_CLIENTS} DuckDB threads for {secs} s ({uptime()})")
        spec_path = work / "floor-spec.json"
        distinct, seen = [], set()
        for i, (cls, r) in enumerate(schedule):
            if r["path"] not in seen:
                seen.add(r["path"])
                distinct.append(i)
        spec_path.write_text(json.dumps({"db": str(db), "clients": SERVE_CLIENTS, "seconds": secs,
                                         "distinct": distinct,
                                         "items": [[cls, r["queries"]] for cls, r in schedule]}))
        fr = run([sys.executable, "-c", FLOOR_SERVE, spec_path], capture=True, timeout=secs + 1800)
        fj = json.loads(fr.stdout)
        figs["floor_peak_rss_bytes"] = fr.maxrss
        figs["floor_first_errors"] = fj["first_errors"]
        dl_floor = self.serve_download_floor(db, dl)
        figs["download"] = dl
        figs["download_floor"] = dl_floor
        figs["uptime_at_end"] = uptime()
        self.serve_table(s, figs, schedule, totals, reqs, lost, inflight, fj, dl, dl_floor)
        s.figures = figs
        return s

    def serve_download(self, server, db, s):
        """The full CSV download (no filters) from the running server, median of k_bulk, with the
        server's peak RSS during each (VmHWM reset before it), and the manifest of what it sent."""
        d = {"route": "/export.csv", "manifest_route": None, "runs": []}
        for route in ("/export.manifest.json", "/manifest.json"):
            status, body = server.get(route)
            if status == 200:
                m = json.loads(body)
                d.update(manifest_route=route, sql=m["sql"], params=m["parameters"], manifest_rows=m.get("rows"))
                break
        else:
            m, out = self.manifest(db, [], f"serve-download-{self.n}")
            rm(out)
            d.update(sql=m["sql"], params=m["parameters"], manifest_rows=m.get("rows"))
            s.note("the server offers no manifest route: the COPY runs `rollcall export`'s default query")
        target = self.dir / "serve" / "download.csv"
        for i in range(self.k_bulk):
            progress(f"serve: download {d['route']} run {i + 1}/{self.k_bulk}")
            rm(target)
            server.reset_hwm()
            status, secs, size = server.download(d["route"], target)
            if status == 404 and d["route"] == "/export.csv":
                d["route"] = "/users.csv"
                s.note("/export.csv answered 404 on this binary: the download is the old route /users.csv "
                       "(written whole into memory, then sent)")
                server.reset_hwm()
                status, secs, size = server.download(d["route"], target)
            if status != 200:
                raise RuntimeError(f"GET {d['route']}: HTTP {status}: {size[:300]!r}")
            d["runs"].append({"s": secs, "bytes": size, "peak_rss_bytes": server.hwm()})
        with open(target, "rb") as f:
            d["lines"] = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        d["s"] = median(r["s"] for r in d["runs"])
        d["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in d["runs"])
        d["bytes"] = d["runs"][-1]["bytes"]
        return d

    def serve_download_floor(self, db, dl):
        floor = self.dir / "serve" / "floor.csv"
        runs = []
        for i in range(self.k_bulk):
            progress(f"serve: the download's floor, COPY run {i + 1}/{self.k_bulk}")
            rm(floor)
            fr = py_child(FLOOR_EXPORT, db, floor, dl["sql"], json.dumps(dl["params"]))
            fj = json.loads(fr.stdout)
            runs.append({"work_s": fj["work_s"], "wall_s": fr.wall, "rss_bytes": fr.maxrss, "rows": fj["rows"]})
        return {"s": median(r["work_s"] for r in runs), "end_to_end_s": median(r["wall_s"] for r in runs),
                "rss_bytes": max(r["rss_bytes"] for r in runs), "rows": runs[-1]["rows"],
                "bytes": floor.stat().st_size, "runs": runs}

    def serve_table(self, s, figs, schedule, totals, reqs, lost, inflight, fj, dl, dlf):
        """reqs: [schedule index, status, seconds] from wrk; fj["requests"]: [index, seconds, ok]."""
        dur, fdur = totals["duration_us"] / 1e6, fj["duration_s"]
        # Per path, for results.json: which requests are slow on either side.
        per_path = {}
        for side, xs, lat in (("rollcall", reqs, 2), ("duckdb", fj["requests"], 1)):
            for x in xs:
                cls, r = schedule[x[0]]
                per_path.setdefault(r["path"], {"class": cls, "label": r["label"]}).setdefault(side, []).append(x[lat])
        for v in per_path.values():
            for side in ("rollcall", "duckdb"):
                xs = v.pop(side, [])
                v[side] = {"n": len(xs), "p50_s": percentile(xs, 50), "max_s": max(xs, default=None)}
        figs["per_path"] = per_path
        stats = {}
        for cls, label in SERVE_CLASSES + [("all", "all requests")]:
            def mine(xs):
                return [x for x in xs if cls == "all" or schedule[x[0]][0] == cls]
            rq, fq = mine(reqs), mine(fj["requests"])
            non2xx = {}
            for r in rq:
                if not 200 <= r[1] < 300:
                    non2xx[r[1]] = non2xx.get(r[1], 0) + 1
            late = mine(inflight)
            st = {
                "requests": len(rq), "ok": sum(1 for r in rq if 200 <= r[1] < 300),
                "rps": sum(1 for r in rq if 200 <= r[1] < 300) / dur,
                "p50_s": percentile([r[2] for r in rq], 50), "p99_s": percentile([r[2] for r in rq], 99),
                "max_s": max((r[2] for r in rq), default=None),
                "non2xx": non2xx, "socket_errors": len(mine(lost)),
                "timeouts": sum(1 for r in rq if r[2] > SERVE_TIMEOUT_S) + sum(1 for x in late if x[1] > SERVE_TIMEOUT_S),
                "inflight_at_end": len(late),
                "floor_requests": len(fq), "floor_rps": sum(1 for r in fq if r[2]) / fdur,
                "floor_p50_s": percentile([r[1] for r in fq], 50), "floor_p99_s": percentile([r[1] for r in fq], 99),
                "floor_errors": sum(1 for r in fq if not r[2]),
                "floor_timeouts": sum(1 for r in fq if r[1] > SERVE_TIMEOUT_S),
            }
            st["errors"] = sum(non2xx.values()) + st["socket_errors"] + st["timeouts"]
            stats[cls] = st
            aim = cls in ("list", "summary")
            s.row(f"{label}: throughput (2xx/s)", f"{st['rps']:.1f} req/s", f"{st['floor_rps']:.1f} req/s",
                  fmt_ratio(ratio(st["rps"], st["floor_rps"])))
            s.row(f"{label}: p50", fmt_s(st["p50_s"]), fmt_s(st["floor_p50_s"]),
                  fmt_ratio(ratio(st["p50_s"], st["floor_p50_s"])))
            s.row(f"{label}: p99", fmt_s(st["p99_s"]), fmt_s(st["floor_p99_s"]),
                  fmt_ratio(ratio(st["p99_s"], st["floor_p99_s"])),
                  f"< {AIM_SERVE_P99_S * 1000:.0f} ms" if aim else "—",
                  (st["p99_s"] is not None and st["p99_s"] < AIM_SERVE_P99_S) if aim else None)
            parts = [f"HTTP {k} ×{v}" for k, v in sorted(non2xx.items())]
            if st["socket_errors"]:
                parts.append(f"socket ×{st['socket_errors']}")
            if st["timeouts"]:
                parts.append(f"over {SERVE_TIMEOUT_S} s ×{st['timeouts']}")
            fparts = [f"{k} ×{v}" for k, v in (("failed", st["floor_errors"]),
                                                (f"over {SERVE_TIMEOUT_S} s", st["floor_timeouts"])) if v]
            s.row(f"{label}: errors (of {st['requests']:,}; DuckDB's of {st['floor_requests']:,})",
                  f"{st['errors']}" + (f" ({', '.join(parts)})" if parts else ""),
                  f"{st['floor_errors'] + st['floor_timeouts']}" + (f" ({', '.join(fparts)})" if fparts else ""),
                  "—", "0" if cls != "all" else "—",
                  st["errors"] == 0 if cls != "all" else None)
        figs["classes"] = stats
        s.row("server peak RSS over warm-up and load (VmHWM)", fmt_bytes(figs["server_peak_rss_load_bytes"]),
              fmt_bytes(figs["floor_peak_rss_bytes"]) + " (python + duckdb)",
              fmt_ratio(ratio(figs["server_peak_rss_load_bytes"], figs["floor_peak_rss_bytes"])))
        r = ratio(dl["s"], dlf["s"])
        rows = dl["manifest_rows"]
        s.row(f"full CSV download GET {dl['route']} (request → last byte; COPY connect→close)", fmt_s(dl["s"]),
              fmt_s(dlf["s"]), fmt_ratio(r), f"≤ {AIM_RATIO}×", r is not None and r <= AIM_RATIO)
        s.row("  download: server peak RSS (VmHWM reset before it)", fmt_bytes(dl["peak_rss_bytes"]),
              fmt_bytes(dlf["rss_bytes"]) + " (COPY process)", fmt_ratio(ratio(dl["peak_rss_bytes"], dlf["rss_bytes"])),
              f"< {AIM_DOWNLOAD_RSS_BYTES / 1e6:.0f} MB", dl["peak_rss_bytes"] < AIM_DOWNLOAD_RSS_BYTES)
        s.row("  download: size / rows", f"{fmt_bytes(dl['bytes'])} / {rows:,}" if rows is not None
              else fmt_bytes(dl["bytes"]), f"{fmt_bytes(dlf['bytes'])} / {dlf['rows']:,}")
        if rows is not None and dl["lines"] - 1 != rows:
            s.note(f"the download has {dl['lines'] - 1:,} lines after its header, its manifest says {rows:,} rows "
                   "(a quoted cell may hold a line break)")
        # What was run, and how.
        flags = figs["optional_flags_offered"]
        s.note(f"server: `{figs['server_command']}`; it offers "
               + (f"{' and '.join(flags)}" + ("" if self.a.serve_arg else " (left at their defaults)") if flags else
                  "neither --workers nor --query-timeout (the server of main before the rewrite)"))
        s.note(f"mix: the schedule of {len(SERVE_PATTERN) * SERVE_CYCLES} requests repeats "
               f"{'/'.join(SERVE_PATTERN)}, taking each class's paths in turn ({len(SERVE_LISTS)} list pages, "
               f"{len(figs['paths']['details'])} users' details, {len(SERVE_SUMMARIES)} summaries; see "
               "results.json); every client walks it from its own offset.")
        s.note(f"rollcall: wrk -t{SERVE_CLIENTS} -c{SERVE_CLIENTS} -d{figs['seconds']}s (one connection per wrk "
               "thread, so each response pairs with its request); latency = request() to response() in the Lua "
               "script, monotonic clock; p50/p99 over every answer (nearest rank); throughput counts 2xx answers "
               f"over wrk's {dur:.1f} s. wrk's totals: {totals['requests']:,} answers, socket errors connect "
               f"{totals['connect']} read {totals['read']} write {totals['write']}, non-2xx {totals['status']}; "
               f"{len(inflight)} still waiting at the end (not counted"
               + (f"; the longest for {fmt_s(max(x[1] for x in inflight))})." if inflight else ").")
               + f" DuckDB: {len(fj['inflight'])} still running at the end.")
        s.note(f"DuckDB: {SERVE_CLIENTS} threads in one python process, each its own cursor on one read-only "
               "connection, the same schedule and offsets, each request the statements the server runs (snapshot "
               "lookup; page + count | summary scan + rejects + notices | user + devices), self-contained as the "
               "export manifest records them; requests still running at the end not counted.")
        s.note(f"download floor = duckdb COPY ({dl['manifest_route'] or 'rollcall export'}'s SQL) TO 'floor.csv' "
               "(HEADER), read-only; the server also guards cells against formula injection.")
        s.note(f"the machine is shared with other builds: uptime at the start: {figs['uptime_at_start']}; "
               f"at the end: {figs['uptime_at_end']}")

    # ---- history (issue #13)
    def history_db(self, users):
        """A copy of the ingested sample with its evolved copy (`sample --evolve-from`, EVOLVE_DAYS
        later) ingested as a second snapshot: made once, untimed."""
        db = self.dir / f"history-{users}.duckdb"
        if db.exists():
            return db
        base = self.db(users)
        sample = self.sample(users)
        evolved = self.dir / f"sample-{users}-plus{EVOLVE_DAYS}d"
        rm(evolved)
        progress(f"rollcall sample --evolve-from {sample.name} --days {EVOLVE_DAYS}")
        r = self.rc("sample", "--evolve-from", sample, "--days", EVOLVE_DAYS, "--seed", self.a.seed, "--out", evolved)
        self.results.setdefault("setup", {})[f"evolve-{users}"] = {"evolve_s": r.wall, "evolve_rss_bytes": r.maxrss}
        truth = json.loads((evolved / "truth.json").read_text())
        tmp = self.dir / f"history-{users}.tmp.duckdb"
        rm(tmp)
        shutil.copyfile(base, tmp)
        progress(f"ingesting the evolved copy into {db.name}")
        self.rc("ingest", "--quiet", "--users", evolved / "users.csv", "--devices", evolved / "devices.csv",
                "--as-of", truth["to"]["as_of"], "--db", tmp)
        tmp.rename(db)
        return db

    def trend_db(self):
        """TREND_SNAPSHOTS snapshots of the TREND_USERS sample, a week apart (the same files at
        each as-of: activity differs), made once, untimed."""
        db = self.dir / f"trend-{TREND_SNAPSHOTS}x{TREND_USERS}.duckdb"
        if db.exists():
            return db
        sample = self.sample(TREND_USERS)
        tmp = self.dir / "trend.tmp.duckdb"
        rm(tmp)
        for i in range(TREND_SNAPSHOTS):
            start = datetime.datetime.strptime(AS_OF, "%Y-%m-%dT%H:%M:%SZ")
            as_of = (start + datetime.timedelta(days=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            progress(f"trend: ingesting snapshot {i + 1}/{TREND_SNAPSHOTS} (as of {as_of})")
            self.rc("ingest", "--quiet", "--users", sample / "users.csv", "--devices", sample / "devices.csv",
                    "--as-of", as_of, "--db", tmp)
        tmp.rename(db)
        return db

    def history(self):
        s = Section(f"history: diff of {self.n:,} users and their evolved copy (+{EVOLVE_DAYS} days), median of "
                    f"{self.k_bulk}; trend over {TREND_SNAPSHOTS} snapshots of {TREND_USERS:,}, median of "
                    f"{self.k_latency}")
        db = self.history_db(self.n)
        out = self.dir / f"diff-{self.n}.csv"
        floor = self.dir / f"floor-diff-{self.n}.csv"
        rolls, floors = [], []
        m = None
        for i in range(self.k_bulk):
            progress(f"diff run {i + 1}/{self.k_bulk}")
            rm(out)
            r = self.rc("diff", "--db", db, "--format", "csv", "-o", out)
            m = json.loads(Path(str(out) + ".manifest.json").read_text())
            rolls.append({"wall_s": r.wall, "rss_bytes": r.maxrss})
            rm(floor)
            fr = py_child(FLOOR_EXPORT, db, floor, m["sql"], json.dumps(m["parameters"]))
            fj = json.loads(fr.stdout)
            floors.append({"wall_s": fr.wall, "work_s": fj["work_s"], "rss_bytes": fr.maxrss, "rows": fj["rows"]})
        rt = median(x["wall_s"] for x in rolls)
        ft = median(x["work_s"] for x in floors)
        r_ = ratio(rt, ft)
        s.row("diff wall time (rollcall end to end; floor connect→close)", fmt_s(rt), fmt_s(ft), fmt_ratio(r_),
              f"≤ {AIM_RATIO}×", r_ is not None and r_ <= AIM_RATIO)
        s.row("  floor incl. python start + import duckdb", fmt_s(rt), fmt_s(median(x["wall_s"] for x in floors)),
              fmt_ratio(ratio(rt, median(x["wall_s"] for x in floors))))
        s.row("diff peak RSS", fmt_bytes(max(x["rss_bytes"] for x in rolls)),
              fmt_bytes(max(x["rss_bytes"] for x in floors)))
        s.row("changed users (rows)", f"{m['rows']:,}", f"{floors[-1]['rows']:,}" if floors[-1]["rows"] else "—")
        # The trend.
        tdb = self.trend_db()
        times = []
        doc = None
        for i in range(self.k_latency):
            progress(f"trend run {i + 1}/{self.k_latency}")
            r = self.rc("trend", "--db", tdb, "--format", "json", capture=True)
            times.append(r.wall)
            doc = json.loads(r.stdout)
        # The users view's CTE as rollcall records it, from an export manifest of the trend's db.
        em = self.dir / "trend-cte.csv"
        rm(em)
        self.rc("export", "--db", tdb, "--snapshot", "1", "-o", em)
        m1 = json.loads(Path(str(em) + ".manifest.json").read_text())
        cte, _ = split_listing_sql(m1["sql"])
        statements = []
        for p in doc["snapshots"]:
            sql, params = summary_statement(cte, [p["snapshot"]["id"], p["as_of"], p["window_days"]], [], None)
            statements.append([sql, params])
        spec = self.dir / "trend-floor.json"
        spec.write_text(json.dumps(statements))
        ftimes, totals = [], None
        for i in range(self.k_latency):
            fr = py_child(FLOOR_TREND, tdb, spec)
            fj = json.loads(fr.stdout)
            ftimes.append(fj["work_s"])
            totals = fj["totals"]
        tt, tf = median(times), median(ftimes)
        s.row(f"trend wall time ({TREND_SNAPSHOTS} snapshots; floor: the same scans, connect→close)", fmt_s(tt),
              fmt_s(tf), fmt_ratio(ratio(tt, tf)), f"< {AIM_TREND_S:.0f} s", tt < AIM_TREND_S)
        same = totals == [p["funnel"]["total"] for p in doc["snapshots"]]
        s.row("  trend totals equal DuckDB's", "yes" if same else "NO", ok=same)
        s.figures = {"diff_rollcall_runs": rolls, "diff_floor_runs": floors, "diff_s": rt, "diff_floor_s": ft,
                     "diff_ratio": r_, "diff_rows": m["rows"], "trend_runs_s": times, "trend_floor_runs_s": ftimes,
                     "trend_s": tt, "trend_floor_s": tf}
        s.note(f"diff floor = duckdb COPY (<the diff manifest's SQL: queries/diff/users.sql, both snapshots' users "
               f"views and their full outer join on the email key>) TO 'floor.csv' (HEADER), read-only; rollcall "
               f"also turns the rows into its JSON-able users, guards the CSV and hashes it for the manifest.")
        s.note(f"the evolved copy: `rollcall sample --evolve-from sample-{self.n} --days {EVOLVE_DAYS}` (untimed here; "
               "see results.json setup)")
        s.note(f"trend data: the {TREND_USERS:,}-user sample ingested {TREND_SNAPSHOTS} times a week apart; the floor "
               "runs read::summary's one-scan statement (as the serve section builds it) per snapshot.")
        return s

    # ---- driver
    def go(self):
        only = self.a.only or SECTIONS
        # One benchmark at a time per folder: two would delete each other's files and share the CPU.
        self.lock = open(self.dir / ".lock", "w")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another benchmark is running in {self.dir}; wait for it (its figures would be "
                  "disturbed too) or set BENCH_DIR to another folder", file=sys.stderr)
            return 2
        if "serve" in only and not shutil.which("wrk"):
            print("the serve section needs wrk, the HTTP load generator: apt-get install wrk (Debian's package), "
                  "or leave the section out (--only ingest,query,export,report)", file=sys.stderr)
            return 2
        print(f"rollcall bench: {self.n:,} users; binary {self.bin}; data in {self.dir}")
        print(f"{self.version()}; duckdb (python) {duckdb.__version__}; load average {os.getloadavg()}")
        print("aims are stated for 1,000,000 users; at other sizes the verdicts are indicative only.")
        plan = [("setup", self.setup)] + [(n, getattr(self, n)) for n in SECTIONS if n in only]
        for name, fn in plan:
            load = os.getloadavg()
            t0 = time.perf_counter()
            try:
                sec = fn()
                sec.figures["load_average_at_start"] = load
                sec.figures["section_s"] = time.perf_counter() - t0
                sec.print()
                self.results["sections"][name] = sec.json()
            except Exception as e:
                print(f"\n== {name} ==\nSECTION FAILED: {e}", flush=True)
                if not isinstance(e, CmdFailed):
                    traceback.print_exc()
                self.results["errors"][name] = str(e)
                if name == "setup":
                    break  # nothing else can run without the sample
            self.save()
        self.machine()
        self.save()
        print(f"\nresults: {self.dir / 'results.json'}")
        return 1 if self.results["errors"] else 0

    def version(self):
        try:
            return self.rc("--version", capture=True).stdout.strip()
        except Exception as e:
            return f"(--version failed: {e})"

    def machine(self):
        cpu = "?"
        mem = None
        try:
            cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
            mem = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) * 1024
        except Exception:
            pass
        osname = platform.platform()
        try:
            osname = re.search(r'PRETTY_NAME="([^"]*)"', Path("/etc/os-release").read_text()).group(1) + \
                f" (kernel {platform.release()})"
        except Exception:
            pass
        chromium = None
        try:
            chromium = run([self.a.chromium, "--version"], capture=True, timeout=60).stdout.strip()
        except Exception:
            pass
        wrk = None
        if shutil.which("wrk"):  # `wrk -v` prints its version line, then the usage, and exits 1
            wrk = run(["wrk", "-v"], capture=True, timeout=60, check=False).stdout.splitlines()[0].strip()
        m = {"nproc": os.cpu_count(), "cpu": cpu, "memory_bytes": mem, "os": osname,
             "python": platform.python_version(), "duckdb_python": duckdb.__version__,
             "rollcall": self.version(), "chromium": chromium, "wrk": wrk, "load_average_at_end": os.getloadavg()}
        self.results["machine"] = m
        print("\n== machine ==")
        for k, v in m.items():
            if k == "memory_bytes" and v:
                v = f"{v / 2**30:.1f} GiB"
            print(f"{k:20} {v}")

    def save(self):
        self.results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        path = self.dir / "results.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.results, indent=2, default=str) + "\n")
        tmp.replace(path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True, help="the rollcall release binary")
    p.add_argument("--users", type=lambda s: int(s.replace(",", "").replace("_", "")), default=1_000_000,
                   help="organisation size (default 1,000,000)")
    p.add_argument("--runs", type=int, default=None,
                   help="runs per measurement (default 5 for latencies, 3 for bulk jobs)")
    p.add_argument("--only", action="append", default=None, metavar="SECTION",
                   help=f"run only these sections ({'|'.join(SECTIONS)}); repeatable or comma-separated")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bench-dir", default=os.environ.get("BENCH_DIR", str(Path.home() / ".cache/rollcall-bench")),
                   help="work folder for generated data and results.json (default $BENCH_DIR or ~/.cache/rollcall-bench)")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--serve-seconds", type=int, default=SERVE_SECONDS,
                   help=f"how long the serve section's load runs, on each side (default {SERVE_SECONDS})")
    p.add_argument("--serve-arg", action="append", default=[], metavar="ARG",
                   help="an argument added to `rollcall serve`, e.g. --serve-arg=--workers=8 (repeatable)")
    a = p.parse_args()
    if a.only:
        a.only = [x.strip() for o in a.only for x in o.split(",") if x.strip()]
        bad = [x for x in a.only if x not in SECTIONS]
        if bad:
            p.error(f"--only {', '.join(bad)}: expected {', '.join(SECTIONS)}")
    if a.serve_seconds < 1:
        p.error("--serve-seconds must be at least 1")
    if a.runs is not None and a.runs < 1:
        p.error("--runs must be at least 1")
    sys.exit(Bench(a).go())


if __name__ == "__main__":
    main()
