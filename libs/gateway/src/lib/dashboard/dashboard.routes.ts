import { createHash } from 'node:crypto';
import { REPORT_CSS } from '@flotilla/observability';
import type { RouteTable } from '../http/route-table';
import type { DashboardFeed } from './dashboard-feed';

const CSS =
  REPORT_CSS +
  `
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dde2ea;border-radius:6px;padding:8px 12px;min-width:180px}
.card.down{border-color:#b3261e;background:#fbeceb}.card .state{font-weight:600}.card.up .state{color:#1f7a3d}.card.down .state{color:#b3261e}
#conn{font-size:12px}#conn.live{color:#1f7a3d}#conn.lost{color:#b3261e}
`;

// Renders each snapshot with DOM calls (text is text); a run's timeline is the observability
// report's SVG, escaped on the server.
const JS = `
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var el = function (tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = String(text); return e; };
  var row = function (cells, head) { var tr = el('tr'); cells.forEach(function (c) { tr.appendChild(el(head ? 'th' : 'td', '', c)); }); return tr; };
  function render(s) {
    var eps = $('endpoints'); eps.replaceChildren();
    s.endpoints.forEach(function (e) {
      var c = el('div', 'card ' + (e.up ? 'up' : 'down'));
      c.setAttribute('data-endpoint', e.name); c.setAttribute('data-up', String(e.up)); c.setAttribute('data-slots-in-use', String(e.slotsInUse));
      c.appendChild(el('div', 'name', e.name));
      c.appendChild(el('div', 'state', e.up ? 'up' : 'down'));
      c.appendChild(el('div', 'muted', 'circuit ' + e.circuit + ' · ' + e.slotsInUse + (e.slots ? ' / ' + e.slots : '') + ' slots in use'));
      c.appendChild(el('div', 'muted', 'loaded: ' + (e.loaded.length ? e.loaded.join(', ') : 'none')));
      eps.appendChild(c);
    });
    var q = $('queues'); q.replaceChildren(row(['queue', 'queued', 'in flight'], true));
    q.appendChild(row(['fleet', s.queued, '']));
    s.tenants.forEach(function (t) { q.appendChild(row(['tenant ' + t.name, t.queued, t.inFlight])); });
    $('queue-models').textContent = JSON.stringify(s.queues);
    var runs = $('runs'); runs.replaceChildren();
    if (!s.runs.length) runs.appendChild(el('p', 'muted', 'no run in flight'));
    s.runs.forEach(function (r) {
      var sec = el('section', 'run'); sec.setAttribute('data-run-id', r.runId);
      sec.appendChild(el('h3', '', (r.chain || 'run') + ' ' + r.runId));
      sec.appendChild(el('div', 'muted', r.calls + ' calls · ' + Math.round(r.elapsedMs) + ' ms'));
      var t = el('div', 'timeline-box'); t.innerHTML = r.timeline; sec.appendChild(t);
      runs.appendChild(sec);
    });
    var errs = $('errors'); errs.replaceChildren(row(['at', 'where', 'kind', 'message'], true));
    s.errors.forEach(function (e) { var tr = row([e.at, e.where, e.kind, e.message]); tr.className = 'error'; errs.appendChild(tr); });
  }
  var es = new EventSource('events');
  es.onopen = function () { $('conn').textContent = 'live'; $('conn').className = 'live'; };
  es.onerror = function () { $('conn').textContent = 'reconnecting'; $('conn').className = 'lost'; };
  es.onmessage = function (m) { render(JSON.parse(m.data)); };
})();
`;

const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Nothing but this page's own style, script and event stream; no frames, forms or plugins. */
export const DASHBOARD_CSP = `default-src 'none'; style-src ${sha(CSS)}; script-src ${sha(JS)}; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const PAGE =
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
  `<title>Flotilla gateway</title><style>${CSS}</style></head><body>` +
  `<h1>Flotilla gateway <span id="conn" class="lost">connecting</span></h1>` +
  `<h2>Endpoints</h2><div id="endpoints" class="cards"></div>` +
  `<h2>Queues</h2><table id="queues"></table><div id="queue-models" class="details"></div>` +
  `<h2>Runs in flight</h2><div id="runs"></div>` +
  `<h2>Recent errors</h2><table id="errors"></table>` +
  `<script>${JS}</script></body></html>`;

/**
 * `GET /`: the live dashboard (one document, inline style and script allowed by hash, nothing
 * fetched but its own `GET /events`); `GET /events`: its snapshots as SSE. Both admin-only when
 * keys are configured; a browser is asked for the key (Basic auth, any user name).
 */
export function addDashboardRoutes(table: RouteTable, feed: DashboardFeed): RouteTable {
  const challenge = 'Basic realm="flotilla", charset="UTF-8"';
  return table
    .add('GET', '/', {
      dialect: 'ollama',
      body: false,
      access: 'admin',
      challenge,
      handle(x) {
        x.res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-length': Buffer.byteLength(PAGE),
          'content-security-policy': DASHBOARD_CSP,
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-store',
        });
        x.res.end(PAGE);
      },
    })
    .add('GET', '/events', {
      dialect: 'ollama',
      body: false,
      access: 'admin',
      challenge,
      handle(x) {
        x.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
        feed.subscribe(x.res);
      },
    });
}
