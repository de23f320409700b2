// Runs the Ollama simulator from the command line:
//   node tools/scripts/run-ts.cjs libs/testing/src/bin/ollama-sim.ts --port 11434 --models a,b --time-scale 0.1
import { OllamaSimServer } from '../lib/ollama/ollama-sim.server';

const USAGE = `usage: ollama-sim [--host 127.0.0.1] [--port 0] [--models a,b] [--num-parallel 1]
  [--max-loaded 3] [--max-queue 512] [--keep-alive 5m] [--time-scale 1] [--load-ms 800] [--tokens-per-sec 60]
Faults by magic string in the last user message: [[sim:status=503]] [[sim:error=2]] [[sim:drop=2]]
  [[sim:truncate=2]] [[sim:hang]] [[sim:trickle=200]] [[sim:malformed=1]]`;

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') out.set('help', '1');
    else if (a.startsWith('--')) {
      const [k, v] = a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), argv[++i] ?? ''];
      out.set(k, v);
    } else throw new Error(`unexpected argument ${a}`);
  }
  return out;
}

function num(args: Map<string, string>, key: string): number | undefined {
  const v = args.get(key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${key}: expected a number, got ${v}`);
  return n;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.has('help')) {
    console.log(USAGE);
    return;
  }
  const loadMs = num(args, 'load-ms');
  const tokensPerSec = num(args, 'tokens-per-sec');
  const names = (args.get('models') ?? 'llama3.2:1b').split(',').filter(Boolean);
  const keepAlive = args.get('keep-alive');
  const sim = new OllamaSimServer({
    host: args.get('host') ?? '127.0.0.1',
    port: num(args, 'port') ?? 0,
    models: names.map((name) => ({ name, loadMs, tokensPerSec })),
    numParallel: num(args, 'num-parallel'),
    maxLoadedModels: num(args, 'max-loaded'),
    maxQueue: num(args, 'max-queue'),
    keepAlive: keepAlive === undefined ? undefined : /^-?\d+(\.\d+)?$/.test(keepAlive) ? Number(keepAlive) : keepAlive,
    timeScale: num(args, 'time-scale'),
  });
  const url = await sim.start();
  console.log(url);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  console.error(USAGE);
  process.exit(2);
});
