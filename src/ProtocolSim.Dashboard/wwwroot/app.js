// ProtocolSim dashboard: no framework, no build. The server pushes (server-sent events); this page only renders.
(function () {
  'use strict';

  var ROW_HEIGHT = 30;
  var OVERSCAN = 8;
  var MAX_TIMELINE = 5000;
  var ARROWS = { 'from-client': '\u2192', 'to-client': '\u2190', internal: '\u2022' };
  var DIR_TITLES = { 'from-client': 'client under test to fake', 'to-client': 'fake to client under test', internal: 'a note of the fake' };

  // Figures the scale benchmark reads: list messages and rows received, and frame times.
  var stats = window.__dashboardStats = { messages: 0, rows: 0, renders: 0, frames: 0, frameMsTotal: 0, frameMsMax: 0, longFrames: 0 };
  var frameLog = window.__dashboardFrames = [];

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) { return; }
        if (k === 'text') { node.textContent = v; } else if (k === 'className') { node.className = v; } else { node.setAttribute(k, v === true ? '' : v); }
      });
    }
    (children || []).forEach(function (c) { if (c !== null && c !== undefined) { node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); } });
    return node;
  }
  function time(iso) { var d = new Date(iso); return isNaN(d) ? '' : d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0'); }
  function ms(t) { return t >= 10000 ? (t / 1000).toFixed(2) + ' s' : t.toFixed(1) + ' ms'; }
  function getJson(url) { return fetch(url, { headers: { Accept: 'application/json' } }).then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw new Error(j.error || ('HTTP ' + r.status)); } return j; }); }); }

  // ---------------------------------------------------------------- frame times (the benchmark's browser figure)
  (function measure() {
    var last = performance.now();
    function tick(now) {
      var d = now - last; last = now;
      stats.frames++; stats.frameMsTotal += d; if (d > stats.frameMsMax) { stats.frameMsMax = d; } if (d > 50) { stats.longFrames++; }
      if (frameLog.length < 100000) { frameLog.push(d); }
      requestAnimationFrame(tick);
    }
    requestAnimationFrame(tick);
  })();

  // ---------------------------------------------------------------- the session list (virtualised)
  var sessions = new Map();
  var order = [];
  var orderDirty = true;
  var selected = null;
  var listSource = null;
  var renderQueued = false;
  var list = $('list');
  var spacer = $('list-spacer');

  function filterQuery() {
    var p = new URLSearchParams();
    if ($('f-q').value.trim()) { p.set('q', $('f-q').value.trim()); }
    if ($('f-protocol').value) { p.set('protocol', $('f-protocol').value); }
    if ($('f-state').value) { p.set('state', $('f-state').value); }
    if ($('f-findings').checked) { p.set('findings', '1'); }
    return p.toString();
  }

  // One event stream per tab (a browser opens six connections per host at most): the list, filtered by the
  // server, and the timeline of the session shown. A new filter or another session opens a new stream.
  function connect() {
    if (listSource) { listSource.close(); }
    var q = filterQuery();
    // A new stream for the session shown (another filter) goes on after the last entry the page has.
    var url = 'api/stream?' + q + (selected ? (q ? '&' : '') + 'session=' + selected.key + (selected.lastSeq > 0 ? '&after=' + selected.lastSeq : '') : '');
    var source = listSource = new EventSource(url);
    var mine = function (handler) { return function (e) { if (source === listSource) { handler(e); } }; };
    source.addEventListener('hello', mine(function (e) {
      setLive(true);
      if (selected && JSON.parse(e.data).session === null && $('session-head')) {
        $('session-head').replaceChildren(el('p', { className: 'muted', text: 'Session ' + selected.key + ' is no longer in the list (the fakes keep their newest sessions).' }));
      }
    }));
    source.addEventListener('snapshot', mine(function (e) { list.dataset.query = q; apply(JSON.parse(e.data), true); }));
    source.addEventListener('delta', mine(function (e) { apply(JSON.parse(e.data), false); }));
    source.addEventListener('session', mine(function (e) { if (selected) { showSession(JSON.parse(e.data)); } }));
    source.addEventListener('entries', mine(function (e) { if (selected) { addEntries(JSON.parse(e.data).entries); } }));
    source.onerror = mine(function () { setLive(false); });
  }

  function setLive(ok) {
    var live = $('live');
    live.textContent = ok ? 'live' : 'reconnecting…';
    live.classList.toggle('down', !ok);
  }

  function apply(message, replace) {
    stats.messages++; stats.rows += message.rows.length;
    if (replace) { sessions.clear(); }
    message.rows.forEach(function (r) { sessions.set(r.key, r); });
    message.removed.forEach(function (k) { sessions.delete(k); });
    orderDirty = true;
    showTotals(message.totals);
    if (selected && sessions.has(selected.key)) { updateHeaderState(sessions.get(selected.key)); }
    queueRender();
  }

  function showTotals(t) {
    var parts = [t.sessions + ' session' + (t.sessions === 1 ? '' : 's'), t.open + ' open', t.findings + ' finding' + (t.findings === 1 ? '' : 's')];
    $('totals').textContent = parts.join(' \u00b7 ') + (sessions.size !== t.sessions ? ' \u00b7 ' + sessions.size + ' shown' : '');
    var select = $('f-protocol');
    Object.keys(t.protocols).forEach(function (p) {
      if (!Array.prototype.some.call(select.options, function (o) { return o.value === p; })) { select.appendChild(el('option', { value: p, text: p })); }
    });
  }

  function queueRender() {
    if (renderQueued) { return; }
    renderQueued = true;
    requestAnimationFrame(function () { renderQueued = false; renderList(); });
  }

  function renderList() {
    stats.renders++;
    if (orderDirty) { order = Array.from(sessions.keys()).sort(function (a, b) { return b - a; }); orderDirty = false; }
    $('list-empty').hidden = order.length > 0;
    spacer.style.height = (order.length * ROW_HEIGHT) + 'px';
    var first = Math.max(0, Math.floor(list.scrollTop / ROW_HEIGHT) - OVERSCAN);
    var last = Math.min(order.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    var focusedKey = document.activeElement && document.activeElement.dataset ? Number(document.activeElement.dataset.key) : NaN;
    var keep = new Map();
    Array.prototype.forEach.call(list.querySelectorAll('a.row'), function (a) { keep.set(Number(a.dataset.key), a); });
    var previous = spacer;
    for (var i = first; i < last; i++) {
      var key = order[i];
      var s = sessions.get(key);
      var row = keep.get(key);
      if (row) { keep.delete(key); } else { row = el('a', { className: 'row', 'data-key': key }); }
      // In the DOM in list order, so Tab and a screen reader go the way the eye does; a row already in its place
      // is not moved (moving the focused one would drop the focus).
      if (previous.nextElementSibling !== row) { list.insertBefore(row, previous.nextElementSibling); }
      previous = row;
      fillRow(row, s, i);
    }
    // Rows scrolled away are dropped, except the one with the focus (its place is kept by its top).
    keep.forEach(function (a, k) { if (k !== focusedKey || !sessions.has(k)) { a.remove(); } });
  }

  function fillRow(row, s, index) {
    var sig = [s.protocol, s.variant, s.client, s.state, s.findings, s.entries, selected && selected.key === s.key].join('|');
    row.style.top = (index * ROW_HEIGHT) + 'px';
    if (row.dataset.sig === sig) { return; }
    row.dataset.sig = sig;
    row.href = '#/session/' + s.key;
    row.className = 'row' + (s.findings > 0 ? ' has-findings' : '') + (selected && selected.key === s.key ? ' selected' : '');
    if (selected && selected.key === s.key) { row.setAttribute('aria-current', 'true'); } else { row.removeAttribute('aria-current'); }
    row.setAttribute('aria-label', s.protocol + ' ' + (s.variant || '') + ' session ' + s.id + (s.group ? ' of ' + s.group : '') + ', ' + s.state + ', ' + s.findings + ' finding(s)');
    row.title = s.group ? s.group + ' \u00b7 ' + s.id : s.id;
    row.replaceChildren(
      el('span', { className: 'c-proto', text: s.protocol }),
      el('span', { className: 'c-variant', text: s.variant || '\u2013' }),
      el('span', { className: 'c-client', text: s.client || '\u2013' }),
      el('span', { className: 'c-state st-' + s.state, text: s.state }),
      el('span', { className: 'c-start', text: time(s.started).slice(0, 8), title: time(s.started) }),
      el('span', { className: 'c-find', text: String(s.findings) }));
  }

  list.addEventListener('scroll', queueRender, { passive: true });
  window.addEventListener('resize', queueRender);
  list.addEventListener('keydown', function (e) {
    // Arrow keys move along the list (rows beyond the window are rendered as the focus reaches them).
    var a = e.target.closest && e.target.closest('a.row');
    if (!a || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Home' && e.key !== 'End')) { return; }
    e.preventDefault();
    var i = order.indexOf(Number(a.dataset.key));
    var next = e.key === 'Home' ? 0 : e.key === 'End' ? order.length - 1 : i + (e.key === 'ArrowDown' ? 1 : -1);
    if (next < 0 || next >= order.length) { return; }
    var top = next * ROW_HEIGHT;
    if (top < list.scrollTop) { list.scrollTop = top; } else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight) { list.scrollTop = top + ROW_HEIGHT - list.clientHeight; }
    renderList();
    var target = list.querySelector('a.row[data-key="' + order[next] + '"]');
    if (target) { target.focus(); }
  });

  var filterTimer = 0;
  $('filters').addEventListener('input', function () { clearTimeout(filterTimer); filterTimer = setTimeout(connect, 200); });
  $('filters').addEventListener('submit', function (e) { e.preventDefault(); connect(); });

  // ---------------------------------------------------------------- one session: header, findings, audio, timeline
  function openSession(key) {
    var detail = $('detail');
    pendingEntry = null;
    selected = { key: key, rules: new Map(), badges: new Map(), entries: 0, lastSeq: 0, audio: {} };
    orderDirty = true; queueRender();
    detail.replaceChildren(
      el('div', { id: 'session-head', className: 'session-head' }),
      el('div', { id: 'findings' }),
      el('div', { id: 'audio', className: 'audio' }),
      el('div', { className: 'timeline-tools' }, [
        el('h3', { text: 'Timeline' }),
        el('label', { className: 'check' }, [el('input', { id: 't-audio', type: 'checkbox' }), ' hide audio frames']),
        el('label', { className: 'check' }, [el('input', { id: 't-findings', type: 'checkbox' }), ' only entries with findings']),
        el('span', { id: 't-count', className: 'muted' })]),
      el('p', { className: 'legend muted', text: '\u2192 client under test to fake \u00b7 \u2190 fake to client under test \u00b7 \u2022 note' }),
      el('ol', { id: 'timeline', className: 'timeline', 'aria-label': 'Timeline entries' }),
      el('p', { id: 'timeline-cap', className: 'note', hidden: true }));
    $('t-audio').addEventListener('change', function (e) { $('timeline').classList.toggle('hide-audio', e.target.checked); });
    $('t-findings').addEventListener('change', function (e) { $('timeline').classList.toggle('only-findings', e.target.checked); });
    connect();
  }

  function showSession(s) {
    var head = $('session-head');
    // Only a stream that opened at the session's newest entries skips any (a resumed one sends 0).
    selected.skipped = Math.max(selected.skipped || 0, s.skipped);
    var labels = Object.keys(s.labels).map(function (k) { return el('span', { className: 'label', text: k + ': ' + s.labels[k] }); });
    head.replaceChildren.apply(head, [
      el('h2', {}, [s.protocol + ' ', el('span', { className: 'muted', text: s.id })]),
      el('p', { className: 'meta' }, [
        el('span', { id: 'session-state', className: 'state st-' + s.state, text: s.state }), ' ',
        'started ' + time(s.started) + (s.ended ? ' \u00b7 ended ' + time(s.ended) : '') + (s.client ? ' \u00b7 client ' + s.client : '') + (s.variant ? ' \u00b7 ' + s.variant : '')]),
      s.group ? el('p', { id: 'session-group', className: 'meta', text: 'Scenario ' + s.group }) : null,
      el('p', { className: 'labels' }, labels)].filter(Boolean));
    showFindings(s.findings);
    showAudio(s);
  }

  function updateHeaderState(row) {
    var st = $('session-state');
    if (st && st.textContent !== row.state) { st.textContent = row.state; st.className = 'state st-' + row.state; }
  }

  function showFindings(findings) {
    selected.rules = new Map();
    findings.forEach(function (f) {
      if (f.seq) { var list = selected.rules.get(f.seq) || []; list.push(f); selected.rules.set(f.seq, list); }
    });
    var box = $('findings');
    if (findings.length === 0) { box.replaceChildren(); return; }
    box.replaceChildren(el('h3', { text: 'Findings (' + findings.length + ')' }), el('ul', { className: 'findings' }, findings.map(function (f) {
      return el('li', {}, [
        el('span', { className: 'rule', text: f.rule || 'finding' }), ' ',
        el('span', { className: 'muted', text: ms(f.t) }), ' ', f.message,
        f.expected || f.actual ? el('span', { className: 'muted', text: ' \u2014 expected ' + (f.expected || '\u2013') + ', actual ' + (f.actual || '\u2013') }) : null,
        f.seq ? el('a', { href: '#/session/' + selected.key + '/entry/' + f.seq, className: 'goto', text: ' entry #' + f.seq }) : null]);
    })));
    selected.rules.forEach(function (_, seq) { markEntry(seq); });
  }

  function showAudio(s) {
    var box = $('audio');
    s.audio.forEach(function (track) {
      var known = selected.audio[track.name];
      if (known && known.ms === track.ms) { return; }
      var id = 'audio-' + track.name;
      var fig = $(id);
      if (!fig) {
        fig = el('figure', { id: id, className: 'track' }, [
          el('figcaption', {}, ['Audio ', el('strong', { text: track.name }), el('span', { className: 'muted dur' })]),
          el('canvas', { width: 800, height: 64, role: 'img', 'aria-label': 'Waveform of the ' + track.name + ' audio' }),
          el('audio', { controls: true, preload: 'metadata', 'aria-label': track.name + ' audio' })]);
        box.appendChild(fig);
      }
      var audio = fig.querySelector('audio');
      var due = !known || Date.now() - known.at > 2000 || s.state === 'ended';
      if (!due) { return; }
      selected.audio[track.name] = { ms: track.ms, at: Date.now() };
      fig.querySelector('.dur').textContent = ' ' + (track.ms / 1000).toFixed(1) + ' s \u00b7 ' + track.rate + ' Hz';
      if (audio.paused) { audio.src = 'api/sessions/' + selected.key + '/audio/' + encodeURIComponent(track.name) + '.wav?ms=' + track.ms; }
      getJson('api/sessions/' + selected.key + '/audio/' + encodeURIComponent(track.name) + '/peaks?n=800').then(function (p) { drawWave(fig.querySelector('canvas'), p); }).catch(function () { });
    });
  }

  function drawWave(canvas, peaks) {
    var ctx = canvas.getContext('2d');
    var w = canvas.width, h = canvas.height, mid = h / 2;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#0969da';
    var n = peaks.max.length;
    for (var i = 0; i < n; i++) {
      var x = Math.floor(i * w / n), bw = Math.max(1, Math.floor(w / n));
      var top = mid - peaks.max[i] * mid, bottom = mid - peaks.min[i] * mid;
      ctx.fillRect(x, top, bw, Math.max(1, bottom - top));
    }
    canvas.dataset.drawn = String(n);
  }

  function addEntries(entries) {
    var ol = $('timeline');
    if (!ol) { return; }
    var fragment = document.createDocumentFragment();
    entries.forEach(function (e) {
      if (e.seq <= selected.lastSeq) { return; }
      selected.lastSeq = e.seq;
      selected.entries++;
      var id = 'e-' + e.seq;
      var li = el('li', { id: id, className: 'entry dir-' + e.dir + ' kind-' + e.kind.toLowerCase() + (e.audio ? ' audio-frame' : '') });
      var head = el('button', { type: 'button', className: 'entry-head', 'aria-expanded': 'false', 'aria-controls': id + '-body' }, [
        el('span', { className: 'seq', text: '#' + e.seq }),
        el('span', { className: 't', text: ms(e.t) }),
        el('span', { className: 'dir', title: DIR_TITLES[e.dir], text: ARROWS[e.dir] }),
        el('span', { className: 'kind', text: e.kind }),
        el('span', { className: 'sum', text: e.summary }),
        el('span', { className: 'len muted', text: e.len ? e.len + ' B' : '' })]);
      li.appendChild(head);
      li.appendChild(el('div', { id: id + '-body', className: 'entry-body', hidden: true }));
      fragment.appendChild(li);
    });
    ol.appendChild(fragment);
    // The newest entries stay: a long session keeps filling live, and the page's memory stays bounded.
    var dropped = 0;
    while (ol.childElementCount > MAX_TIMELINE) { ol.firstElementChild.remove(); dropped++; }
    selected.dropped = (selected.dropped || 0) + dropped;
    entries.forEach(function (e) { if (selected.rules.has(e.seq)) { markEntry(e.seq); } });
    $('t-count').textContent = (selected.entries + (selected.skipped || 0)) + ' entr' + (selected.entries === 1 ? 'y' : 'ies');
    showCap();
    if (pendingEntry) { var seq = pendingEntry; pendingEntry = null; revealEntry(seq); }
  }

  function showCap() {
    var hidden = (selected.skipped || 0) + (selected.dropped || 0);
    var cap = $('timeline-cap');
    cap.hidden = hidden === 0;
    cap.textContent = hidden === 0 ? '' : 'The first ' + hidden + ' entries are not shown here (the newest ' + MAX_TIMELINE + ' are); the run\u2019s report and its journal file have them all.';
  }

  function markEntry(seq) {
    var li = $('e-' + seq);
    var findings = selected.rules.get(seq) || [];
    var shown = selected.badges.get(seq) || 0;
    if (!li || shown >= findings.length) { return; }
    li.classList.add('finding');
    var head = li.querySelector('.entry-head');
    findings.slice(shown).forEach(function (f) { head.appendChild(el('span', { className: 'rule', title: f.message, text: f.rule || 'finding' })); });
    selected.badges.set(seq, findings.length);
  }

  $('detail').addEventListener('click', function (e) {
    var head = e.target.closest && e.target.closest('.entry-head');
    if (head) { toggleEntry(head.parentElement); }
  });

  function toggleEntry(li, open) {
    var head = li.querySelector('.entry-head');
    var body = li.querySelector('.entry-body');
    var expand = open === undefined ? head.getAttribute('aria-expanded') !== 'true' : open;
    head.setAttribute('aria-expanded', String(expand));
    body.hidden = !expand;
    if (expand && !body.dataset.loaded) {
      body.dataset.loaded = '1';
      body.textContent = 'loading\u2026';
      getJson('api/sessions/' + selected.key + '/entries/' + li.id.slice(2)).then(function (d) { fillEntry(body, d); })
        .catch(function (err) { body.textContent = 'Could not load the entry: ' + err.message; delete body.dataset.loaded; });
    }
  }

  function fillEntry(body, d) {
    var parts = [el('p', { className: 'muted', text: new Date(d.time).toISOString() + ' \u00b7 ' + ms(d.t) + ' \u00b7 ' + DIR_TITLES[d.dir] + ' \u00b7 ' + d.kind + ' \u00b7 ' + d.len + ' bytes on the wire' + (d.audio ? ' \u00b7 audio ' + d.audio + ' at ' + ms(d.audioMs || 0) : '') })];
    d.findings.forEach(function (f) {
      parts.push(el('p', { className: 'error' }, [el('span', { className: 'rule', text: f.rule || 'finding' }), ' ' + f.message + (f.expected || f.actual ? ' \u2014 expected ' + (f.expected || '\u2013') + ', actual ' + (f.actual || '\u2013') : '')]));
    });
    if (d.json) { parts.push(el('h4', { text: 'JSON' }), el('pre', { className: 'json', text: d.json })); }
    if (d.text) { parts.push(el('h4', { text: 'Text' }), el('pre', { className: 'text', text: d.text })); }
    if (d.hex) { parts.push(el('h4', { text: 'Hex (' + d.hexOf + ')' }), el('pre', { className: 'hex', text: d.hex })); }
    body.replaceChildren.apply(body, parts);
  }

  var pendingEntry = null;
  function revealEntry(seq) {
    var li = $('e-' + seq);
    if (!li) { pendingEntry = seq; return; }
    toggleEntry(li, true);
    li.scrollIntoView({ block: 'center' });
    li.querySelector('.entry-head').focus();
  }

  // ---------------------------------------------------------------- admin actions
  var actionsLoaded = false;
  function loadActions() {
    if (actionsLoaded) { return; }
    actionsLoaded = true;
    getJson('api/info').then(function (info) {
      var box = $('actions');
      if (info.actions.length === 0) { box.textContent = 'No fake offers admin actions here.'; return; }
      info.actions.forEach(function (a) { box.appendChild(actionForm(a)); });
    }).catch(function (err) { actionsLoaded = false; $('actions').textContent = 'Could not load the actions: ' + err.message; });
  }

  function actionForm(a) {
    var out = el('pre', { className: 'result', role: 'status', 'aria-live': 'polite' });
    var fields = a.fields.map(function (f) {
      var id = 'a-' + a.id + '-' + f.name;
      var input;
      if (f.kind === 'checkbox') {
        input = el('input', { id: id, name: f.name, type: 'checkbox', checked: f.default === 'true' });
        return el('label', { className: 'check' }, [input, ' ' + f.label]);
      }
      if (f.kind === 'choice') {
        input = el('select', { id: id, name: f.name }, f.choices.map(function (c) { return el('option', { value: c, text: c, selected: c === f.default }); }));
      } else if (f.kind === 'json') {
        input = el('textarea', { id: id, name: f.name, rows: 6, spellcheck: 'false' });
        input.value = f.default;
        var file = el('input', { type: 'file', accept: '.json,application/json', 'aria-label': 'Load ' + f.label + ' from a file' });
        file.addEventListener('change', function () { if (file.files[0]) { file.files[0].text().then(function (t) { input.value = t; }); } });
        return el('div', { className: 'field' }, [el('label', { for: id, text: f.label }), input, file]);
      } else {
        input = el('input', { id: id, name: f.name, type: f.kind === 'number' ? 'number' : 'text', value: f.default });
      }
      return el('div', { className: 'field' }, [el('label', { for: id, text: f.label }), input]);
    });
    var button = el('button', { type: 'submit', className: 'primary', text: a.title });
    var form = el('form', { className: 'action', 'data-action': a.id, 'aria-label': a.title }, [
      el('h3', {}, [a.title + ' ', el('span', { className: 'fake', text: a.fake })]),
      el('p', { className: 'muted', text: a.description })].concat(fields).concat([button, out]));
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var values = {};
      a.fields.forEach(function (f) {
        var input = form.elements[f.name];
        values[f.name] = f.kind === 'checkbox' ? input.checked : input.value;
      });
      button.disabled = true;
      out.className = 'result';
      out.textContent = 'sending\u2026';
      fetch('api/actions/' + encodeURIComponent(a.id), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(values) })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          var ok = j.ok === true;
          out.className = 'result ' + (ok ? 'ok' : 'bad');
          out.textContent = j.error ? j.error : 'HTTP ' + j.status + (j.body ? '\n' + pretty(j.body) : '');
        })
        .catch(function (err) { out.className = 'result bad'; out.textContent = err.message; })
        .finally(function () { button.disabled = false; });
    });
    return form;
  }

  function pretty(text) { try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; } }

  // ---------------------------------------------------------------- reports of past runs
  function loadReports() {
    var body = $('reports');
    body.replaceChildren(el('tr', {}, [el('td', { colspan: 6, className: 'muted', text: 'loading\u2026' })]));
    getJson('api/reports').then(function (r) {
      $('reports-root').textContent = 'From ' + r.root;
      if (r.reports.length === 0) { body.replaceChildren(el('tr', {}, [el('td', { colspan: 6, className: 'muted', text: 'No report yet: protosim run and protosim demo write them here.' })])); return; }
      body.replaceChildren.apply(body, r.reports.map(function (x) {
        var s = x.summary || {}; var sc = s.scenarios || {}; var ru = s.rules || {};
        var failed = (sc.failed || 0) > 0 || (sc.error || 0) > 0 || (ru.fail || 0) > 0 || (ru.error || 0) > 0;
        return el('tr', { className: failed ? 'bad' : 'ok' }, [
          el('td', {}, [el('strong', { text: x.title }), el('div', { className: 'muted', text: x.path })]),
          el('td', { text: x.started ? new Date(x.started).toLocaleString() : '' }),
          el('td', { text: x.durationMs !== undefined && x.durationMs !== null ? (x.durationMs / 1000).toFixed(1) + ' s' : '' }),
          el('td', { text: x.error ? x.error : (sc.passed || 0) + ' passed, ' + (sc.failed || 0) + ' failed, ' + (sc.error || 0) + ' harness errors, ' + (sc.skipped || 0) + ' skipped' }),
          el('td', { text: x.error ? '' : (ru.pass || 0) + ' pass, ' + (ru.fail || 0) + ' fail, ' + (ru.error || 0) + ' error, ' + (ru.nonStrict || 0) + ' non-strict, ' + (ru.info || 0) + ' info, ' + (ru.notCovered || 0) + ' not covered' }),
          el('td', {}, [x.html ? el('a', { href: x.html, text: 'Open report' }) : el('span', { className: 'muted', text: 'no report.html' })])]);
      }));
    }).catch(function (err) { body.replaceChildren(el('tr', {}, [el('td', { colspan: 6, text: err.message })])); });
  }

  // ---------------------------------------------------------------- routes: #/, #/session/K[/entry/N], #/actions, #/reports
  function route() {
    var parts = location.hash.replace(/^#\/?/, '').split('/');
    var view = parts[0] === 'actions' || parts[0] === 'reports' ? parts[0] : 'sessions';
    ['sessions', 'actions', 'reports'].forEach(function (v) { $('view-' + v).hidden = v !== view; });
    document.querySelectorAll('nav a').forEach(function (a) { if (a.dataset.view === view) { a.setAttribute('aria-current', 'page'); } else { a.removeAttribute('aria-current'); } });
    if (view === 'actions') { loadActions(); }
    if (view === 'reports') { loadReports(); }
    if (view === 'sessions' && parts[0] === 'session' && parts[1]) {
      var key = Number(parts[1]);
      if (!Number.isFinite(key)) { return; }
      if (!selected || selected.key !== key) { openSession(key); }
      if (parts[2] === 'entry' && parts[3]) { revealEntry(Number(parts[3])); }
    }
    if (view === 'sessions') { queueRender(); }
  }

  window.addEventListener('hashchange', route);
  route();
  if (!listSource) { connect(); }
})();
