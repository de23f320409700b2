// Runs the Ollama simulator from the command line:
//   node tools/scripts/run-ts.cjs libs/testing/src/bin/ollama-sim.ts --port 11434 --models a,b --time-scale 0.1
import { OllamaSimServer } from '../lib/ollama/ollama-sim.server';
import { closeOnSignal, numberFlag, parseFlags, runCommand } from './cli-args';

const USAGE = `usage: ollama-sim [--host 127.0.0.1] [--port 0] [--models a,b] [--num-parallel 1]
  [--max-loaded 3] [--max-queue 512] [--keep-alive 5m] [--time-scale 1] [--load-ms 800] [--tokens-per-sec 60]
Faults by magic string in the last user message: [[sim:status=503]] [[sim:error=2]] [[sim:drop=2]]
  [[sim:truncate=2]] [[sim:hang]] [[sim:trickle=200]] [[sim:malformed=1]]`;

const FLAGS = ['host', 'port', 'models', 'num-parallel', 'max-loaded', 'max-queue', 'keep-alive', 'time-scale', 'load-ms', 'tokens-per-sec'];

async function main(): Promise<void> {
  const args = parseFlags(process.argv.slice(2), FLAGS);
  if (args.has('help')) {
    console.log(USAGE);
    return;
  }
  const loadMs = numberFlag(args, 'load-ms');
  const tokensPerSec = numberFlag(args, 'tokens-per-sec');
  const names = (args.get('models') ?? 'llama3.2:1b').split(',').filter(Boolean);
  const keepAlive = args.get('keep-alive');
  const sim = new OllamaSimServer({
    host: args.get('host') ?? '127.0.0.1',
    port: numberFlag(args, 'port') ?? 0,
    models: names.map((name) => ({ name, loadMs, tokensPerSec })),
    numParallel: numberFlag(args, 'num-parallel'),
    maxLoadedModels: numberFlag(args, 'max-loaded'),
    maxQueue: numberFlag(args, 'max-queue'),
    keepAlive: keepAlive === undefined ? undefined : /^-?\d+(\.\d+)?$/.test(keepAlive) ? Number(keepAlive) : keepAlive,
    timeScale: numberFlag(args, 'time-scale'),
  });
  console.log(await sim.start());
  closeOnSignal(sim);
}

runCommand(main, USAGE);
