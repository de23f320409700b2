import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');

describe('ollama-sim command line', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('prints its URL and serves the models it was given', async () => {
    child = spawn(process.execPath, ['tools/scripts/run-ts.cjs', 'libs/testing/src/bin/ollama-sim.ts', '--port', '0', '--models', 'a,b:7b', '--time-scale', '0.01'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no URL printed within 20 s')), 20_000);
      let out = '';
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
      child!.on('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    const tags = (await (await fetch(`${url}/api/tags`)).json()) as { models: { name: string }[] };
    expect(tags.models.map((m) => m.name)).toEqual(['a:latest', 'b:7b']);
  }, 30_000);
});
