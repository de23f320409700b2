import { chainInvalid } from './chain-diagnostic';
import type { SourceLimits } from './source-limits';
import { YamlSource } from './yaml-source';

/**
 * A data file a user hands over (a run input: YAML, or JSON when `json`), parsed with the
 * limits and positions chain files get: a syntax error, an alias bomb or runaway nesting is
 * a `config` error at file:line:col, never the parser's stack.
 */
export function parseDataText(text: string, file: string, options: { json?: boolean; limits?: SourceLimits } = {}): unknown {
  const { source, diagnostics } = YamlSource.parse(text, file, options.limits);
  if (!source) throw chainInvalid(diagnostics);
  if (!options.json) return source.value;
  try {
    return JSON.parse(text);
  } catch {
    // YAML accepted what JSON does not (a comment, a trailing comma, an unquoted key): say where JSON ends.
    throw chainInvalid([{ ...source.position([]), severity: 'error', code: 'syntax', message: 'not valid JSON (the file ends in .json); it reads as YAML only', hint: 'fix the JSON, or rename the file to .yaml' }]);
  }
}
