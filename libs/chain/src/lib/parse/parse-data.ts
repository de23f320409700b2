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
  } catch (e) {
    // YAML accepted what JSON does not (a comment, `{"n": }`, an unquoted key).
    throw chainInvalid([{ ...source.position([]), severity: 'error', code: 'syntax', message: `not valid JSON (the file ends in .json): ${(e as Error).message}`, hint: 'fix the JSON, or name the file .yaml if it is meant as YAML' }]);
  }
}
