import type { RouteTable } from '../http/route-table';

/** Health, readiness, the queue and Prometheus metrics. */
export function addVisibilityRoutes(table: RouteTable): RouteTable {
  return table
    .add('GET', '/healthz', { dialect: 'ollama', body: false, access: 'open', handle: (x) => x.json(200, { status: 'ok' }) })
    .add('GET', '/readyz', {
      dialect: 'ollama',
      body: false,
      access: 'open',
      handle(x) {
        const up = x.router.report().endpoints.filter((e) => e.running && e.circuit !== 'open').map((e) => e.name);
        x.json(up.length ? 200 : 503, { ready: up.length > 0, endpoints: up });
      },
    })
    .add('GET', '/queue', {
      dialect: 'ollama',
      body: false,
      access: 'admin',
      handle(x, _body, services) {
        const report = x.router.report();
        x.json(200, {
          queued: report.queued,
          models: x.router.queueReport(),
          endpoints: report.endpoints.map((e) => ({ name: e.name, running: e.running, circuit: e.circuit, slotsInUse: e.inFlight, loaded: e.loaded })),
          tenants: services.tenants.map((t) => ({ name: t.name, inFlight: t.inFlight, queued: t.queued })),
        });
      },
    })
    .add('GET', '/metrics', {
      dialect: 'ollama',
      body: false,
      access: 'admin',
      async handle(x, _body, services) {
        const text = await services.metrics.registry.metrics();
        x.res.writeHead(200, { 'content-type': services.metrics.registry.contentType });
        x.res.end(text);
      },
    });
}
