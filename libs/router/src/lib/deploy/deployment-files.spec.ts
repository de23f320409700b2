import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadRouterConfig } from '../config/load-router-config';

const DEPLOY = path.resolve(__dirname, '../../../../../deploy');
const patterns = fs.readdirSync(DEPLOY, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

interface ComposeService {
  ports?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
}

function composeServices(dir: string): Map<string, ComposeService> {
  const services = new Map<string, ComposeService>();
  for (const f of fs.readdirSync(dir).filter((n) => /^compose.*\.ya?ml$/.test(n))) {
    const doc = parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { services?: Record<string, ComposeService> };
    expect(doc.services).toBeDefined();
    for (const [name, s] of Object.entries(doc.services!)) services.set(name, { ...services.get(name), ...s });
  }
  return services;
}

/** Host port a service publishes for the container's port 11434 (or its only port). */
function publishedPort(s: ComposeService): number | undefined {
  const spec = s.ports?.[0];
  if (!spec) return undefined;
  const parts = spec.split(':');
  return Number(parts.length === 3 ? parts[1] : parts[0]);
}

describe('deployment patterns (deploy/)', () => {
  it('has the three documented patterns', () => {
    expect(patterns.sort()).toEqual(['gpu-on-demand', 'one-ollama', 'small-large']);
  });

  it.each(patterns.map((p) => [p]))('%s: the compose files parse and the configuration matches their services, ports and server settings', (pattern) => {
    const dir = path.join(DEPLOY, pattern);
    const services = composeServices(dir);
    const config = loadRouterConfig(path.join(dir, 'flotilla.yaml'));
    for (const e of config.endpoints) {
      const s = services.get(e.name);
      expect({ endpoint: e.name, service: s !== undefined }).toEqual({ endpoint: e.name, service: true });
      const url = new URL(e.url!);
      expect(url.hostname).toBe('127.0.0.1');
      expect(Number(url.port)).toBe(publishedPort(s!));
      expect(s!.ports![0]).toMatch(/:11434$/);
      expect(Number(s!.environment?.['OLLAMA_NUM_PARALLEL'] ?? 1)).toBe(e.slots);
      expect(Number(s!.environment?.['OLLAMA_MAX_LOADED_MODELS'] ?? 3)).toBe(e.maxLoadedModels);
      if (s!.profiles?.length) {
        // A service behind a profile only runs when started: the router must own that.
        expect(e.onDemand).toBeDefined();
        const start = e.onDemand!.start.join(' ');
        for (const profile of s!.profiles) expect(start).toContain(`--profile ${profile}`);
        expect(start).toContain(e.name);
        for (const f of e.onDemand!.start.filter((_, i, a) => a[i - 1] === '-f')) expect(fs.existsSync(path.join(e.onDemand!.cwd ?? dir, f))).toBe(true);
        expect(e.onDemand!.stop?.join(' ')).toContain(`stop ${e.name}`);
      }
    }
    const ports = config.endpoints.map((e) => new URL(e.url!).port);
    expect(new Set(ports).size).toBe(ports.length);
  });
});
