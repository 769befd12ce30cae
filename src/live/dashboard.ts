/**
 * The live dashboard page (`GET /_imgsim/`): a small self-updating page built on the same
 * numbers as `/_imgsim/metrics` (it parses the Prometheus text every second), plus the ledger's
 * budget: spend per provider and per project, requests per second, latency percentiles from the
 * histogram buckets, outcomes, budget burn. No external scripts: it works offline.
 *
 * Project names are client data: the page writes every value as text, and its
 * Content-Security-Policy runs only its own script (by hash), so a hostile name stays inert.
 */
import { createHash } from 'node:crypto';

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The page's stylesheet. */
const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.3em;margin:0 0 .2em}h2{font-size:1.05em;margin:1.4em 0 .4em}
table{border-collapse:collapse;min-width:24em}td,th{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}
.bar{height:.8em;background:#0072B2;display:inline-block;vertical-align:middle}
.muted{color:#777}.grid{display:flex;flex-wrap:wrap;gap:2em}
`;

/** The page's script: it writes every value as text (textContent), never as HTML. */
const SCRIPT = `
var last = null;
// The admin key, when the page was opened as /_imgsim/?key=<admin key> (admin-guard.ts).
var key = new URLSearchParams(location.search).get('key');
var init = key ? { headers: { authorization: 'Bearer ' + key } } : {};
function parse(text) {
  var rows = [];
  text.split('\\n').forEach(function (line) {
    if (!line || line[0] === '#') return;
    var m = /^([a-z_]+)(?:\\{(.*)\\})? (\\S+)$/.exec(line);
    if (!m) return;
    var labels = {};
    (m[2] || '').replace(/([a-z_]+)="((?:[^"\\\\]|\\\\.)*)"/g, function (_, k, v) { labels[k] = unescapeLabel(v); return ''; });
    rows.push({ name: m[1], labels: labels, value: Number(m[3]) });
  });
  return rows;
}
function unescapeLabel(v) {
  return v.replace(/\\\\(.)/g, function (_, c) { return c === 'n' ? '\\n' : c; });
}
function sum(rows, name, by) {
  var out = {};
  rows.forEach(function (r) { if (r.name === name) { var k = r.labels[by]; out[k] = (out[k] || 0) + r.value; } });
  return out;
}
function quantile(rows, provider, q) {
  var buckets = rows.filter(function (r) { return r.name === 'imgsim_latency_seconds_bucket' && r.labels.provider === provider; })
    .map(function (r) { return { le: r.labels.le === '+Inf' ? Infinity : Number(r.labels.le), n: r.value }; })
    .sort(function (a, b) { return a.le - b.le; });
  var total = buckets.length ? buckets[buckets.length - 1].n : 0;
  if (!total) return '—';
  for (var i = 0; i < buckets.length; i++) if (buckets[i].n >= q * total) return buckets[i].le === Infinity ? '>' + buckets[i - 1].le + 's' : '≤' + buckets[i].le + 's';
  return '—';
}
function usd(x) { return '$' + x.toFixed(x < 1 ? 4 : 2); }
function fill(id, rows) {
  var body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren.apply(body, rows.map(function (r) {
    var tr = document.createElement('tr');
    r.forEach(function (c) { var td = document.createElement('td'); td.textContent = String(c); tr.appendChild(td); });
    return tr;
  }));
}
function line(text) { var div = document.createElement('div'); div.textContent = text; return div; }
async function tick() {
  try {
    var text = await (await fetch('metrics', init)).text();
    var rows = parse(text);
    var now = Date.now();
    var requests = sum(rows, 'imgsim_requests_total', 'provider');
    var spend = sum(rows, 'imgsim_cost_usd_total', 'provider');
    var inflight = sum(rows, 'imgsim_in_flight', 'provider');
    var queued = sum(rows, 'imgsim_queue_length', 'provider');
    var providers = Object.keys(Object.assign({}, requests, inflight));
    fill('providers', providers.map(function (p) {
      var rps = last && last.requests[p] !== undefined ? ((requests[p] || 0) - last.requests[p]) / ((now - last.at) / 1000) : 0;
      return [p, rps.toFixed(1), requests[p] || 0, usd(spend[p] || 0), inflight[p] || 0, queued[p] || 0, quantile(rows, p, 0.5), quantile(rows, p, 0.95), quantile(rows, p, 0.99)];
    }));
    var projects = sum(rows, 'imgsim_cost_usd_total', 'project');
    fill('projects', Object.keys(projects).map(function (k) { return [k, usd(projects[k])]; }));
    var outcomes = sum(rows, 'imgsim_requests_total', 'outcome');
    fill('outcomes', Object.keys(outcomes).map(function (k) { return [k, outcomes[k]]; }));
    last = { at: now, requests: requests };
    var ledger = await (await fetch('ledger', init)).json();
    var b = ledger.budget;
    if (b && b.limitUsd && isFinite(b.limitUsd)) {
      var f = Math.min(1, b.spentUsd / b.limitUsd);
      var bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = (f * 20) + 'em';
      document.getElementById('budget').replaceChildren(
        line(usd(b.spentUsd) + ' of ' + usd(b.limitUsd) + ' (' + (100 * b.spentUsd / b.limitUsd).toFixed(1) + '%)'),
        bar,
      );
      (b.alerts || []).forEach(function (a) {
        document.getElementById('budget').appendChild(line('alert ' + Math.round(a.threshold * 100) + '%' + (a.project ? ' (' + a.project + ')' : '') + ' at ' + a.at));
      });
    }
    document.getElementById('status').textContent = 'updated ' + new Date(now).toLocaleTimeString();
  } catch (e) {
    document.getElementById('status').textContent = 'cannot reach the server: ' + e;
  }
}
tick(); setInterval(tick, 1000);
`;

/** The page. Relative URLs, so it works under any base URL (server or msw). */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>imgsim live</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body>
<h1>imgsim live</h1><div class="muted" id="status">loading…</div>
<div class="grid">
<div><h2>Providers</h2><table id="providers"><thead><tr><th>provider</th><th>req/s</th><th>requests</th><th>spend</th><th>in flight</th><th>queued</th><th>p50</th><th>p95</th><th>p99</th></tr></thead><tbody></tbody></table></div>
<div><h2>Spend per project</h2><table id="projects"><thead><tr><th>project</th><th>spend</th></tr></thead><tbody></tbody></table></div>
<div><h2>Outcomes</h2><table id="outcomes"><thead><tr><th>outcome</th><th>requests</th></tr></thead><tbody></tbody></table></div>
<div><h2>Budget</h2><div id="budget" class="muted">no budget in the scenario</div></div>
</div>
<script>${SCRIPT}</script></body></html>
`;

/**
 * The page's response headers: a strict CSP (only its own script and style, by hash; data from
 * its own origin), no framing, no referrer (the address may hold `?key=`).
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; script-src ${sha256(SCRIPT)}; style-src ${sha256(STYLE)}; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};
