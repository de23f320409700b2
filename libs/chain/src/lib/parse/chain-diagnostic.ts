import { FlotillaError } from '@flotilla/core';

/** Where in a source file: 1-based line and column. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

export type DiagnosticSeverity = 'error' | 'warning';

/** One problem found in a chain or prompt file, with where it is and how to fix it. */
export interface ChainDiagnostic extends SourcePosition {
  severity: DiagnosticSeverity;
  /** A stable code for tools and tests, e.g. `unknownAgent`, `undefinedReference`. */
  code: string;
  /** What is wrong, saying what was expected. */
  message: string;
  /** The likely fix. */
  hint?: string;
}

/** `file:line:col: error: message (hint)`, the format editors and terminals link. */
export function formatDiagnostic(d: ChainDiagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}${d.hint ? `\n  hint: ${d.hint}` : ''}`;
}

/**
 * A chain that cannot run, as a `config` FlotillaError whose `details.diagnostics` lists
 * every problem found (not only the first).
 */
export function chainInvalid(diagnostics: readonly ChainDiagnostic[]): FlotillaError {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const shown = errors.length > 0 ? errors : diagnostics;
  return new FlotillaError('config', shown.map(formatDiagnostic).join('\n'), {
    details: { diagnostics: [...diagnostics] },
  });
}

/** The diagnostics a `chainInvalid` error carries (empty for any other error). */
export function diagnosticsOf(error: unknown): ChainDiagnostic[] {
  if (!FlotillaError.is(error, 'config')) return [];
  const list = error.details['diagnostics'];
  return Array.isArray(list) ? (list as ChainDiagnostic[]) : [];
}
