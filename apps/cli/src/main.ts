#!/usr/bin/env node
import { FlotillaError, closestName } from '@flotilla/core';
import type { CliIo } from './lib/cli-io';
import { EXIT, exitCodeOf } from './lib/exit-codes';
import { cancelOnSignals } from './lib/signals';
import { RUN_USAGE, runCommand } from './lib/run.command';
import { VALIDATE_USAGE, validateCommand } from './lib/validate.command';
import { MODELS_USAGE, modelsCommand } from './lib/models.command';
import { SERVE_USAGE, serveCommand } from './lib/serve.command';
import { RUNS_USAGE, runsCommand } from './lib/runs.command';
import { REPORT_USAGE, reportCommand } from '@flotilla/observability';

export type { CliIo } from './lib/cli-io';
export { EXIT } from './lib/exit-codes';

export const USAGE = `flotilla: run chains of agents on a fleet of small local models

Usage:
  flotilla run <chain.yaml> [--input ...] [--backend ...]    run a chain
  flotilla validate <chain.yaml>...                          check chains without running them
  flotilla models [--backend ...] [--config ...]             endpoints, available and loaded models
  flotilla runs list|show|resume|answer|cancel|prune --store  durable runs: inspect, answer, continue, clean up
  flotilla report <traces...> [--html out.html]             compare A/B variants, render a run report
  flotilla serve --config <fleet.yaml> [--port ...]          serve the fleet to OpenAI and Ollama clients

${RUN_USAGE}
${VALIDATE_USAGE}
${MODELS_USAGE}
${SERVE_USAGE}
${RUNS_USAGE}
${REPORT_USAGE.replace('flotilla-report', 'flotilla report')}`;

/** The command line, testable: returns the exit code (see EXIT). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, io);
      case 'validate':
        return await validateCommand(rest, io);
      case 'models':
        return await modelsCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'runs':
        return await runsCommand(rest, io);
      case 'report':
        return await reportCommand(rest, { stdout: (t) => io.stdout.write(t), stderr: (t) => io.stderr.write(t) });
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default: {
        const guess = closestName(command, COMMANDS);
        io.stderr.write(`flotilla: unknown command "${command}"${guess ? `; did you mean ${guess}?` : ''}; expected ${COMMANDS.join(', ')} (see flotilla --help)\n`);
        return EXIT.usage;
      }
    }
  } catch (e) {
    if (FlotillaError.is(e, 'config')) {
      io.stderr.write(`${e.message}\n`);
      return EXIT.usage;
    }
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`flotilla ${command}: ${(e as Error).message}. See flotilla ${command} --help.\n`);
      return EXIT.usage;
    }
    if (FlotillaError.is(e)) {
      io.stderr.write(`flotilla ${command}: ${e.kind}: ${e.message}\n`);
      return exitCodeOf(e.kind);
    }
    // Not a FlotillaError: nothing the user did; a bug of ours, said as such, with the stack to report.
    io.stderr.write(`flotilla ${command}: this is a bug in Flotilla, please report it with the command line and this trace:\n${(e as Error).stack ?? String(e)}\n`);
    return EXIT.failed;
  }
}

const COMMANDS = ['run', 'validate', 'models', 'runs', 'report', 'serve'];

/** Commands that cancel on the first SIGINT / SIGTERM (their work takes the signal); the others end at once as usual. */
const CANCELLABLE = new Set(['run', 'models', 'runs', 'serve']);

if (require.main === module || process.argv[1] === __filename) {
  const controller = new AbortController();
  const signals = CANCELLABLE.has(process.argv[2] ?? '')
    ? cancelOnSignals(process, controller, { exit: (code) => process.exit(code), stderr: (t) => process.stderr.write(t) })
    : undefined;
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: controller.signal }).then(
    (result) => {
      const code = signals ? signals.exitCode(result) : result;
      process.exitCode = code;
      // Leave once stdout has drained; a lingering handle (a keep-alive socket) must not hold the process.
      process.stdout.write('', () => setImmediate(() => process.exit(code)));
    },
    (e) => {
      process.stderr.write(`flotilla: this is a bug in Flotilla, please report it:\n${(e as Error).stack ?? e}\n`);
      process.exit(EXIT.failed);
    },
  );
}
