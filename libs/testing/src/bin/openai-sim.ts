// Runs the OpenAI-compatible test server from the command line, on 127.0.0.1 only:
//   node tools/scripts/run-ts.cjs libs/testing/src/bin/openai-sim.ts --port 8080 --models a,b --slots 2 --time-scale 0.1
// Prints the base URL to give an OpenAI client (`http://127.0.0.1:<port>/v1`).
import { OpenAITestServer } from '../lib/openai/openai-test.server';
import { OPENAI_FAULTS } from '../lib/openai/openai-fault';
import { closeOnSignal, numberFlag, parseFlags, runCommand } from './cli-args';

const USAGE = `usage: openai-sim [--port 0] [--models test-model,b] [--slots 1] [--time-scale 1]
  [--first-token-ms 20] [--per-token-ms 5] [--prompt-token-ms 0] [--chunk-chars 4] [--api-key-env NAME]
Listens on 127.0.0.1 only. --api-key-env names an environment variable holding the key that
requests must present (a key on the command line would show in the process list).
Faults by magic string in a message: [[fault:<name>]] or [[fault:<name>:<arg>]], name one of
  ${OPENAI_FAULTS.join(' ')}`;

const FLAGS = ['port', 'models', 'slots', 'time-scale', 'first-token-ms', 'per-token-ms', 'prompt-token-ms', 'chunk-chars', 'api-key-env'];

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), FLAGS);
  if (flags.has('help')) {
    console.log(USAGE);
    return;
  }
  const keyEnv = flags.get('api-key-env');
  const apiKey = keyEnv === undefined ? undefined : process.env[keyEnv];
  if (keyEnv !== undefined && !apiKey) throw new Error(`--api-key-env: ${keyEnv} is not set`);
  const server = new OpenAITestServer({
    port: numberFlag(flags, 'port') ?? 0,
    models: (flags.get('models') ?? 'test-model').split(',').filter(Boolean),
    slots: numberFlag(flags, 'slots'),
    timeScale: numberFlag(flags, 'time-scale'),
    chunkChars: numberFlag(flags, 'chunk-chars'),
    // Only the flags given: the server spreads this over its defaults, an undefined would win.
    latency: definedOnly({
      firstTokenMs: numberFlag(flags, 'first-token-ms'),
      perTokenMs: numberFlag(flags, 'per-token-ms'),
      promptTokenMs: numberFlag(flags, 'prompt-token-ms'),
    }),
    apiKey,
  });
  await server.start();
  console.log(server.baseURL);
  closeOnSignal(server);
}

runCommand(main, USAGE);
