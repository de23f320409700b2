import { parseArgs } from 'node:util';
import { FlotillaError } from '@flotilla/core';
import { diagnosticsOf, formatDiagnostic, loadChain } from '@flotilla/chain';
import type { CliIo } from './cli-io';
import { EXIT } from './exit-codes';
import { oneOf, parseAliases } from './flags';

export const VALIDATE_USAGE = `flotilla validate <chain.yaml>... [--format text|json] [--model-alias from=to]

Checks chain files without running them: schema, agents, references, cycles, unreachable
steps, schema mismatches between connected steps. Every problem as file:line:col.
Exit codes: 0 valid (warnings allowed), 1 problems found, 2 bad usage.
`;

export async function validateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { format: { type: 'string' }, 'model-alias': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    io.stdout.write(VALIDATE_USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new FlotillaError('config', 'flotilla validate: expected at least one chain file');
  const json = oneOf('--format', values.format ?? 'text', ['text', 'json'] as const) === 'json';
  let failed = false;
  for (const file of positionals) {
    try {
      const compiled = await loadChain(file, { modelAliases: parseAliases(values['model-alias']) });
      if (json) io.stdout.write(`${JSON.stringify({ file, valid: true, chain: compiled.chain.name, agents: compiled.agents.length, diagnostics: compiled.warnings })}\n`);
      else {
        for (const w of compiled.warnings) io.stdout.write(`${formatDiagnostic(w)}\n`);
        io.stdout.write(`${file}: ok (chain "${compiled.chain.name}", ${compiled.agents.length} agent(s)${compiled.warnings.length ? `, ${compiled.warnings.length} warning(s)` : ''})\n`);
      }
    } catch (e) {
      const diagnostics = diagnosticsOf(e);
      if (diagnostics.length === 0) throw e;
      failed = true;
      if (json) io.stdout.write(`${JSON.stringify({ file, valid: false, diagnostics })}\n`);
      else {
        for (const d of diagnostics) io.stdout.write(`${formatDiagnostic(d)}\n`);
        io.stdout.write(`${file}: ${diagnostics.filter((d) => d.severity === 'error').length} error(s)\n`);
      }
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}
