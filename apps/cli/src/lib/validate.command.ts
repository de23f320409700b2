import { FlotillaError, parseFlags } from '@flotilla/core';
import { diagnosticsOf, formatDiagnostic } from '@flotilla/chain';
import { chooseBackend } from '@flotilla/router';
import type { CliIo } from './cli-io';
import { EXIT } from './exit-codes';
import { oneOf, parseAliases, parseAllowDirs } from './flags';
import { CHAIN_FLAGS, CHAIN_FLAGS_USAGE, prepareChain } from './prepare-chain';
import { TOOLS_FLAGS, TOOLS_FLAGS_USAGE, openTools } from './cli-tools';

export const VALIDATE_USAGE = `flotilla validate <chain.yaml>... [options]
Checks chain files without running them, with the options and environment \`run\` takes:
schema, agents, references, cycles, unreachable steps, schema mismatches between connected
steps, template variables, .prompt front matter and sampling values, file: references,
that every agent has a model under the configuration, and that every tool an agent names is
one the --tools modules export or an MCP server of the fleet file lists (those servers are
started to list their tools, then stopped). Refuses exactly what \`run\` with
the same options refuses before its first model call. Every problem as file:line:col.
  --format text|json      json: one object per chain file
  --backend <kind>        as for run (env FLOTILLA_BACKEND)
${CHAIN_FLAGS_USAGE}
${TOOLS_FLAGS_USAGE}
Exit codes: 0 valid (warnings allowed), 1 problems found, 2 bad usage or configuration.
`;

export async function validateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags('flotilla validate', argv, {
    ...CHAIN_FLAGS,
    ...TOOLS_FLAGS,
    format: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout.write(VALIDATE_USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new FlotillaError('config', 'flotilla validate: expected at least one chain file (see flotilla validate --help)');
  const json = oneOf('--format', values.format ?? 'text', ['text', 'json'] as const) === 'json';
  // The fleet `run` would use, chosen the same way (a chain is checked against its agents section).
  const choice = chooseBackend({ config: values.config, kind: values.backend, env: io.env });
  const fleet = choice?.source === 'fleet' ? choice.fleet : undefined;
  const options = { modelAliases: parseAliases(values['model-alias']), allowDirs: parseAllowDirs(values['allow-dir']), fleet };
  const sources = { modules: values.tools, mcp: fleet?.mcp, fleetFile: choice?.source === 'fleet' ? choice.file : undefined, env: io.env, signal: io.signal };
  let failed = false;
  for (const file of positionals) {
    const opened: { close(): Promise<void> }[] = [];
    try {
      const tools = async (named: readonly string[]) => {
        const t = await openTools(sources, { named });
        opened.push(t);
        return t.names;
      };
      const compiled = await prepareChain(file, { ...options, tools });
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
        // Errors first (what run would print), then warnings.
        for (const d of [...diagnostics.filter((x) => x.severity === 'error'), ...diagnostics.filter((x) => x.severity !== 'error')]) io.stdout.write(`${formatDiagnostic(d)}\n`);
        io.stdout.write(`${file}: ${diagnostics.filter((d) => d.severity === 'error').length} error(s)\n`);
      }
    } finally {
      for (const t of opened) await t.close();
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}
