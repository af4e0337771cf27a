/* rollcall report: unpacks the users' data embedded in the page (#rollcall-data) for report.js,
   which calls window.rollcallData(). src/pack.rs packed it: typed columns after a JSON header,
   gzip-compressed, then base64 (README, "The HTML report", describes the format). The browser's
   own DecompressionStream inflates it: no network, no eval, nothing the Content-Security-Policy
   has to allow. The result has the shape report.js reads: text and flags are plain arrays with
   null where a value is unknown; times are Float64Arrays with NaN where unknown (typeof
   'number', so test them with isFinite, never with == null); codes and counts are typed arrays,
   where a code past the list it indexes (255, 65535…) is unknown. */
(function () {
  'use strict';

  var ENCODING = 'rollcall-columns-1+gzip+base64';
  var TYPES = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, i32: Int32Array, f64: Float64Array };
  var LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  // ignoreBOM: a value that starts with U+FEFF keeps it (the default would drop it from the
  // first value of a column). fatal: corrupt text is an error, not replacement characters.
  var UTF8 = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });

  function bytesOf(text) {
    if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
    var bin = atob(text);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // The inflated bytes, copied chunk by chunk into one array of the size the gzip trailer
  // gives (the length modulo 2^32; grown or cut should it be wrong). Written straight into the stream rather than
  // through a Blob and read without a Response: a million users inflate a third faster so.
  async function inflate(bytes) {
    var ds = new DecompressionStream('gzip');
    var w = ds.writable.getWriter();
    // A failure shows in the reader; these two would only repeat it.
    w.write(bytes).catch(function () {});
    w.close().catch(function () {});
    var n = bytes.length;
    var size = n < 4 ? 0 : (bytes[n - 4] | bytes[n - 3] << 8 | bytes[n - 2] << 16 | bytes[n - 1] << 24) >>> 0;
    var out = new Uint8Array(size);
    var at = 0;
    var reader = ds.readable.getReader();
    for (;;) {
      var r = await reader.read();
      if (r.done) break;
      if (at + r.value.length > out.length) {
        var bigger = new Uint8Array(Math.max(out.length * 2, at + r.value.length));
        bigger.set(out.subarray(0, at));
        out = bigger;
      }
      out.set(r.value, at);
      at += r.value.length;
    }
    return at === out.length ? out : out.subarray(0, at);
  }

  // The numbers of a descriptor as a typed array over the body (in place: src/pack.rs aligns
  // every array; read byte by byte only on a big-endian machine).
  function view(body, d) {
    var T = TYPES[d['@']];
    if (!T) throw new Error('unknown array type ' + d['@']);
    if (d.at % T.BYTES_PER_ELEMENT !== 0 || d.at + d.n * T.BYTES_PER_ELEMENT > body.length) {
      throw new Error('an array lies outside the data');
    }
    if (LITTLE) return new T(body.buffer, body.byteOffset + d.at, d.n);
    var dv = new DataView(body.buffer, body.byteOffset + d.at, d.n * T.BYTES_PER_ELEMENT);
    var get = { u8: 'getUint8', u16: 'getUint16', u32: 'getUint32', i32: 'getInt32', f64: 'getFloat64' }[d['@']];
    var out = new T(d.n);
    for (var i = 0; i < d.n; i++) out[i] = dv[get](i * T.BYTES_PER_ELEMENT, true);
    return out;
  }

  // A plain array of numbers, null for the null marker (NaN in f64), or running totals; with
  // "as": "f64" (times), a Float64Array with NaN for null; with "as": "typed" (codes, counts),
  // the typed array as stored, marker and all. Typed arrays allocate nothing per value; plain
  // ones are made at their full length and filled (pushing costs several times more).
  function numbers(body, d) {
    var v = view(body, d);
    var n = v.length;
    var i, x;
    if (d.as === 'f64') {
      var f = new Float64Array(n);
      var none = typeof d['null'] === 'number' ? d['null'] : NaN;
      for (i = 0; i < n; i++) { x = v[i]; f[i] = x === none ? NaN : x; }
      return f;
    }
    if (d.as === 'typed') {
      if (!d.delta) return v.slice(); // a copy: a view would keep the whole payload alive
      var sums = new Float64Array(n);
      var total = 0;
      for (i = 0; i < n; i++) { total += v[i]; sums[i] = total; }
      return sums;
    }
    var out = new Array(n);
    if (d.delta) {
      var t = 0;
      for (i = 0; i < n; i++) { t += v[i]; out[i] = t; }
    } else if (d['@'] === 'f64') {
      for (i = 0; i < n; i++) { x = v[i]; out[i] = x === x ? x : null; }
    } else if (typeof d['null'] === 'number') {
      var nul = d['null'];
      for (i = 0; i < n; i++) { x = v[i]; out[i] = x === nul ? null : x; }
    } else {
      for (i = 0; i < n; i++) out[i] = v[i];
    }
    return out;
  }

  // Text: decode the distinct values once, slice them by their UTF-16 lengths, then map codes.
  // With "lower": KEY, the lower-cased rows go to KEY beside the column ('' for null). One
  // search of the whole text finds the values with anything to lower (A-Z or non-ASCII); only
  // those are lowered (each distinct value once), and the rest are their own lower case.
  var UNLOWERED = /[A-Z\u0080-\uffff]/g;
  function strings(body, d, parent) {
    var at = d.utf8[0];
    if (at + d.utf8[1] > body.length) throw new Error('text lies outside the data');
    var text = UTF8.decode(body.subarray(at, at + d.utf8[1]));
    var lens = view(body, d.lens);
    var values = new Array(lens.length);
    var lower = typeof d.lower === 'string' ? new Array(lens.length) : null;
    UNLOWERED.lastIndex = 0;
    var hit = lower && UNLOWERED.exec(text) ? UNLOWERED.lastIndex - 1 : Infinity;
    var p = 0;
    var i;
    for (i = 0; i < lens.length; i++) {
      var e = p + lens[i];
      var v = text.slice(p, e);
      values[i] = v;
      if (lower) {
        if (hit < e) {
          lower[i] = v.toLowerCase();
          UNLOWERED.lastIndex = e;
          hit = UNLOWERED.exec(text) ? UNLOWERED.lastIndex - 1 : Infinity;
        } else {
          lower[i] = v;
        }
      }
      p = e;
    }
    if (p !== text.length) throw new Error('text lengths do not add up');
    if (!d.codes) {
      if (lower) parent[d.lower] = lower;
      return values;
    }
    var codes = view(body, d.codes);
    var nul = d.codes['null'];
    var out = new Array(codes.length);
    var low = lower ? new Array(codes.length) : null;
    for (i = 0; i < codes.length; i++) {
      var c = codes[i];
      out[i] = c === nul ? null : values[c];
      if (low) low[i] = c === nul ? '' : lower[c];
    }
    if (low) parent[d.lower] = low;
    return out;
  }

  // The header with every descriptor (an object with an "@" key) replaced by its array.
  function unpack(body, node, parent) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return node;
    var kind = node['@'];
    if (kind === 'str') return strings(body, node, parent);
    if (typeof kind === 'string') return numbers(body, node);
    var out = {};
    Object.keys(node).forEach(function (k) { out[k] = unpack(body, node[k], out); });
    return out;
  }

  async function load() {
    // Marks for bench/ (where a large page's time to interactive goes); they change nothing.
    if (performance.mark) performance.mark('rollcall:data-start');
    var el = document.getElementById('rollcall-data');
    if (!el) return {};
    var enc = el.getAttribute('data-encoding');
    if (enc !== ENCODING) throw new Error('the data is "' + enc + '", not ' + ENCODING);
    var all = await inflate(bytesOf(el.textContent || ''));
    // The text (tens of megabytes for a large organisation) is no longer needed.
    el.textContent = '';
    if (all.length < 4) throw new Error('the data is empty');
    var h = new DataView(all.buffer, all.byteOffset, 4).getUint32(0, true);
    var head = JSON.parse(UTF8.decode(all.subarray(4, 4 + h)));
    var body = all.subarray(Math.ceil((4 + h) / 8) * 8);
    head.u = unpack(body, head.u, head);
    head.d = unpack(body, head.d, head);
    if (performance.mark) performance.mark('rollcall:data-unpacked');
    return head;
  }

  // Said on the page, not only in the console: the list stays empty without the data.
  function failed(err) {
    console.error('rollcall: the users embedded in this page could not be unpacked:', err);
    var p = document.createElement('p');
    p.className = 'warning';
    p.id = 'data-error';
    p.setAttribute('role', 'alert');
    p.textContent = 'The list of users embedded in this page could not be unpacked (' +
      (err && err.message ? err.message : String(err)) + '). The page needs DecompressionStream ' +
      '(Chrome and Edge 80 or later, Firefox 113, Safari 16.4). users.csv beside this file holds every user.';
    var anchor = document.getElementById('controls');
    if (anchor && anchor.parentNode) anchor.parentNode.insertBefore(p, anchor);
    return {};
  }

  var pending = null;
  // The page's data, unpacked once; {} (and a visible warning) if it cannot be.
  window.rollcallData = function () {
    if (!pending) pending = load().catch(failed);
    return pending;
  };
})();
