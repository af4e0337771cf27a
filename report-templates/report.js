/* rollcall report: the interactive users list. One front-end, two data sources: the static
   report reads its embedded data (#rollcall-data, unpacked by data.js) and never touches the
   network; served by `rollcall serve` (data.served) it keeps the same controls, table, charts
   and details but asks the JSON API for each page of rows, the counts and a user's details, so
   filtering, search, sorting and paging run in SQL over the whole snapshot. No eval, no inline
   handlers, no innerHTML with data. */
(async function () {
  'use strict';

  var OVERSCAN = 8;
  var PRINT_CAP = 5000;
  var NONE = 255;
  var GUARD_FIRST = '=+-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20';
  var NEEDS_QUOTES = /[",\r\n]/;
  var QUOTE = /"/g;

  var doc = document;
  function byId(id) { return doc.getElementById(id); }

  // ---------------------------------------------------------------- data
  var data = {};
  try { data = (await window.rollcallData()) || {}; } catch (err) { data = {}; }
  // Served: rows come from the API a page at a time (see "served" below).
  var SERVED = data.served === true;
  var API = SERVED ? String(data.api || '/api/') : '';
  var PAGE_SIZE = 50;
  // Every word shown comes from the data (src/domain.rs via src/report.rs's PageData).
  var DIMS = Array.isArray(data.dim_order) ? data.dim_order.map(String) : [];
  var DIM_TITLES = data.dim_titles || {};
  var COLS = [];
  var COL_TITLES = {};
  (Array.isArray(data.columns) ? data.columns : []).forEach(function (c) {
    COLS.push(String(c.key));
    COL_TITLES[c.key] = String(c.title);
  });
  var CSV_HEADER = COLS.join(',');
  var STAGE_LABELS = Array.isArray(data.stages) ? data.stages.map(String) : ['', '', ''];
  var DEVICE_TITLES = Array.isArray(data.device_columns) ? data.device_columns.map(String) : [];
  // Served, the columns start empty and grow as pages arrive: plain arrays, not the packed
  // typed ones (a typed array cannot grow).
  var U = SERVED ? {} : (data.u || {});
  function column(name) { var a = U[name]; return Array.isArray(a) || ArrayBuffer.isView(a) ? a : []; }
  var names = column('name');
  var emails = column('email');
  var n = Math.max(0, Math.min(typeof data.n === 'number' ? data.n : emails.length, emails.length));
  var scimA = column('scim');
  var lastA = column('last_used');
  var remA = column('reminders');
  var actA = column('act');
  var setupA = column('setup');
  var STAGES = [
    [STAGE_LABELS[0], column('act'), column('act_at')],
    [STAGE_LABELS[1], column('setup'), column('setup_at')],
    [STAGE_LABELS[2], column('data'), column('data_at')]
  ];
  var dev0 = column('dev0');
  var devn = column('devn');
  var D = SERVED ? {} : (data.d || {});
  var dName = D.name || [];
  var dPlat = D.platform || [];
  var dVer = D.version || [];
  var dLast = D.last_used || [];
  var dHub = D.hub || [];
  var platforms = data.platforms || [];
  var versions = data.versions || [];
  var dimsIn = data.dims || {};
  var labelsIn = data.labels || {};

  var dimVals = [];
  var dimLabels = [];
  var codes = [];
  DIMS.forEach(function (d, j) {
    var vals = Array.isArray(dimsIn[d]) ? dimsIn[d].map(String) : [];
    var lab = labelsIn[d] || {};
    dimVals[j] = vals;
    dimLabels[j] = vals.map(function (v) { return typeof lab[v] === 'string' ? lab[v] : v; });
    var src = (U.codes && (Array.isArray(U.codes[d]) || ArrayBuffer.isView(U.codes[d]))) ? U.codes[d] : column(d);
    // Served, rows arrive as pages: the codes grow with them.
    var a = SERVED ? [] : new Uint8Array(n);
    for (var i = 0; i < n; i++) {
      var c = src[i];
      a[i] = (typeof c === 'number' && c >= 0 && c < vals.length && c < NONE) ? c : NONE;
    }
    codes[j] = a;
  });
  var ST = DIMS.indexOf('status');

  // Lower-cased name and email, once: search and sorting never allocate per row. data.js
  // gives them (a million toLowerCase calls took a third of a second); the loop is the fallback.
  var lcName = column('name_lc');
  var lcEmail = column('email_lc');
  if (lcName.length !== n || lcEmail.length !== n) (function () {
    lcName = new Array(n);
    lcEmail = new Array(n);
    for (var i = 0; i < n; i++) {
      var nm = names[i];
      var em = emails[i];
      lcName[i] = typeof nm === 'string' ? nm.toLowerCase() : '';
      lcEmail[i] = typeof em === 'string' ? em.toLowerCase() : '';
    }
  })();

  // ---------------------------------------------------------------- formatting
  function thousands(x) { return String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }

  function iso(sec) {
    if (typeof sec !== 'number' || !isFinite(sec)) return '';
    var ms = sec * 1000;
    if (Math.abs(ms) > 8.64e15) return '';
    var s = new Date(ms).toISOString();
    return s.slice(0, 19) + 'Z';
  }
  function shortTime(sec) { var s = iso(sec); return s ? s.slice(0, 16).replace('T', ' ') : ''; }
  function longTime(sec) { var s = iso(sec); return s ? s.slice(0, 19).replace('T', ' ') + ' UTC' : ''; }

  function label(j, i) { var c = codes[j][i]; return c === NONE ? '—' : dimLabels[j][c]; }
  function slug(j, i) { var c = codes[j][i]; return c === NONE ? '' : dimVals[j][c]; }
  function hasText(x) { return typeof x === 'string' && x !== ''; }
  function scimText(i) { var s = scimA[i]; return s === 1 || s === true ? 'Yes' : (s === 0 || s === false ? 'No' : '—'); }
  function reminders(i) { var r = remA[i]; return typeof r === 'number' ? r : 0; }

  // ---------------------------------------------------------------- state
  var sel = dimVals.map(function (v) { return new Uint8Array(v.length); });
  var selN = new Int32Array(DIMS.length);
  var counts = dimVals.map(function (v) { return new Int32Array(v.length); });
  var state = { q: '', sortKey: 'name', sortDir: 'asc', user: null };
  var view = new Int32Array(n);
  var viewLen = 0;
  // Served: the page of rows shown, and what the API said of the whole filtered list.
  var served = { page: 1, total: 0, inSnapshot: 0, seq: 0, fixed: [], keepPage: false, error: null };
  // Users matching the filters: all of them are in `view` for the static page, one page served.
  function matching() { return SERVED ? served.total : viewLen; }

  function dec(x) { try { return decodeURIComponent(x); } catch (err) { return ''; } }
  function enc(x) { return encodeURIComponent(x); }

  function parseHash(h) {
    var s = { sel: dimVals.map(function (v) { return new Uint8Array(v.length); }), q: '', sortKey: 'name', sortDir: 'asc', user: null, ignored: [], page: 1, fixed: [] };
    h = String(h || '').replace(/^#/, '');
    if (h === '') return s;
    h.split('&').forEach(function (part) {
      if (part === '') return;
      var eq = part.indexOf('=');
      if (eq < 0) { s.ignored.push(dec(part)); return; }
      var key = dec(part.slice(0, eq)).trim().toLowerCase();
      var val = part.slice(eq + 1);
      var j = DIMS.indexOf(key);
      if (j >= 0) {
        val.split(',').forEach(function (v) {
          var c = dimVals[j].indexOf(dec(v).trim().toLowerCase());
          if (c >= 0) s.sel[j][c] = 1;
          else s.ignored.push(key + '=' + dec(v));
        });
      } else if (key === 'q') {
        s.q = dec(val);
      } else if (key === 'sort') {
        var p = dec(val).split(':');
        var k = (p[0] || '').trim().toLowerCase();
        if (k === 'reminders') k = 'reminders_sent';
        if (COLS.indexOf(k) >= 0) {
          s.sortKey = k;
          s.sortDir = (p[1] || '').trim().toLowerCase() === 'desc' ? 'desc' : 'asc';
        } else {
          s.ignored.push('sort=' + dec(val));
        }
      } else if (key === 'user') {
        var u = dec(val).trim();
        s.user = u === '' ? null : u;
      } else if (SERVED && key === 'page') {
        var pg = +dec(val);
        if (pg >= 1 && pg === Math.floor(pg)) s.page = pg;
        else s.ignored.push('page=' + dec(val));
      } else if (SERVED && (key === 'snapshot' || key === 'as-of' || key === 'window-days')) {
        // The scope of the whole page: the server rendered it, the API is asked with it.
        s.fixed.push([key, dec(val)]);
      } else {
        s.ignored.push(key + '=' + dec(val));
      }
    });
    return s;
  }

  // A link's parts the page could not apply are said, not dropped.
  var ignoredEl = null;
  function showIgnored(list) {
    if (!list.length) {
      if (ignoredEl) ignoredEl.hidden = true;
      return;
    }
    if (!ignoredEl) {
      ignoredEl = el('p', 'warning');
      ignoredEl.id = 'link-notice';
      ignoredEl.setAttribute('role', 'status');
      var anchor = byId('filters');
      if (anchor && anchor.parentNode) anchor.parentNode.insertBefore(ignoredEl, anchor);
      else doc.body.insertBefore(ignoredEl, doc.body.firstChild);
    }
    ignoredEl.hidden = false;
    ignoredEl.textContent = 'Ignored in the link: ' + list.join(', ') + '.';
  }

  // The selected values of dimension j: their slugs, or their labels (`words`).
  function chosen(j, words) {
    var out = [];
    for (var c = 0; c < sel[j].length; c++) if (sel[j][c]) out.push(words ? dimLabels[j][c] : dimVals[j][c]);
    return out;
  }

  // The scope (served: snapshot, as-of, window) and the filters as URL parameters, in the order
  // both the page's URL and the API's queries use.
  function filterParts() {
    var parts = SERVED ? served.fixed.map(function (kv) { return kv[0] + '=' + enc(kv[1]); }) : [];
    DIMS.forEach(function (d, j) {
      var vals = chosen(j, false).map(enc);
      if (vals.length) parts.push(d + '=' + vals.join(','));
    });
    return parts;
  }

  function buildHash() {
    var parts = filterParts();
    if (state.q !== '') parts.push('q=' + enc(state.q));
    if (!(state.sortKey === 'name' && state.sortDir === 'asc')) parts.push('sort=' + state.sortKey + ':' + state.sortDir);
    if (SERVED && served.page > 1) parts.push('page=' + served.page);
    if (state.user !== null) parts.push('user=' + enc(state.user));
    return parts.join('&');
  }

  // How the next state change is recorded in the browser's history: 'push' (a new entry, so
  // Back returns to the state before it), 'replace' (the current entry) or 'none' (the URL is
  // left alone, while search text is still being typed).
  var historyMode = 'push';

  // The state's place in the URL: the fragment of a static page, the query string when served
  // (so a link to a served view is shareable and the server renders its scope).
  function currentState() {
    return SERVED ? location.search.replace(/^\?/, '') : location.hash.replace(/^#/, '');
  }

  function writeHash() {
    if (historyMode === 'none') return;
    var h = buildHash();
    if (currentState() === h) return;
    var base = SERVED ? location.pathname : location.href.split('#')[0];
    var url = h === '' ? base : base + (SERVED ? '?' : '#') + h;
    try {
      if (historyMode === 'push') history.pushState(null, '', url);
      else history.replaceState(history.state, '', url);
    } catch (err) {
      // Some browsers refuse history updates on file:// pages; the view still works.
    }
  }

  function recording(mode, f) {
    var before = historyMode;
    historyMode = mode;
    try { f(); } finally { historyMode = before; }
  }

  function publicState() {
    var out = {};
    DIMS.forEach(function (d, j) {
      var vals = chosen(j, false);
      out[d] = vals;
    });
    out.q = state.q;
    out.sort = state.sortKey + ':' + state.sortDir;
    out.user = state.user;
    if (SERVED) out.page = served.page;
    return out;
  }

  // ---------------------------------------------------------------- sorting
  // The page has no collation of its own: rollcall embeds, for every row, the rank of its name
  // and its email under the collation `users` sorts by (queries/read/collation.sql) and the
  // rank of the tie-breaker every sort ends with (the email key), so each order here is the
  // CLI's and the export's exactly. The rows arrive sorted by name.
  var orderCache = {};
  var ORD = U.order || {};
  function ranks(a) { return Array.isArray(a) || ArrayBuffer.isView(a) ? a : []; }
  var nameRank = ranks(ORD.name);
  var keyRank = ranks(ORD.key);
  var emailShift = ranks(ORD.email_shift);
  var emailRankArr = null;

  function identity() { var a = new Int32Array(n); for (var i = 0; i < n; i++) a[i] = i; return a; }

  // Rank of each row's email under the collation (equal ones share it): travels as its
  // difference from the key rank (mostly runs of one value, which compress to little).
  function emailRank() {
    if (emailRankArr) return emailRankArr;
    var r = new Float64Array(n);
    for (var i = 0; i < n; i++) r[i] = keyRank[i] + emailShift[i];
    emailRankArr = r;
    return r;
  }

  function numericKey(key) {
    var v = new Float64Array(n);
    var i;
    var j = DIMS.indexOf(key);
    if (j >= 0) {
      // The CLI sorts these through the collation (queries/read/collation.sql); the slugs are
      // plain lower-case ASCII, which it leaves as they are, so their code-point order is it.
      var lower = dimVals[j].map(function (s) { return s.toLowerCase(); });
      var sorted = lower.slice().sort();
      var rank = lower.map(function (s) { return sorted.indexOf(s); });
      var cj = codes[j];
      for (i = 0; i < n; i++) v[i] = cj[i] === NONE ? NaN : rank[cj[i]];
    } else {
      var src = key === 'scim' ? scimA : (key === 'last_used' ? lastA : remA);
      for (i = 0; i < n; i++) {
        var x = src[i];
        v[i] = typeof x === 'number' ? x : (typeof x === 'boolean' ? (x ? 1 : 0) : (key === 'reminders_sent' ? 0 : NaN));
      }
    }
    return v;
  }

  function buildOrder(key, desc) {
    var er = keyRank;
    var s = desc ? -1 : 1;
    var idx = identity();
    var cmp;
    if (key === 'name' || key === 'email') {
      var txt = key === 'name' ? nameRank : emailRank();
      var raw = key === 'name' ? names : emails;
      var isNull = new Uint8Array(n);
      for (var i = 0; i < n; i++) isNull[i] = typeof raw[i] === 'string' ? 0 : 1;
      cmp = function (a, b) {
        var na = isNull[a];
        var nb = isNull[b];
        if (na !== nb) return na - nb;
        if (na === 0) {
          var x = txt[a];
          var y = txt[b];
          if (x !== y) return x < y ? -s : s;
        }
        return er[a] - er[b];
      };
    } else {
      var v = numericKey(key);
      cmp = function (a, b) {
        var x = v[a];
        var y = v[b];
        var xn = x !== x;
        var yn = y !== y;
        if (xn !== yn) return xn ? 1 : -1;
        if (!xn && x !== y) return x < y ? -s : s;
        return er[a] - er[b];
      };
    }
    idx.sort(cmp);
    return idx;
  }

  // null = the embedded order, which is the default sort (name, then email).
  function currentOrder() {
    if (state.sortKey === 'name' && state.sortDir === 'asc') return null;
    var k = state.sortKey + ':' + state.sortDir;
    if (!orderCache[k]) orderCache[k] = buildOrder(state.sortKey, state.sortDir === 'desc');
    return orderCache[k];
  }

  // ---------------------------------------------------------------- filtering
  // One pass: search, then OR within a dimension and AND across them. A row failing exactly one
  // dimension still counts for that dimension's values (facet counts within the other filters).
  var LI = DIMS.indexOf('license');
  var ASSIGNED = LI >= 0 ? dimVals[LI].indexOf('assigned') : -1;
  var USING = ST >= 0 ? dimVals[ST].indexOf('using') : -1;
  var funnel = [0, 0, 0, 0, 0];

  // The rows the search matches, kept while the search only grows (typing): the next keystroke
  // tests the previous matches instead of every row (a million rows took 80 ms a keystroke).
  var hits = new Uint8Array(n);
  var hitsQ = null;
  // Which common characters each row's name or email holds, as two bit sets per row. The first
  // keystroke of a search (one character) tests every row: with these it reads a million
  // integers instead of two million strings. Built after the page is interactive, in slices
  // of a few milliseconds that leave the page free; rows not reached yet are tested by their
  // text.
  var MASK_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789.@-_\' ';
  var maskBit = new Int8Array(128).fill(-1);
  for (var mb = 0; mb < MASK_CHARS.length; mb++) maskBit[MASK_CHARS.charCodeAt(mb)] = mb;
  var maskLo = null;
  var maskHi = null;
  var maskedUpTo = 0;

  function maskOf(text, acc) {
    for (var k = 0; k < text.length; k++) {
      var c = text.charCodeAt(k);
      if (c < 128) {
        var b = maskBit[c];
        if (b >= 32) acc[1] |= 1 << (b - 32);
        else if (b >= 0) acc[0] |= 1 << b;
      }
    }
  }

  function buildMasks() {
    if (SERVED || n === 0) return;
    maskLo = new Uint32Array(n);
    maskHi = new Uint32Array(n);
    var acc = [0, 0];
    // Slices follow each other through a message, not setTimeout, whose nested calls wait at
    // least 4 ms each (a quarter of a second over a million rows).
    var next = new MessageChannel();
    next.port1.onmessage = function () { slice(); };
    function slice() {
      var end = Math.min(n, maskedUpTo + 16384);
      for (var i = maskedUpTo; i < end; i++) {
        acc[0] = 0;
        acc[1] = 0;
        maskOf(lcName[i], acc);
        maskOf(lcEmail[i], acc);
        maskLo[i] = acc[0];
        maskHi[i] = acc[1];
      }
      maskedUpTo = end;
      if (end < n) next.port2.postMessage(0);
      else next.port1.close();
    }
    slice();
  }

  function searchHits(q) {
    if (q === hitsQ) return;
    var narrow = hitsQ !== null && hitsQ !== '' && q.indexOf(hitsQ) !== -1;
    var start = 0;
    var bit = q.length === 1 && q.charCodeAt(0) < 128 ? maskBit[q.charCodeAt(0)] : -1;
    if (bit >= 0 && !narrow && maskedUpTo > 0) {
      var words = bit >= 32 ? maskHi : maskLo;
      var m = 1 << (bit >= 32 ? bit - 32 : bit);
      for (start = 0; start < maskedUpTo; start++) hits[start] = (words[start] & m) !== 0 ? 1 : 0;
    }
    for (var i = start; i < n; i++) {
      if (narrow && hits[i] === 0) continue;
      hits[i] = lcName[i].indexOf(q) === -1 && lcEmail[i].indexOf(q) === -1 ? 0 : 1;
    }
    hitsQ = q;
  }

  function recompute() {
    var q = state.q.toLowerCase();
    if (q !== '') searchHits(q);
    funnel.fill(0);
    var order = currentOrder();
    var nd = DIMS.length;
    var i, j, k, c, p;
    var anySel = false;
    for (j = 0; j < nd; j++) {
      counts[j].fill(0);
      selN[j] = 0;
      for (c = 0; c < sel[j].length; c++) selN[j] += sel[j][c];
      if (selN[j] !== 0) anySel = true;
    }
    // The view first; a row failing exactly one dimension still counts for that dimension.
    var m = 0;
    for (k = 0; k < n; k++) {
      i = order === null ? k : order[k];
      if (q !== '' && hits[i] === 0) continue;
      if (!anySel) {
        view[m++] = i;
        continue;
      }
      var fails = 0;
      var failDim = -1;
      for (j = 0; j < nd; j++) {
        if (selN[j] !== 0) {
          c = codes[j][i];
          if (c === NONE || sel[j][c] === 0) {
            fails++;
            if (fails > 1) break;
            failDim = j;
          }
        }
      }
      if (fails === 0) {
        view[m++] = i;
      } else if (fails === 1) {
        c = codes[failDim][i];
        if (c !== NONE) counts[failDim][c]++;
      }
    }
    // Then the view's counts one dimension at a time and the funnel, in tight loops: at a
    // million rows a keystroke is about 15 ms faster than counting inside the loop above.
    for (j = 0; j < nd; j++) {
      var cj = codes[j];
      var cnt = counts[j];
      for (p = 0; p < m; p++) {
        c = cj[view[p]];
        if (c !== NONE) cnt[c]++;
      }
    }
    // The funnel, as queries/funnel/*.sql define its steps.
    var cl = LI >= 0 ? codes[LI] : null;
    var cs = ST >= 0 ? codes[ST] : null;
    var f1 = 0;
    var f2 = 0;
    var f3 = 0;
    var f4 = 0;
    for (p = 0; p < m; p++) {
      i = view[p];
      var using = cs !== null && cs[i] === USING;
      if (using) f4++;
      if (cl !== null && cl[i] === ASSIGNED) {
        f1++;
        if (actA[i] === 1 || (actA[i] == null && using)) f2++;
        if (setupA[i] === 1 || (setupA[i] == null && using)) f3++;
      }
    }
    funnel[1] = f1;
    funnel[2] = f2;
    funnel[3] = f3;
    funnel[4] = f4;
    viewLen = m;
    funnel[0] = m;
  }

  // ---------------------------------------------------------------- CSV
  function csvCell(s) {
    if (s === '') return s;
    if (GUARD_FIRST.indexOf(s.charAt(0)) !== -1) s = "'" + s;
    if (NEEDS_QUOTES.test(s)) s = '"' + s.replace(QUOTE, '""') + '"';
    return s;
  }

  function csvLine(i) {
    var nm = names[i];
    var em = emails[i];
    var sc = scimA[i];
    return [
      csvCell(typeof nm === 'string' ? nm : ''),
      csvCell(typeof em === 'string' ? em : ''),
      sc === 1 || sc === true ? 'yes' : (sc === 0 || sc === false ? 'no' : ''),
      iso(lastA[i]),
      csvCell(slug(0, i)),
      csvCell(slug(1, i)),
      csvCell(slug(2, i)),
      csvCell(slug(3, i)),
      String(reminders(i))
    ].join(',');
  }

  // The CSV of the current view, byte-identical to what the CLI writes for the same rows.
  function csvText() {
    var lines = new Array(viewLen + 1);
    lines[0] = CSV_HEADER;
    for (var p = 0; p < viewLen; p++) lines[p + 1] = csvLine(view[p]);
    return lines.join('\n') + '\n';
  }

  // Downloads are auditable: the file name says which snapshot and filters, and a manifest (the
  // fields of `rollcall export`'s, with the CSV's SHA-256 computed here) can be saved beside it.
  var META = data.meta || {};
  function downloadName() {
    var parts = ['rollcall', 'snapshot-' + (META.snapshot ? META.snapshot.id : '')];
    DIMS.forEach(function (d, j) {
      var vals = chosen(j, false);
      if (vals.length) parts.push(d + '-' + vals.join('+'));
    });
    if (state.q !== '') parts.push('search-' + state.q);
    return parts.join('_').replace(/[^A-Za-z0-9._+-]+/g, '-').slice(0, 180) + '.csv';
  }

  function save(text, name, type) {
    var blob = new Blob([text], { type: type });
    var url = URL.createObjectURL(blob);
    var a = doc.createElement('a');
    a.href = url;
    a.download = name;
    a.hidden = true;
    doc.body.appendChild(a);
    a.click();
    doc.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  var dlStatus = byId('download-status');
  function said(text) { if (dlStatus) dlStatus.textContent = text; }

  // Served: the server streams every page of the current view, guarded, with its manifest.
  function serverDownload(route, what) {
    var a = doc.createElement('a');
    a.href = route + '?' + apiQuery(true);
    a.download = '';
    a.hidden = true;
    doc.body.appendChild(a);
    a.click();
    doc.body.removeChild(a);
    said('Downloading ' + what + ' of ' + thousands(served.total) + (served.total === 1 ? ' user' : ' users') + ' (every page of this view).');
  }

  function download() {
    if (SERVED) { serverDownload('/export.csv', 'the CSV'); return; }
    var name = downloadName();
    save(csvText(), name, 'text/csv;charset=utf-8');
    said('Saved ' + thousands(viewLen) + (viewLen === 1 ? ' user' : ' users') + ' to ' + name + '.');
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return (b < 16 ? '0' : '') + b.toString(16);
    }).join('');
  }

  function downloadManifest() {
    if (SERVED) { serverDownload('/export.manifest.json', 'the manifest'); return; }
    var name = downloadName();
    var bytes = new TextEncoder().encode(csvText());
    if (!window.crypto || !crypto.subtle) {
      said('This browser cannot compute SHA-256 here; use users.csv and manifest.json beside the report.');
      return;
    }
    crypto.subtle.digest('SHA-256', bytes).then(function (digest) {
      var dims = {};
      DIMS.forEach(function (d, j) {
        var vals = chosen(j, false);
        if (vals.length) dims[d] = vals;
      });
      var manifest = {
        tool: 'rollcall',
        version: META.tool_version,
        written_by: 'the report page (rollcall report), for the CSV download of its current view',
        snapshot: META.snapshot,
        as_of: META.as_of,
        window_days: META.window_days,
        scope: META.scope,
        filters: { description: describe(), dimensions: dims, search: state.q === '' ? null : state.q },
        sort: state.sortKey + (state.sortDir === 'desc' ? ':desc' : ''),
        columns: COLS,
        format: 'csv',
        formula_guard: true,
        rows: viewLen,
        files: [{ file: name, bytes: bytes.length, sha256: hex(digest) }],
        inputs: META.inputs
      };
      save(JSON.stringify(manifest, null, 2) + '\n', name + '.manifest.json', 'application/json');
      said('Saved the manifest of ' + name + ' (' + thousands(viewLen) + (viewLen === 1 ? ' user' : ' users') + ', SHA-256 ' + hex(digest).slice(0, 12) + '…).');
    }, function (err) {
      said('Could not compute the SHA-256: ' + err);
    });
  }

  // ---------------------------------------------------------------- DOM helpers
  function el(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // ---------------------------------------------------------------- filters UI
  var searchEl = byId('search');
  var filtersEl = byId('filters');
  var countEl = byId('count');
  var boxes = [];
  var cntEls = [];

  DIMS.forEach(function (d, j) {
    var fs = el('fieldset');
    fs.id = 'fs-' + d;
    fs.appendChild(el('legend', null, DIM_TITLES[d]));
    boxes[j] = [];
    cntEls[j] = [];
    dimVals[j].forEach(function (v, c) {
      var row = el('div', 'opt');
      var cb = doc.createElement('input');
      cb.type = 'checkbox';
      cb.id = 'f-' + d + '-' + v;
      cb.value = v;
      cb.setAttribute('data-dim', String(j));
      cb.setAttribute('data-code', String(c));
      var lb = doc.createElement('label');
      lb.htmlFor = cb.id;
      lb.appendChild(el('span', 'lbl', dimLabels[j][c]));
      var cn = el('span', 'cnt', '0');
      cn.id = 'c-' + d + '-' + v;
      lb.appendChild(cn);
      row.appendChild(cb);
      row.appendChild(lb);
      fs.appendChild(row);
      boxes[j][c] = cb;
      cntEls[j][c] = cn;
    });
    if (filtersEl) filtersEl.appendChild(fs);
  });

  function syncControls() {
    for (var j = 0; j < DIMS.length; j++) {
      for (var c = 0; c < dimVals[j].length; c++) boxes[j][c].checked = sel[j][c] === 1;
    }
    if (searchEl && searchEl.value !== state.q) searchEl.value = state.q;
  }

  function syncCounts() {
    for (var j = 0; j < DIMS.length; j++) {
      for (var c = 0; c < dimVals[j].length; c++) {
        var t = thousands(counts[j][c]);
        var e = cntEls[j][c];
        if (e.textContent !== t) e.textContent = t;
        e.classList.toggle('zero', counts[j][c] === 0);
      }
    }
    if (!countEl) return;
    if (!SERVED) {
      countEl.textContent = thousands(viewLen) + ' of ' + thousands(n) + (n === 1 ? ' user' : ' users');
    } else if (served.error) {
      countEl.textContent = served.error;
    } else {
      var first = (served.page - 1) * PAGE_SIZE;
      countEl.textContent = (viewLen === 0 ? 'None' : 'Showing ' + thousands(first + 1) + '–' + thousands(first + viewLen)) +
        ' of ' + thousands(served.total) + ' matching ' + (served.total === 1 ? 'user' : 'users') +
        ' (' + thousands(served.inSnapshot) + ' in the snapshot)';
    }
  }

  // ---------------------------------------------------------------- table (virtualised)
  var scroller = byId('users-table');
  var grid = byId('grid');
  var tbody = byId('rows');
  var emptyEl = byId('empty');
  var thead = grid ? grid.tHead : null;
  var rowH = 36;
  var theadH = 0;
  var rStart = -1;
  var rEnd = -1;
  var activePos = 0;
  var parked = false;

  (function () {
    var v = parseFloat(getComputedStyle(doc.documentElement).getPropertyValue('--row-h'));
    if (v > 0) rowH = v;
  })();

  function spacer() {
    var tr = doc.createElement('tr');
    tr.className = 'spacer';
    tr.setAttribute('aria-hidden', 'true');
    var td = doc.createElement('td');
    td.colSpan = COLS.length + (SERVED ? 1 : 0);
    tr.appendChild(td);
    return tr;
  }
  var topSp = spacer();
  var botSp = spacer();
  function setSpacer(tr, px) {
    tr.hidden = px <= 0;
    tr.firstChild.style.height = (px > 0 ? px : 0) + 'px';
  }

  function cell(tr, text, cls, withTitle) {
    var td = el('td', cls || null, text);
    if (withTitle) td.title = text;
    tr.appendChild(td);
    return td;
  }

  function makeRow(p, tabbable) {
    var i = view[p];
    var tr = doc.createElement('tr');
    tr.className = 'r';
    tr.tabIndex = tabbable ? 0 : -1;
    tr.setAttribute('aria-rowindex', String(p + 2));
    tr.setAttribute('data-pos', String(p));
    tr.setAttribute('data-email', typeof emails[i] === 'string' ? emails[i] : '');
    if (SERVED) tr.appendChild(pickCell(tr, i, tabbable));
    // Each cell names its column (k-KEY): the phone layout turns a row into a card from them.
    var nm = names[i];
    if (hasText(nm)) cell(tr, nm, 'k-name', true); else cell(tr, '—', 'k-name none');
    // The email sits in a span so that hover and focus can show it whole over its neighbours.
    var em = typeof emails[i] === 'string' ? emails[i] : '';
    var emTd = cell(tr, '', 'k-email');
    emTd.title = em;
    emTd.appendChild(el('span', null, em));
    cell(tr, scimText(i), 'k-scim');
    var lu = shortTime(lastA[i]);
    if (lu) cell(tr, lu, 'k-last_used'); else cell(tr, 'Never', 'k-last_used none');
    cell(tr, label(0, i), 'k-license');
    var st = cell(tr, '', 'k-status');
    var code = codes[ST] ? codes[ST][i] : NONE;
    if (code === NONE) {
      st.textContent = '—';
    } else {
      st.appendChild(el('span', 'badge s-' + dimVals[ST][code], dimLabels[ST][code]));
    }
    cell(tr, label(2, i), 'k-activity', true);
    cell(tr, label(3, i), 'k-hub');
    cell(tr, String(reminders(i)), 'k-reminders_sent num');
    return tr;
  }

  // A row is in the Tab order with its selection box (served), or out of it with it.
  function setTabbable(tr, on) {
    tr.tabIndex = on ? 0 : -1;
    var b = tr.querySelector('input.pick-box');
    if (b) b.tabIndex = tr.tabIndex;
  }

  function rowEl(pos) {
    if (!tbody || pos < rStart || pos >= rEnd) return null;
    var r = tbody.children[pos - rStart + 1];
    return r && r.getAttribute('data-pos') === String(pos) ? r : null;
  }

  function visibleRows() { return Math.max(0, scroller.clientHeight - theadH); }

  function render(force) {
    if (!scroller || !tbody) return;
    var st = scroller.scrollTop;
    var first = Math.floor(st / rowH);
    var start = Math.max(0, Math.min(first, viewLen) - OVERSCAN);
    var end = Math.min(viewLen, first + Math.ceil(visibleRows() / rowH) + 1 + OVERSCAN);
    if (end < start) end = start;
    if (!force && start === rStart && end === rEnd) return;
    var ae = doc.activeElement;
    var hadFocus = (ae && ae !== tbody && tbody.contains(ae)) || (parked && ae === scroller);
    var onBox = isPickBox(ae);
    rStart = start;
    rEnd = end;
    setSpacer(topSp, start * rowH);
    setSpacer(botSp, (viewLen - end) * rowH);
    var tabPos = activePos >= start && activePos < end ? activePos : Math.max(start, Math.min(first, end - 1));
    var frag = doc.createDocumentFragment();
    frag.appendChild(topSp);
    for (var p = start; p < end; p++) frag.appendChild(makeRow(p, p === tabPos));
    frag.appendChild(botSp);
    tbody.replaceChildren(frag);
    if (grid) grid.setAttribute('aria-rowcount', String(viewLen + 1));
    if (emptyEl) emptyEl.hidden = viewLen !== 0;
    if (hadFocus) {
      var r = rowEl(activePos);
      if (r) {
        parked = false;
        focusRow(r, onBox);
      } else {
        parked = true;
        scroller.focus({ preventScroll: true });
      }
    }
  }

  function measure() {
    if (thead) theadH = thead.getBoundingClientRect().height;
    var r = tbody ? tbody.querySelector('tr.r') : null;
    if (r) {
      var h = r.getBoundingClientRect().height;
      if (h > 0 && Math.abs(h - rowH) > 0.01) {
        rowH = h;
        return true;
      }
    }
    return false;
  }

  function ensureVisible(pos) {
    var top = pos * rowH;
    var bottom = top + rowH;
    var vis = visibleRows();
    if (top < scroller.scrollTop) scroller.scrollTop = top;
    else if (bottom > scroller.scrollTop + vis) scroller.scrollTop = bottom - vis;
  }

  // Focus a row, or its selection box (served) when the focus was on a box: the arrows then
  // go from box to box, and Space keeps ticking.
  function focusRow(r, box) {
    var b = box ? r.querySelector('input.pick-box') : null;
    (b || r).focus({ preventScroll: true });
  }

  function moveTo(pos, box) {
    if (viewLen === 0) return;
    activePos = Math.max(0, Math.min(viewLen - 1, pos));
    ensureVisible(activePos);
    render(true);
    var r = rowEl(activePos);
    if (r) {
      parked = false;
      focusRow(r, box);
    }
  }

  function syncSortHeaders() {
    if (!thead) return;
    var ths = thead.querySelectorAll('th[data-key]');
    for (var k = 0; k < ths.length; k++) {
      var th = ths[k];
      if (th.getAttribute('data-key') === state.sortKey) th.setAttribute('aria-sort', state.sortDir === 'desc' ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    }
  }

  // A chart bar's link `#dim=value` as [dimension index, value index], or null.
  function barPair(href) {
    var m = /^#([a-z]+)=([^&,]+)$/.exec(href);
    if (!m) return null;
    var j = DIMS.indexOf(m[1]);
    var c = j < 0 ? -1 : dimVals[j].indexOf(dec(m[2]));
    return c < 0 ? null : [j, c];
  }

  // Bars of selected values look selected: bold, outlined and ticked.
  var barLinks = doc.querySelectorAll('svg.chart a[href^="#"]');
  function syncBars() {
    for (var k = 0; k < barLinks.length; k++) {
      var a = barLinks[k];
      var pair = barPair(a.getAttribute('href') || '');
      if (!pair) continue;
      var on = sel[pair[0]][pair[1]] === 1;
      a.classList.toggle('sel', on);
      var lbl = a.querySelector('.lbl');
      if (lbl) {
        var text = lbl.textContent.replace(/ \u2713$/, '');
        lbl.textContent = on ? text + ' \u2713' : text;
      }
    }
  }

  // The summary cards count within the current filters and say which: the funnel within all of
  // them, each breakdown within the others (as `rollcall summary` counts). A page that holds only
  // part of its scope keeps the server's figures, which cover all of it.
  function filtersText(except) {
    var parts = [];
    DIMS.forEach(function (d, j) {
      if (j === except) return;
      var vals = chosen(j, true);
      if (vals.length) parts.push(DIM_TITLES[d] + ': ' + vals.join(' or '));
    });
    if (state.q !== '') parts.push('search “' + state.q + '”');
    return parts.join('; ');
  }

  function pct(count, base) {
    return (base === 0 ? 0 : Math.round(count * 1000 / base) / 10).toFixed(1);
  }

  function syncChart(id, values, base, except) {
    var cap = byId('cap-' + id);
    var chart = byId('chart-' + id);
    if (!cap || !chart) return;
    var scope = filtersText(except);
    var noun = base === 1 ? ' user' : ' users';
    var text = 'Of ' + thousands(base) + noun + (scope === '' ? ' in scope.' : ' matching ' + scope + '.');
    if (cap.textContent !== text) cap.textContent = text;
    var bars = chart.querySelectorAll('.bar');
    for (var k = 0; k < bars.length && k < values.length; k++) {
      var b = bars[k];
      var p = pct(values[k], base);
      var val = b.querySelector('.val');
      if (val) val.textContent = thousands(values[k]) + ' · ' + p + '%';
      var fill = b.querySelector('.fill');
      if (fill) fill.setAttribute('width', p + '%');
      var lbl = b.querySelector('.lbl');
      var name = lbl ? lbl.textContent.replace(/ \u2713$/, '') : '';
      // A link is named by its visible text; a bar that is not a link is an image with a label.
      if (b.tagName.toLowerCase() !== 'a') {
        b.setAttribute('aria-label', name + ': ' + thousands(values[k]) + ' users, ' + p + '%');
      }
    }
  }

  function syncCards() {
    if (data.partial) return;
    syncChart('funnel', funnel, matching(), -1);
    DIMS.forEach(function (d, j) {
      var base = 0;
      for (var c = 0; c < counts[j].length; c++) base += counts[j][c];
      syncChart(d, Array.prototype.slice.call(counts[j]), base, j);
    });
  }

  // Recompute, redraw and record the state in the URL. Served, the page asks the API instead
  // and redraws when the answer comes (a change of filters, search or sort goes to page 1).
  function update(resetScroll) {
    if (SERVED) {
      if (resetScroll && !served.keepPage) served.page = 1;
      syncSortHeaders();
      syncBars();
      writeHash();
      load();
      return;
    }
    recompute();
    syncCounts();
    syncBars();
    syncCards();
    syncSortHeaders();
    if (resetScroll) {
      activePos = 0;
      if (scroller) scroller.scrollTop = 0;
    } else if (activePos >= viewLen) {
      activePos = Math.max(0, viewLen - 1);
    }
    render(true);
    writeHash();
  }

  // ---------------------------------------------------------------- details panel
  var dlg = byId('details');
  var dBody = byId('details-body');
  var dTitle = byId('details-title');
  var dClose = byId('details-close');
  var returnFocus = null;
  var emailIndex = null;

  function findUser(email) {
    if (SERVED) {
      var p = poolIndex.get(String(email).toLowerCase());
      return p === undefined ? -1 : p;
    }
    if (!emailIndex) {
      emailIndex = new Map();
      for (var i = 0; i < n; i++) {
        if (!emailIndex.has(lcEmail[i])) emailIndex.set(lcEmail[i], i);
      }
    }
    var i2 = emailIndex.get(String(email).toLowerCase());
    return i2 === undefined ? -1 : i2;
  }

  function kv(dl, key, value, cls) {
    dl.appendChild(el('dt', null, key));
    dl.appendChild(el('dd', cls || null, value));
  }

  function devicesTable(i) {
    var start = typeof dev0[i] === 'number' ? dev0[i] : 0;
    var count = typeof devn[i] === 'number' ? devn[i] : 0;
    var wrap = el('div', 'table-wrap');
    var t = el('table', 'plain stack');
    var cap = el('caption', 'sr-only', 'Devices of ' + (hasText(emails[i]) ? emails[i] : 'this user'));
    t.appendChild(cap);
    var th = el('thead');
    var hr = el('tr');
    DEVICE_TITLES.forEach(function (h) {
      var c = el('th', null, h);
      c.scope = 'col';
      hr.appendChild(c);
    });
    th.appendChild(hr);
    t.appendChild(th);
    var tb = el('tbody');
    // Each cell carries its heading: on a phone the rows stack as labelled blocks (report.css).
    function dcell(tr, col, text, cls) {
      var td = el('td', cls || null, text);
      td.setAttribute('data-label', DEVICE_TITLES[col]);
      tr.appendChild(td);
    }
    for (var k = start; k < start + count; k++) {
      var tr = el('tr');
      var nm = dName[k];
      dcell(tr, 0, hasText(nm) ? nm : '—', hasText(nm) ? null : 'muted');
      var pi = dPlat[k];
      dcell(tr, 1, typeof pi === 'number' && hasText(platforms[pi]) ? platforms[pi] : '—');
      var vi = dVer[k];
      dcell(tr, 2, typeof vi === 'number' && hasText(versions[vi]) ? versions[vi] : '—');
      dcell(tr, 3, longTime(dLast[k]) || 'Never');
      var hb = dHub[k];
      dcell(tr, 4, hb === 1 || hb === true ? 'Yes' : (hb === 0 || hb === false ? 'No' : '—'));
      tb.appendChild(tr);
    }
    t.appendChild(tb);
    wrap.appendChild(t);
    return wrap;
  }

  function fillDetails(i) {
    var nm = names[i];
    var em = typeof emails[i] === 'string' ? emails[i] : '';
    dTitle.textContent = hasText(nm) ? nm : (em || 'User details');
    var frag = doc.createDocumentFragment();
    var dl = el('dl', 'kv');
    kv(dl, 'Name', hasText(nm) ? nm : '—');
    kv(dl, 'Email', em || '—');
    var sc = scimText(i);
    kv(dl, 'SCIM', sc === 'Yes' ? 'Yes (provisioned via SCIM)' : (sc === 'No' ? 'No (added manually)' : '—'));
    kv(dl, 'License', label(0, i));
    kv(dl, 'Status', label(ST, i));
    kv(dl, 'Last used', longTime(lastA[i]) || 'Never');
    kv(dl, 'Activity', label(2, i));
    kv(dl, 'Enpass Hub', label(3, i));
    frag.appendChild(dl);

    var status = slug(ST, i);
    var ndev = typeof devn[i] === 'number' ? devn[i] : 0;
    if (status === 'no-license') {
      var sec = el('section', 'note');
      sec.appendChild(el('h3', null, 'No License'));
      sec.appendChild(el('p', null, 'This user has no Enpass license, so they cannot start using Enpass and receive no onboarding reminders.'));
      sec.appendChild(el('p', null, 'To assign one in the Enpass Admin Console: Users → select this user → Assign License.'));
      sec.appendChild(licenseActions(i));
      frag.appendChild(sec);
    } else if (status === 'pending') {
      frag.appendChild(el('h3', null, 'Onboarding progress'));
      frag.appendChild(el('p', null, 'Pending User Action: the user has a license but has not finished setting up Enpass.'));
      var ol = el('ol', 'stages');
      STAGES.forEach(function (s) {
        var li = el('li');
        li.appendChild(el('span', 'st-label', s[0]));
        var done = s[1][i];
        var at = longTime(s[2][i]);
        if (done === 1 || done === true) li.appendChild(el('span', 'st-done', '✓ Done' + (at ? ' · ' + at : '')));
        else if (done === 0 || done === false) li.appendChild(el('span', 'st-todo', '✗ Not done yet'));
        else li.appendChild(el('span', 'st-unknown', '? Unknown (not in the export)'));
        ol.appendChild(li);
      });
      frag.appendChild(ol);
      frag.appendChild(el('p', 'reminders-sent', 'Reminder emails sent: ' + reminders(i)));
      frag.appendChild(reminderActions(i));
    }
    if (status === 'using' || ndev > 0) {
      frag.appendChild(el('h3', null, 'Devices (' + thousands(ndev) + ')'));
      if (ndev > 0) frag.appendChild(devicesTable(i));
      else frag.appendChild(el('p', null, 'No devices were reported for this user.'));
    }
    dBody.replaceChildren(frag);
  }

  function openDetails(i) {
    if (!dlg || i < 0 || i >= n) return;
    if (SERVED && !detailLoaded[i]) {
      // A row shows the list's columns; the stages and devices come with the user's details.
      openServedUser(emails[i], false);
      return;
    }
    fillDetails(i);
    state.user = typeof emails[i] === 'string' ? emails[i] : null;
    if (!dlg.open) {
      returnFocus = doc.activeElement;
      if (typeof dlg.showModal === 'function') dlg.showModal();
      else dlg.setAttribute('open', '');
    }
    if (dTitle) dTitle.focus();
    writeHash();
  }

  function onDetailsClosed() {
    if (state.user !== null) {
      state.user = null;
      writeHash();
    }
    var target = returnFocus;
    returnFocus = null;
    if (target && target !== doc.body && doc.contains(target) && typeof target.focus === 'function') {
      target.focus({ preventScroll: true });
    } else if (target && target.classList && target.classList.contains('r')) {
      var r = rowEl(activePos);
      if (r) r.focus({ preventScroll: true });
    }
  }

  function closeDetails() {
    if (!dlg || !dlg.open) return;
    if (typeof dlg.close === 'function') {
      dlg.close();
    } else {
      dlg.removeAttribute('open');
      onDetailsClosed();
    }
  }

  // ---------------------------------------------------------------- applying a URL fragment
  var firstFixed = null;
  function applyHash(h) {
    var s = parseHash(h);
    for (var j = 0; j < DIMS.length; j++) sel[j].set(s.sel[j]);
    state.q = s.q;
    state.sortKey = s.sortKey;
    state.sortDir = s.sortDir;
    if (SERVED) {
      var fixed = JSON.stringify(s.fixed);
      if (firstFixed === null) firstFixed = fixed;
      else if (fixed !== firstFixed) {
        // Back or Forward to another snapshot or as-of: the server renders that scope.
        location.reload();
        return;
      }
      served.fixed = s.fixed;
      served.page = s.page;
      lastIgnored = s.ignored;
      showIgnored(s.ignored);
      // The user named by the state (if any) is recorded again once their details are shown.
      state.user = null;
      syncControls();
      served.keepPage = true;
      try { update(true); } finally { served.keepPage = false; }
      if (s.user !== null) {
        var known = findUser(s.user);
        if (known >= 0 && detailLoaded[known]) openDetails(known);
        else openServedUser(s.user, true);
      } else {
        closeDetails();
      }
      return;
    }
    var ui = s.user === null ? -1 : findUser(s.user);
    if (s.user !== null && ui < 0) s.ignored.push('user=' + s.user + ' (no such user in this report)');
    showIgnored(s.ignored);
    state.user = ui >= 0 ? state.user : null;
    syncControls();
    update(true);
    if (ui >= 0) openDetails(ui);
    else closeDetails();
  }


  // ---------------------------------------------------------------- served: the JSON API
  // Rows, counts and details come from `rollcall serve`'s API. Rows already seen are kept in the
  // same columns the static page uses (a pool keyed by email), so the table, the details and
  // the print view draw them with the same code.
  var poolIndex = new Map();
  var detailLoaded = [];
  var lastIgnored = [];
  var retryTimer = 0;

  function secsOf(text) {
    if (typeof text !== 'string') return null;
    var t = Date.parse(text);
    return isNaN(t) ? null : Math.floor(t / 1000);
  }

  function dictIndex(list, value) {
    if (!hasText(value)) return null;
    var k = list.indexOf(value);
    if (k < 0) { list.push(value); k = list.length - 1; }
    return k;
  }

  // One user of /api/users (or the head of /api/user) into the pool; returns its index.
  function addUser(u) {
    var em = typeof u.email === 'string' ? u.email : '';
    var key = em.toLowerCase();
    var i = poolIndex.get(key);
    if (i === undefined) {
      i = n++;
      poolIndex.set(key, i);
    }
    names[i] = typeof u.name === 'string' ? u.name : null;
    emails[i] = em;
    lcName[i] = typeof u.name === 'string' ? u.name.toLowerCase() : '';
    lcEmail[i] = key;
    scimA[i] = u.scim === true ? 1 : (u.scim === false ? 0 : null);
    lastA[i] = secsOf(u.last_used);
    var rem = typeof u.reminders_sent === 'number' ? u.reminders_sent : 0;
    remA[i] = rem;
    DIMS.forEach(function (d, j) {
      var v;
      if (d === 'scim') v = u.scim === true ? 'yes' : (u.scim === false ? 'no' : null);
      else if (d === 'reminders') v = rem <= 0 ? '0' : (rem >= 3 ? '3+' : String(rem));
      else v = u[d];
      var c = typeof v === 'string' ? dimVals[j].indexOf(v) : -1;
      codes[j][i] = c >= 0 ? c : NONE;
    });
    return i;
  }

  // /api/user's details (stages, devices) into the pool, for the details dialog.
  function addDetail(d) {
    var i = addUser(d);
    (Array.isArray(d.stages) ? d.stages : []).forEach(function (st, k) {
      if (!STAGES[k]) return;
      STAGES[k][1][i] = st.done === true ? 1 : (st.done === false ? 0 : null);
      STAGES[k][2][i] = secsOf(st.at);
    });
    var devs = Array.isArray(d.devices) ? d.devices : [];
    dev0[i] = dName.length;
    devn[i] = devs.length;
    devs.forEach(function (v) {
      dName.push(typeof v.device_name === 'string' ? v.device_name : null);
      dPlat.push(dictIndex(platforms, v.platform));
      dVer.push(dictIndex(versions, v.enpass_version));
      dLast.push(secsOf(v.last_used));
      dHub.push(v.hub_authenticated === true ? 1 : (v.hub_authenticated === false ? 0 : null));
    });
    detailLoaded[i] = true;
    return i;
  }

  // The API's parameters for the current view: scope, filters, search (and sort, for the
  // routes that list rows).
  function apiQuery(sorted) {
    var parts = filterParts();
    if (state.q !== '') parts.push('search=' + enc(state.q));
    if (sorted) parts.push('sort=' + state.sortKey + (state.sortDir === 'desc' ? ':desc' : ''));
    return parts.join('&');
  }

  function fixedQuery() {
    return served.fixed.map(function (kv) { return '&' + kv[0] + '=' + enc(kv[1]); }).join('');
  }

  // GET a JSON route; a refusal becomes an Error carrying the status, the API's words and
  // Retry-After.
  function getJSON(url) {
    return fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' }).then(function (r) {
      return r.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (err) { body = null; }
        if (!r.ok) {
          var e = new Error(body && typeof body.error === 'string' ? body.error : 'HTTP ' + r.status);
          e.status = r.status;
          e.retryAfter = +(r.headers.get('Retry-After') || 0);
          throw e;
        }
        return body || {};
      });
    });
  }

  // Asks for the current page and the counts; only the latest answer is drawn.
  function load() {
    var seq = ++served.seq;
    clearTimeout(retryTimer);
    var q = apiQuery(false);
    if (grid) grid.setAttribute('aria-busy', 'true');
    Promise.all([
      getJSON(API + 'users?' + apiQuery(true) + '&columns=' + COLS.join(',') + '&offset=' + (served.page - 1) * PAGE_SIZE + '&limit=' + PAGE_SIZE),
      getJSON(API + 'summary?' + q)
    ]).then(function (r) {
      if (seq !== served.seq) return;
      served.error = null;
      var list = r[0];
      var users = Array.isArray(list.users) ? list.users : [];
      view = new Int32Array(users.length);
      for (var k = 0; k < users.length; k++) view[k] = addUser(users[k]);
      viewLen = users.length;
      served.total = typeof list.total === 'number' ? list.total : viewLen;
      served.inSnapshot = typeof list.users_in_snapshot === 'number' ? list.users_in_snapshot : served.total;
      var pages = Math.max(1, Math.ceil(served.total / PAGE_SIZE));
      if (served.page > pages && served.total > 0) {
        // A link past the last page (the data changed): show the last one.
        served.page = pages;
        recording('replace', function () { writeHash(); });
        load();
        return;
      }
      fromSummary(r[1]);
      if (grid) grid.removeAttribute('aria-busy');
      syncCounts();
      syncBars();
      syncCards();
      syncPager();
      if (activePos >= viewLen) activePos = Math.max(0, viewLen - 1);
      render(true);
      syncSelection();
    }, function (err) {
      if (seq !== served.seq) return;
      if (grid) grid.removeAttribute('aria-busy');
      if (err && err.status === 503) {
        // The database is being handed to an ingest, or a query ran out of time: try again.
        var wait = Math.max(1, Math.min(30, err.retryAfter || 1));
        served.error = 'The database is busy (' + err.message + '); trying again in ' + wait + ' s…';
        retryTimer = setTimeout(load, wait * 1000);
      } else {
        served.error = 'Could not load the users: ' + (err && err.message ? err.message : String(err));
      }
      syncCounts();
    });
  }

  // /api/summary's facet counts (each within the other filters) and funnel into the page's.
  function fromSummary(sum) {
    for (var j = 0; j < DIMS.length; j++) counts[j].fill(0);
    (Array.isArray(sum.facets) ? sum.facets : []).forEach(function (f) {
      var j = DIMS.indexOf(f.dimension);
      if (j < 0) return;
      (f.values || []).forEach(function (v) {
        var c = dimVals[j].indexOf(v.value);
        if (c >= 0) counts[j][c] = v.count;
      });
    });
    var steps = Array.isArray(sum.funnel) ? sum.funnel : [];
    for (var k = 0; k < funnel.length; k++) funnel[k] = steps[k] && typeof steps[k].count === 'number' ? steps[k].count : 0;
  }

  // A user's details by email (a row's click, or user= in the URL).
  function openServedUser(email, fromLink) {
    getJSON(API + 'user?email=' + enc(email) + fixedQuery()).then(function (d) {
      var i = addDetail(d);
      openDetails(i);
    }, function (err) {
      if (fromLink || (err && err.status === 404)) {
        showIgnored(lastIgnored.concat(['user=' + email + ' (' + (err && err.message ? err.message : 'not found') + ')']));
      }
      if (state.user !== null) {
        state.user = null;
        recording('replace', writeHash);
      }
    });
  }

  // ---------------------------------------------------------------- served: pages
  var pagerEl = byId('pager');
  var pagerStatus = byId('pager-status');
  function pageCount() { return Math.max(1, Math.ceil(served.total / PAGE_SIZE)); }
  function syncPager() {
    if (!pagerEl) return;
    pagerEl.hidden = !SERVED;
    var last = pageCount();
    var btns = pagerEl.querySelectorAll('button[data-page]');
    for (var k = 0; k < btns.length; k++) {
      var which = btns[k].getAttribute('data-page');
      btns[k].disabled = (which === 'first' || which === 'prev') ? served.page <= 1 : served.page >= last;
    }
    if (pagerStatus) pagerStatus.textContent = 'Page ' + thousands(served.page) + ' of ' + thousands(last);
  }
  function goToPage(p) {
    var last = pageCount();
    p = Math.max(1, Math.min(last, p));
    if (p === served.page) return;
    served.page = p;
    activePos = 0;
    if (scroller) scroller.scrollTop = 0;
    writeHash();
    load();
  }
  if (pagerEl && SERVED) {
    pagerEl.addEventListener('click', function (e) {
      var b = e.target && e.target.closest ? e.target.closest('button[data-page]') : null;
      if (!b || b.disabled) return;
      var which = b.getAttribute('data-page');
      goToPage(which === 'first' ? 1 : which === 'prev' ? served.page - 1 : which === 'next' ? served.page + 1 : pageCount());
    });
  }

  // Served, a data-quality email's #user= link opens that user through the API (the state is
  // in the query string, so the fragment alone would change nothing).
  if (SERVED) {
    doc.addEventListener('click', function (e) {
      var a = e.target && e.target.closest ? e.target.closest('a[href^="#user="]') : null;
      if (!a) return;
      e.preventDefault();
      var email = dec((a.getAttribute('href') || '').slice('#user='.length));
      if (email !== '') openServedUser(email, false);
    });
  }

  // The snapshot, as-of and activity window are the whole page's scope: changing them loads
  // the page afresh for that scope (the server renders its header, summary and data quality).
  var scopeForm = byId('scope-form');
  if (scopeForm && SERVED) {
    scopeForm.addEventListener('submit', function (e) {
      e.preventDefault();
      // A field left as the page showed it stays out of the URL unless the URL named it.
      var had = {};
      served.fixed.forEach(function (kv) { had[kv[0]] = true; });
      var parts = [];
      ['snapshot', 'as-of', 'window-days'].forEach(function (k) {
        var f = scopeForm.elements[k];
        if (!f) return;
        var v = typeof f.value === 'string' ? f.value.trim() : '';
        var shown = f.tagName === 'SELECT'
          ? (f.selectedOptions[0] ? f.selectedOptions[0].defaultSelected : true)
          : f.value === f.defaultValue;
        if (v !== '' && (!shown || had[k])) parts.push(k + '=' + enc(v));
      });
      location.assign(location.pathname + (parts.length ? '?' + parts.join('&') : ''));
    });
  }

  // ---------------------------------------------------------------- reminders and licenses
  // A pending user's Email Preview and Send Reminder, a user without a license's Assign
  // License. Served, they are the server's routes (POST for the two that change something);
  // the static page cannot send or record anything, so it shows the preview it can make and
  // the command that does the rest.
  var MAIL = !SERVED && data.mail && typeof data.mail === 'object' ? data.mail : null;
  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '/': '&#x2f;' };
  function htmlEscape(s) { return String(s).replace(/[&<>"'\/]/g, function (c) { return ESC[c]; }); }
  // One shell word, quoted only when it needs it.
  function shellWord(s) { return /^[A-Za-z0-9@%_+=:,.\/-]+$/.test(s) ? s : "'" + String(s).replace(/'/g, "'\\''") + "'"; }
  function emailOf(i) { return typeof emails[i] === 'string' ? emails[i] : ''; }
  // The stage a reminder is about: the first not known to be done (src/remind.rs, Stage::next).
  function nextStage(i) {
    var keys = ['activate', 'setup', 'data'];
    for (var k = 0; k < 3; k++) {
      var d = STAGES[k][1][i];
      if (!(d === 1 || d === true)) return keys[k];
    }
    return 'data';
  }
  // The static page's preview: the stage's rendering with the user's greeting and address put
  // in (src/report.rs, MailPreview), or null when only the CLI can render it exactly.
  function staticPreview(i) {
    if (!MAIL || MAIL.exact !== true || !MAIL.stages) return null;
    var parts = MAIL.stages[nextStage(i)];
    if (!parts) return null;
    var em = emailOf(i);
    var nm = names[i];
    var greet = hasText(nm) && nm.trim() !== '' ? nm : em.split('@')[0];
    function fill(text, name, email) { return String(text).split(MAIL.name_token).join(name).split(MAIL.email_token).join(email); }
    return {
      from: MAIL.from,
      to: hasText(nm) && nm.trim() !== '' ? nm + ' <' + em + '>' : em,
      subject: fill(parts.subject, greet, em).split(/\s+/).filter(Boolean).join(' '),
      text: fill(parts.text, greet, em),
      html: fill(parts.html, htmlEscape(greet), htmlEscape(em))
    };
  }
  function previewView(p) {
    var box = el('div', 'mail-preview');
    var dl = el('dl', 'kv');
    kv(dl, 'From', p.from || '');
    kv(dl, 'To', p.to || '');
    kv(dl, 'Subject', p.subject || '');
    box.appendChild(dl);
    box.appendChild(el('pre', 'mail-text', p.text || ''));
    var html = el('details', 'mail-html');
    html.appendChild(el('summary', null, 'HTML part (source)'));
    html.appendChild(el('pre', null, p.html || ''));
    box.appendChild(html);
    return box;
  }
  function commandLine(words) {
    var p = el('p', 'command');
    p.appendChild(doc.createTextNode('Run: '));
    p.appendChild(el('code', null, words.map(shellWord).join(' ')));
    return p;
  }
  // POST to a state-changing route; resolves with { ok, status, body } (a refusal's body too).
  function postJSON(url) {
    return fetch(url, { method: 'POST', headers: { Accept: 'application/json' }, credentials: 'same-origin' }).then(function (r) {
      return r.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (err) { body = null; }
        return { ok: r.ok, status: r.status, body: body || {} };
      });
    });
  }
  function errorText(res) { return res.body && typeof res.body.error === 'string' ? res.body.error : 'HTTP ' + res.status; }
  // A detail's user read again (the reminders count, the list's row) after a change.
  function refreshUser(email) {
    getJSON(API + 'user?email=' + enc(email) + fixedQuery()).then(function (d) {
      var i = addDetail(d);
      if (dlg && dlg.open && state.user !== null && state.user.toLowerCase() === String(d.email).toLowerCase()) {
        var keep = dBody.querySelector('.action-status');
        var said = keep ? keep.textContent : '';
        fillDetails(i);
        var again = dBody.querySelector('.action-status');
        if (again) again.textContent = said;
      }
      load();
    }, function () { load(); });
  }

  function reminderActions(i) {
    var em = emailOf(i);
    var box = el('div', 'actions');
    var out = el('div', 'preview-slot');
    var status = el('p', 'action-status');
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    if (SERVED) {
      var bar = el('div', 'action-bar');
      var pv = el('button', 'btn', 'Email preview');
      pv.type = 'button';
      pv.setAttribute('aria-expanded', 'false');
      var send = el('button', 'btn primary', 'Send reminder');
      send.type = 'button';
      pv.addEventListener('click', function () {
        if (pv.getAttribute('aria-expanded') === 'true') {
          out.replaceChildren();
          pv.setAttribute('aria-expanded', 'false');
          return;
        }
        pv.disabled = true;
        getJSON(API + 'remind/preview?email=' + enc(em) + fixedQuery()).then(function (p) {
          out.replaceChildren(previewView(p));
          pv.setAttribute('aria-expanded', 'true');
          pv.disabled = false;
        }, function (err) {
          status.textContent = 'No preview: ' + (err && err.message ? err.message : String(err));
          pv.disabled = false;
        });
      });
      function sendNow(force) {
        send.disabled = true;
        status.textContent = 'Sending…';
        postJSON(API + 'remind?email=' + enc(em) + (force ? '&force=1' : '') + fixedQuery()).then(function (res) {
          send.disabled = false;
          var r = res.body && Array.isArray(res.body.results) ? res.body.results[0] : null;
          if (!res.ok && !r) { status.textContent = 'Not sent: ' + errorText(res); return; }
          if (r && r.outcome === 'sent') {
            status.textContent = 'Sent (' + res.body.via + '). Logged in reminder_log.';
            refreshUser(em);
          } else if (r && r.outcome === 'skipped') {
            status.textContent = 'Not sent: ' + r.line.replace(/^skipped\s+\S+:\s*/, '');
            if (!force && /min-interval/.test(r.line)) {
              var again = el('button', 'btn', 'Send anyway');
              again.type = 'button';
              again.addEventListener('click', function () { again.remove(); sendNow(true); });
              status.appendChild(doc.createTextNode(' '));
              status.appendChild(again);
            }
          } else {
            status.textContent = 'Failed: ' + (r ? r.line.replace(/^failed\s+\S+:\s*/, '') : errorText(res)) + ' (logged)';
            refreshUser(em);
          }
        }, function (err) {
          send.disabled = false;
          status.textContent = 'Not sent: ' + (err && err.message ? err.message : String(err));
        });
      }
      send.addEventListener('click', function () { sendNow(false); });
      bar.appendChild(pv);
      bar.appendChild(send);
      box.appendChild(bar);
      box.appendChild(status);
      box.appendChild(out);
      return box;
    }
    var p = staticPreview(i);
    var det = el('details', 'mail');
    det.appendChild(el('summary', null, 'Email preview'));
    if (p) {
      det.appendChild(previewView(p));
    } else {
      det.appendChild(el('p', null, 'The reminder templates in use cannot be previewed here exactly.'));
      det.appendChild(commandLine(['rollcall', 'remind', 'preview', em]));
    }
    box.appendChild(det);
    box.appendChild(el('p', null, 'This page cannot send email. To send this reminder (logged, and skipped if one went out within a day):'));
    box.appendChild(commandLine(['rollcall', 'remind', 'send', em]));
    return box;
  }

  function licenseActions(i) {
    var em = emailOf(i);
    var box = el('div', 'actions');
    if (!SERVED) {
      box.appendChild(el('p', null, 'To put this user on the license worklist (open until a later snapshot shows the license):'));
      box.appendChild(commandLine(['rollcall', 'licenses', 'mark', em, '--assign']));
      return box;
    }
    var status = el('p', 'action-status');
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    var b = el('button', 'btn primary', 'Assign license');
    b.type = 'button';
    b.addEventListener('click', function () {
      b.disabled = true;
      status.textContent = 'Recording…';
      postJSON(API + 'worklist/mark?action=assign&email=' + enc(em) + fixedQuery()).then(function (res) {
        if (!res.ok) {
          b.disabled = false;
          status.textContent = 'Not recorded: ' + errorText(res);
          return;
        }
        status.textContent = 'Added to the license worklist: open until a later snapshot shows the license. Assign it in the Enpass Admin Console. ';
        var a = el('a', null, 'Open the worklist');
        a.href = '/worklist';
        status.appendChild(a);
      }, function (err) {
        b.disabled = false;
        status.textContent = 'Not recorded: ' + (err && err.message ? err.message : String(err));
      });
    });
    var bar = el('div', 'action-bar');
    bar.appendChild(b);
    box.appendChild(bar);
    box.appendChild(status);
    return box;
  }

  // ---------------------------------------------------------------- served: remind selected
  // The admin ticks users in the list and sends them reminders in one request. The selection
  // is a set of emails, kept while pages, searches and filters change (a page holds only the
  // rows shown), and capped at the most one POST /api/remind names. Users who are not pending
  // are sent anyway: the server skips them and says why, as `remind send` does.
  var PICK_MAX = typeof data.remind_max === 'number' && data.remind_max > 0 ? data.remind_max : 0;
  var picked = new Map();
  var sending = false;
  var pickPage = byId('select-page');
  var pickCount = byId('selection-count');
  var pickLimit = byId('selection-limit');
  var remindSel = byId('remind-selected');
  var clearSel = byId('clear-selection');
  var remindResult = byId('remind-result');

  function isPickBox(x) { return !!(x && x.classList && x.classList.contains('pick-box')); }
  function isPicked(em) { return picked.has(em.toLowerCase()); }

  // Adds a user to the selection; false past the cap.
  function pick(em) {
    if (isPicked(em)) return true;
    if (picked.size >= PICK_MAX) return false;
    picked.set(em.toLowerCase(), em);
    return true;
  }

  function pickCell(tr, i, tabbable) {
    var em = emailOf(i);
    var nm = names[i];
    var td = el('td', 'k-select');
    // The label fills the cell: a click anywhere in it ticks the box.
    var lb = el('label', 'pick');
    var b = doc.createElement('input');
    b.type = 'checkbox';
    b.className = 'pick-box';
    b.tabIndex = tabbable ? 0 : -1;
    b.disabled = em === '';
    b.checked = em !== '' && isPicked(em);
    b.setAttribute('aria-label', 'Select ' + (hasText(nm) ? nm + ' (' + em + ')' : em));
    tr.classList.toggle('picked', b.checked);
    lb.appendChild(b);
    td.appendChild(lb);
    return td;
  }

  function pageEmails() {
    var out = [];
    for (var p = 0; p < viewLen; p++) {
      var em = emailOf(view[p]);
      if (em !== '') out.push(em);
    }
    return out;
  }

  function sayLimit(text) {
    if (pickLimit) pickLimit.textContent = text;
  }

  // The boxes, the page's box, the count and the bar, from the selection.
  function syncSelection() {
    if (!SERVED) return;
    var rows = tbody ? tbody.querySelectorAll('tr.r') : [];
    for (var k = 0; k < rows.length; k++) {
      var on = isPicked(rows[k].getAttribute('data-email') || '');
      var b = rows[k].querySelector('input.pick-box');
      if (b && !b.disabled) b.checked = on;
      rows[k].classList.toggle('picked', on);
    }
    var page = pageEmails();
    var here = page.filter(isPicked).length;
    if (pickPage) {
      pickPage.disabled = page.length === 0;
      pickPage.checked = page.length > 0 && here === page.length;
      pickPage.indeterminate = here > 0 && here < page.length;
    }
    var total = picked.size;
    var pending = pendingPicked();
    if (pickCount) {
      pickCount.textContent = total === 0
        ? 'None selected: tick users in the list to send them reminders, up to ' + PICK_MAX + ' at once.'
        : thousands(total) + ' selected (' + pending + ' pending, ' + here + ' on this page), kept across pages, searches and filters' +
          (total >= PICK_MAX ? ': the most one send takes.' : '.');
    }
    if (total < PICK_MAX) sayLimit('');
    if (remindSel) {
      remindSel.textContent = 'Send reminders to the selected (' + thousands(total) + ')';
      remindSel.disabled = total === 0 || sending;
    }
    if (clearSel) clearSel.hidden = total === 0;
  }

  function whyNot() {
    return 'at most ' + PICK_MAX + ' users can be selected, the most one send takes. Send these first, or unselect some.';
  }

  // The selected users the rows seen last called pending (the server decides when sending).
  function pendingPicked() {
    var count = 0;
    picked.forEach(function (em, key) {
      var i = poolIndex.get(key);
      if (i !== undefined && slug(ST, i) === 'pending') count++;
    });
    return count;
  }

  // The server's account of a send: the counts, then why each user was not sent.
  function showAccount(b) {
    var frag = doc.createDocumentFragment();
    frag.appendChild(el('p', 'account', b.sent + ' sent, ' + b.skipped + ' skipped, ' + b.failed + ' failed (' + b.via + ').'));
    var notSent = b.results.filter(function (r) { return r && r.outcome !== 'sent'; });
    if (notSent.length) {
      var ul = el('ul', 'reasons');
      notSent.forEach(function (r) { ul.appendChild(el('li', null, String(r.line))); });
      frag.appendChild(ul);
    }
    remindResult.replaceChildren(frag);
  }

  if (SERVED && tbody) {
    tbody.addEventListener('change', function (e) {
      var b = e.target;
      if (!isPickBox(b)) return;
      var tr = b.closest('tr.r');
      var em = tr ? tr.getAttribute('data-email') || '' : '';
      if (em === '') return;
      if (!b.checked) picked.delete(em.toLowerCase());
      else if (!pick(em)) {
        b.checked = false;
        sayLimit(em + ' is not selected: ' + whyNot());
      }
      syncSelection();
    });
  }
  if (SERVED && pickPage) {
    // Ticked or mixed, a click selects the page's users (as many as the cap leaves room for);
    // all of them selected, it unselects them.
    pickPage.addEventListener('change', function () {
      var page = pageEmails();
      if (page.length && page.every(isPicked)) {
        page.forEach(function (em) { picked.delete(em.toLowerCase()); });
      } else {
        var left = page.filter(function (em) { return !pick(em); }).length;
        if (left) sayLimit((page.length - left) + ' of the ' + page.length + ' users on this page are selected: ' + whyNot());
      }
      syncSelection();
    });
  }
  if (SERVED && clearSel) {
    clearSel.addEventListener('click', function () {
      picked.clear();
      syncSelection();
      // The button is gone: the focus goes where the next selection starts.
      if (pickPage) pickPage.focus({ preventScroll: true });
    });
  }
  if (SERVED && remindSel && remindResult) {
    remindSel.addEventListener('click', function () {
      var list = Array.from(picked.values());
      if (list.length === 0 || sending) return;
      var pending = pendingPicked();
      if (!window.confirm('Send reminders to the ' + list.length + ' selected user' + (list.length === 1 ? '' : 's') +
        ' (' + pending + ' pending)? Anyone not pending, or reminded recently, is skipped with the reason.')) return;
      sending = true;
      syncSelection();
      remindResult.replaceChildren(el('p', null, 'Sending to ' + list.length + '…'));
      postJSON(API + 'remind?' + list.map(function (em) { return 'email=' + enc(em); }).join('&') + fixedQuery()).then(function (res) {
        sending = false;
        var b = res.body || {};
        if (typeof b.sent === 'number' && Array.isArray(b.results)) {
          // Sent (a 502 too: the account says who failed): these users are done with (a box
          // ticked meanwhile stays), and the list's reminder counts have changed.
          showAccount(b);
          list.forEach(function (em) { picked.delete(em.toLowerCase()); });
          load();
        } else {
          remindResult.replaceChildren(el('p', null, 'Not sent: ' + errorText(res)));
        }
        syncSelection();
      }, function (err) {
        sending = false;
        remindResult.replaceChildren(el('p', null, 'Not sent: ' + (err && err.message ? err.message : String(err))));
        syncSelection();
      });
    });
  }

  // ---------------------------------------------------------------- changes since the previous snapshot
  // The changed users' table (history.html.j2): a search over each row's words, case- and
  // accent-insensitive like the list's.
  var changesSearch = byId('changes-search');
  var changesTable = byId('changes-users');
  if (changesSearch && changesTable) {
    var changeRows = Array.prototype.slice.call(changesTable.tBodies[0].rows);
    var fold = function (t) { return String(t).normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase(); };
    var changeText = changeRows.map(function (r) { return fold(r.textContent); });
    var changesCount = byId('changes-count');
    var changesEmpty = byId('changes-empty');
    changesSearch.addEventListener('input', function () {
      var q = fold(changesSearch.value.trim());
      var shown = 0;
      for (var k = 0; k < changeRows.length; k++) {
        var hit = q === '' || changeText[k].indexOf(q) !== -1;
        changeRows[k].hidden = !hit;
        if (hit) shown++;
      }
      if (changesCount) changesCount.textContent = (q === '' ? '' : thousands(shown) + ' of ') + thousands(changeRows.length) + (changeRows.length === 1 ? ' user' : ' users');
      if (changesEmpty) changesEmpty.hidden = shown !== 0;
    });
  }

  // ---------------------------------------------------------------- print
  var printRows = byId('print-rows');
  var printNote = byId('print-note');
  var printing = false;
  var openedForPrint = [];

  function describe() {
    var parts = [];
    if (state.q !== '') parts.push('Search: “' + state.q + '”');
    DIMS.forEach(function (d, j) {
      var vals = chosen(j, true);
      if (vals.length) parts.push(DIM_TITLES[d] + ': ' + vals.join(' or '));
    });
    parts.push('Sorted by ' + COL_TITLES[state.sortKey] + (state.sortDir === 'desc' ? ', descending' : ', ascending'));
    return parts.join(' · ');
  }

  // A cell whose email may wrap only after its @ and dots, never inside a word.
  function emailCell(email) {
    var td = el('td', 'email');
    email.split(/(?<=[@.])/).forEach(function (part, k) {
      if (k > 0) td.appendChild(doc.createElement('wbr'));
      td.appendChild(doc.createTextNode(part));
    });
    return td;
  }

  function beforePrint() {
    if (printing || !printRows) return;
    printing = true;
    // The header of every printed page (report.css reads it in @page).
    var head = (doc.title || 'Onboarding report') + ' · snapshot #' + (META.snapshot ? META.snapshot.id : '') +
      ' · as of ' + (META.as_of || '').replace('T', ' ').replace('Z', ' UTC') + ' · ' + describe();
    doc.documentElement.style.setProperty('--print-head', JSON.stringify(head));
    doc.body.classList.toggle('print-detail', !!(dlg && dlg.open));
    var cap = Math.min(viewLen, PRINT_CAP);
    var frag = doc.createDocumentFragment();
    for (var p = 0; p < cap; p++) {
      var i = view[p];
      var tr = doc.createElement('tr');
      tr.appendChild(el('td', null, hasText(names[i]) ? names[i] : '—'));
      tr.appendChild(emailCell(typeof emails[i] === 'string' ? emails[i] : ''));
      tr.appendChild(el('td', null, scimText(i)));
      tr.appendChild(el('td', null, shortTime(lastA[i]) || 'Never'));
      tr.appendChild(el('td', null, label(0, i)));
      tr.appendChild(el('td', null, label(1, i)));
      tr.appendChild(el('td', null, label(2, i)));
      tr.appendChild(el('td', null, label(3, i)));
      tr.appendChild(el('td', 'num', String(reminders(i))));
      frag.appendChild(tr);
    }
    printRows.replaceChildren(frag);
    if (printNote) {
      var what = SERVED
        ? 'Showing this page, ' + thousands(viewLen) + ' of ' + thousands(served.total) + ' matching users (page ' + served.page + ' of ' + pageCount() + '); Download CSV has all of them.'
        : viewLen > cap
        ? 'Showing the first ' + thousands(cap) + ' of ' + thousands(viewLen) + ' matching users; Download CSV (or users.csv) has all of them.'
        : 'Showing all ' + thousands(viewLen) + ' matching ' + (viewLen === 1 ? 'user' : 'users') + ' of ' + thousands(n) + '.';
      printNote.textContent = describe() + '. ' + what;
    }
    openedForPrint = [];
    var ds = doc.querySelectorAll('details:not([open])');
    for (var k = 0; k < ds.length; k++) {
      ds[k].open = true;
      openedForPrint.push(ds[k]);
    }
  }

  function afterPrint() {
    if (!printing) return;
    printing = false;
    doc.body.classList.remove('print-detail');
    if (printRows) printRows.replaceChildren();
    if (printNote) printNote.textContent = '';
    openedForPrint.forEach(function (d) { d.open = false; });
    openedForPrint = [];
  }

  // ---------------------------------------------------------------- events
  if (searchEl) {
    // Typing changes the list at once but not the history: the search is recorded as one entry
    // when it is committed (Enter, leaving the box, or a pause in typing).
    var searchTimer = 0;
    var commitSearch = function () {
      clearTimeout(searchTimer);
      searchTimer = 0;
      writeHash();
    };
    var typeTimer = 0;
    searchEl.addEventListener('input', function () {
      state.q = searchEl.value;
      if (SERVED) {
        // Served, each change is a request: wait for a short pause in typing.
        clearTimeout(typeTimer);
        typeTimer = setTimeout(function () { recording('none', function () { update(true); }); }, 200);
      } else {
        recording('none', function () { update(true); });
      }
      clearTimeout(searchTimer);
      searchTimer = setTimeout(commitSearch, 700);
    });
    searchEl.addEventListener('change', commitSearch);
  }

  if (filtersEl) {
    filtersEl.addEventListener('change', function (e) {
      var t = e.target;
      if (!t || t.type !== 'checkbox') return;
      var j = +t.getAttribute('data-dim');
      var c = +t.getAttribute('data-code');
      if (!sel[j] || c >= sel[j].length) return;
      sel[j][c] = t.checked ? 1 : 0;
      update(true);
    });
  }

  var clearBtn = byId('clear');
  if (clearBtn) {
    clearBtn.addEventListener('click', function () {
      for (var j = 0; j < DIMS.length; j++) sel[j].fill(0);
      state.q = '';
      syncControls();
      update(true);
    });
  }

  // The skip link goes straight to the search box: the first thing to do with the list.
  var skip = doc.querySelector('a.skip-link');
  if (skip && searchEl) {
    skip.addEventListener('click', function (e) {
      e.preventDefault();
      searchEl.focus();
    });
  }

  var dlBtn = byId('download');
  if (dlBtn) dlBtn.addEventListener('click', download);
  var mfBtn = byId('download-manifest');
  if (mfBtn) mfBtn.addEventListener('click', downloadManifest);

  if (thead) {
    thead.addEventListener('click', function (e) {
      var b = e.target && e.target.closest ? e.target.closest('button.sort') : null;
      if (!b) return;
      var key = b.getAttribute('data-key');
      if (COLS.indexOf(key) < 0) return;
      if (state.sortKey === key) state.sortDir = state.sortDir === 'asc' ? 'desc' : 'asc';
      else {
        state.sortKey = key;
        state.sortDir = 'asc';
      }
      update(true);
    });
  }

  if (scroller) {
    scroller.addEventListener('scroll', function () { render(false); }, { passive: true });
    scroller.addEventListener('keydown', function (e) {
      var t = e.target;
      var onRow = !!(t && t.parentNode === tbody && t.classList && t.classList.contains('r'));
      // A row's selection box moves like its row; its Space is its own (it ticks the box).
      var box = isPickBox(t) ? t.closest('tr.r') : null;
      if (!onRow && !box && !(t === scroller && parked)) return;
      var pos = onRow ? +t.getAttribute('data-pos') : (box ? +box.getAttribute('data-pos') : activePos);
      var page = Math.max(1, Math.floor(visibleRows() / rowH) - 1);
      switch (e.key) {
        case 'ArrowDown': moveTo(pos + 1, !!box); break;
        case 'ArrowUp': moveTo(pos - 1, !!box); break;
        case 'PageDown': moveTo(pos + page, !!box); break;
        case 'PageUp': moveTo(pos - page, !!box); break;
        case 'Home': moveTo(0, !!box); break;
        case 'End': moveTo(viewLen - 1, !!box); break;
        case 'Enter':
        case ' ':
        case 'Spacebar':
          if (!onRow) return;
          activePos = pos;
          openDetails(view[pos]);
          break;
        default: return;
      }
      e.preventDefault();
    });
  }

  if (tbody) {
    // The focused row (or its selection box) becomes the one Tab reaches.
    tbody.addEventListener('focusin', function (e) {
      var t = e.target;
      var tr = t && t.closest ? t.closest('tr.r') : null;
      if (!tr || tr.parentNode !== tbody) return;
      activePos = +tr.getAttribute('data-pos');
      parked = false;
      var prev = tbody.querySelectorAll('tr.r[tabindex="0"]');
      for (var k = 0; k < prev.length; k++) if (prev[k] !== tr) setTabbable(prev[k], false);
      setTabbable(tr, true);
    });
    tbody.addEventListener('click', function (e) {
      // A click on a selection box (or around it, in its cell) selects; it opens nothing.
      if (e.target && e.target.closest && e.target.closest('td.k-select')) return;
      var tr = e.target && e.target.closest ? e.target.closest('tr.r') : null;
      if (!tr || tr.parentNode !== tbody) return;
      var pos = +tr.getAttribute('data-pos');
      if (!(pos >= 0 && pos < viewLen)) return;
      activePos = pos;
      if (doc.activeElement !== tr) tr.focus({ preventScroll: true });
      openDetails(view[pos]);
    });
  }

  if (dlg) {
    dlg.addEventListener('close', onDetailsClosed);
    dlg.addEventListener('click', function (e) { if (e.target === dlg) closeDetails(); });
    dlg.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && typeof dlg.showModal !== 'function') {
        e.preventDefault();
        closeDetails();
      }
    });
  }
  if (dClose) dClose.addEventListener('click', closeDetails);

  // Chart bars link to fragments such as #status=pending: apply them and go to the list.
  var summaryEl = byId('summary');
  if (summaryEl) {
    summaryEl.addEventListener('click', function (e) {
      var a = e.target && e.target.closest ? e.target.closest('a') : null;
      if (!a) return;
      var href = a.getAttribute('href') || '';
      if (href.charAt(0) !== '#') return;
      e.preventDefault();
      // A bar adds its value to the filters (or takes it away again); "all users" clears them.
      var pair = barPair(href);
      if (pair) {
        sel[pair[0]][pair[1]] = sel[pair[0]][pair[1]] ? 0 : 1;
        syncControls();
        update(true);
      } else if (href === '#') {
        for (var j = 0; j < DIMS.length; j++) sel[j].fill(0);
        syncControls();
        update(true);
      } else {
        applyHash(href);
      }
      var users = byId('users');
      if (users) users.scrollIntoView({ block: 'start' });
      var h = byId('users-h');
      if (h) h.focus({ preventScroll: true });
    });
  }

  // Back and Forward (and a fragment typed into the address bar) show the state they carry,
  // recording nothing new.
  function fromLocation() {
    var h = currentState();
    if (!SERVED && h !== '' && h.indexOf('=') === -1 && byId(dec(h))) return; // a plain in-page anchor
    if (h === buildHash()) return;
    recording('replace', function () { applyHash(h); });
  }
  window.addEventListener('popstate', fromLocation);
  window.addEventListener('hashchange', fromLocation);

  var resizeQueued = false;
  window.addEventListener('resize', function () {
    if (resizeQueued) return;
    resizeQueued = true;
    requestAnimationFrame(function () {
      resizeQueued = false;
      measure();
      render(true);
    });
  });

  window.addEventListener('beforeprint', beforePrint);
  window.addEventListener('afterprint', afterPrint);
  if (window.matchMedia) {
    var pm = window.matchMedia('print');
    if (pm && typeof pm.addEventListener === 'function') {
      pm.addEventListener('change', function (e) { if (e.matches) beforePrint(); });
    }
  }

  // ---------------------------------------------------------------- start
  var api = {
    ready: false,
    visibleCount: function () { return viewLen; },
    // Rows whose character sets are built (the one-character search reads them).
    indexedRows: function () { return maskedUpTo; },
    csvText: csvText
  };
  Object.defineProperty(api, 'state', { enumerable: true, get: publicState });
  window.rollcall = api;

  theadH = thead ? thead.getBoundingClientRect().height : 0;
  // A large page runs the filter path once before it is interactive: the first click would
  // otherwise run it unoptimised (140 ms against 75 at 1,000,000 users). The state is the
  // link's again right after.
  if (!SERVED && n > 50000 && ST >= 0) {
    sel[ST][0] = 1;
    recompute();
    sel[ST][0] = 0;
  }
  // A link to a part of the page (#changes, #quality) is an anchor, not the list's state.
  var firstState = currentState();
  var anchor = !SERVED && firstState !== '' && firstState.indexOf('=') === -1 && byId(dec(firstState));
  if (!anchor) recording('replace', function () { applyHash(firstState); });
  if (measure()) render(true);

  api.ready = true;
  setTimeout(buildMasks, 0);
  // Time-to-interactive, read by bench/ from the dumped DOM.
  doc.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
  doc.body.setAttribute('data-ready', '1');
})();
