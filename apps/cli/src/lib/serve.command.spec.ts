import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import { OllamaSimServer } from '@flotilla/testing';
import { serveInProcess as serve } from '../testing/serve-in-process';


describe('flotilla serve', () => {
  let sim: OllamaSimServer;
  let dir: string;
  let config: string;
  beforeAll(async () => {
    sim = new OllamaSimServer({ timeScale: 0.01, models: ['qwen3:4b'] });
    await sim.start();
    dir = mkdtempSync(join(tmpdir(), 'flotilla-serve-'));
    config = join(dir, 'fleet.yaml');
    writeFileSync(config, `endpoints:\n  - name: local\n    kind: ollama\n    url: ${sim.url}\n    slots: 2\n`);
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the fleet of --config to an Ollama client, refuses a port in use, and stops on SIGTERM', async () => {
    const first = serve(['--config', config, '--port', '0']);
    const url = await first.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const reply = await new Ollama({ host: url }).chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'ahoy' }] });
    expect(reply.message.content).toContain('ahoy');
    // The dashboard it prints serves its page under a CSP.
    expect(first.output().out).toContain(`dashboard: ${url}/`);
    const page = await fetch(`${url}/`, { signal: AbortSignal.timeout(5_000) });
    expect([page.status, page.headers.get('content-security-policy')?.startsWith("default-src 'none'")]).toEqual([200, true]);
    expect(await page.text()).toContain('<h2>Endpoints</h2>');

    const port = new URL(url).port;
    const second = serve(['--config', config, '--port', port]);
    expect(await second.code).toBe(2);
    expect(second.output().err).toBe(`port ${port} on 127.0.0.1 is in use (another gateway or server is listening there); choose another with --port\n`);

    first.stop();
    expect(await first.code).toBe(0);
    expect(first.output().err).toContain('draining');
    await expect(fetch(`${url}/api/version`)).rejects.toThrow();
  });

  it('takes tenants from --tenants with keys from the environment, and refuses a bad tenants file', async () => {
    const tenants = join(dir, 'tenants.yaml');
    writeFileSync(tenants, 'tenants:\n  - name: team\n    keyEnv: TEAM_KEY\n    maxConcurrent: 2\n');
    const run = serve(['--config', config, '--port', '0', '--tenants', tenants], { TEAM_KEY: 'sk-team' });
    const url = await run.url;
    await expect(new Ollama({ host: url }).chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status_code: 401 });
    const reply = await new Ollama({ host: url, headers: { authorization: 'Bearer sk-team' } }).chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }] });
    expect(reply.done).toBe(true);
    run.stop();
    expect(await run.code).toBe(0);

    writeFileSync(tenants, 'tenants:\n  - name: team\n    keyEnv: TEAM_KEY\n    weight: -1\n');
    const bad = serve(['--config', config, '--port', '0', '--tenants', tenants], { TEAM_KEY: 'sk-team' });
    expect(await bad.code).toBe(2);
    expect(bad.output().err).toContain(`${tenants}: tenants.0.weight:`);
  });

  it('needs a fleet: no --config and no FLOTILLA_CONFIG is a usage error that says so', async () => {
    const run = serve([]);
    expect(await run.code).toBe(2);
    expect(run.output().err).toContain('--config <fleet.yaml> (or FLOTILLA_CONFIG) is required');
  });
});
