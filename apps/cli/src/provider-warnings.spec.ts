import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OpenAITestServer } from '@flotilla/testing';
import { runCli } from './testing/run-cli';

// An option an adapter cannot send is reported, never dropped silently: numCtx has no field
// in the OpenAI API, so a run on an OpenAI-compatible server warns, once per run however
// many calls carry it; the warning is in the run's events and trace too.

describe('provider warnings', () => {
  let server: OpenAITestServer;
  let dir: string;
  beforeAll(async () => {
    server = new OpenAITestServer({ models: ['m'], timeScale: 0 });
    await server.start();
  });
  afterAll(() => server.close());
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-warn-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('numCtx sent to an OpenAI-compatible endpoint produces one warning on stderr per run', async () => {
    const chain = path.join(dir, 'chain.yaml');
    fs.writeFileSync(
      chain,
      'version: 2\nname: warn\nagents:\n  a: { model: m, prompt: "Say {{this}}", options: { numCtx: 8192 } }\nsteps:\n  - call: a\n  - call: a\n  - call: a\n',
    );
    const run = await runCli(['run', chain, '--backend', 'openai', '--host', server.baseURL, '--input', 'hi', '--format', 'jsonl']);
    expect(run.code).toBe(0);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(lines).toEqual(['warning: openai: numCtx is not sent (the OpenAI API has no field for it; the server decides)']);
    const ends = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'step.end' && e.call);
    expect(ends).toHaveLength(3);
    for (const e of ends) expect(e.call.warnings).toEqual([expect.objectContaining({ type: 'unsupported-option', provider: 'openai', option: 'numCtx' })]);
  });

  it('a run without such options warns about nothing', async () => {
    const chain = path.join(dir, 'chain.yaml');
    fs.writeFileSync(chain, 'version: 2\nname: quiet\nagents:\n  a: { model: m, prompt: "Say {{this}}" }\nsteps:\n  - call: a\n');
    const run = await runCli(['run', chain, '--backend', 'openai', '--host', server.baseURL, '--input', 'hi', '--format', 'jsonl']);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('warning:');
  });
});
