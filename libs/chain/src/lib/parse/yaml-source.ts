import { type Document, LineCounter, type Node, isAlias, isCollection, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { ChainDiagnostic, SourcePosition } from './chain-diagnostic';
import { type SourceLimits, resolveSourceLimits } from './source-limits';

export type PathSegment = string | number;

/**
 * A YAML (or JSON) text parsed with node ranges kept, so that every later error can say
 * file:line:col. `lineOffset` shifts lines when the YAML is embedded (prompt front matter).
 */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    readonly value: unknown,
    private readonly lineOffset: number,
  ) {}

  /**
   * Parses `text`, refusing oversized or hostile input quickly: a size cap before
   * anything else, a nesting scan before the parser sees deep input, node and alias
   * limits before the value is built. Returns diagnostics instead of throwing.
   */
  static parse(text: string, file: string, limits?: SourceLimits, lineOffset = 0): { source?: YamlSource; diagnostics: ChainDiagnostic[] } {
    const lim = resolveSourceLimits(limits);
    const at = (line: number, col: number, code: string, message: string, hint?: string): ChainDiagnostic => ({
      file,
      line: line + lineOffset,
      col,
      severity: 'error',
      code,
      message,
      hint,
    });
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > lim.maxBytes) {
      return { diagnostics: [at(1, 1, 'tooLarge', `file is ${bytes} bytes; expected at most ${lim.maxBytes}`, 'split the chain, or raise the limit (maxBytes) if the file is trusted')] };
    }
    const deep = flowDepthExceeded(text, lim.maxDepth);
    if (deep) return { diagnostics: [at(deep.line, deep.col, 'tooDeep', `nesting deeper than ${lim.maxDepth} levels`, 'flatten the structure')] };

    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
    const pos = (offset: number) => lines.linePos(offset);
    const diagnostics: ChainDiagnostic[] = doc.errors.map((e) => {
      const p = pos(e.pos[0]);
      return at(p.line, p.col, 'syntax', e.message.split('\n')[0]!, e.code === 'DUPLICATE_KEY' ? 'remove or rename one of the duplicate keys' : undefined);
    });
    if (diagnostics.length > 0) return { diagnostics };

    const structural = checkStructure(doc, lim.maxDepth, lim.maxNodes);
    if (structural) {
      const p = pos(structural.node?.range?.[0] ?? 0);
      return { diagnostics: [at(p.line, p.col, structural.code, structural.message, structural.hint)] };
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: lim.maxAliasCount });
    } catch (e) {
      const message = (e as Error).message;
      const isBomb = /alias/i.test(message);
      return {
        diagnostics: [
          at(1, 1, isBomb ? 'aliasBomb' : 'syntax', isBomb ? `aliases expand too much (more than ${lim.maxAliasCount} expansions): ${message}` : message, isBomb ? 'use fewer aliases (*name); anchors that expand into each other are refused' : undefined),
        ],
      };
    }
    return { source: new YamlSource(file, doc, lines, value, lineOffset), diagnostics: [] };
  }

  /** Where `path` is (its key when `key` is given and found); the nearest existing parent otherwise. */
  position(path: readonly PathSegment[], key?: string): SourcePosition {
    let node: unknown = this.doc.contents;
    let best: Node | undefined = node as Node;
    let keyOfBest: Node | undefined;
    for (const seg of path) {
      if (isAlias(node)) node = (node as { resolve(doc: Document): unknown }).resolve(this.doc);
      let key: Node | undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === seg);
        node = pair?.value;
        key = pair?.key as Node | undefined;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
      } else node = undefined;
      if (node === undefined || node === null) break;
      best = node as Node;
      keyOfBest = key;
    }
    // A problem with a whole mapping or list is shown at its key (where the reader looks).
    if (key === undefined && isCollection(best) && keyOfBest?.range) return this.positionOfOffset(keyOfBest.range[0]);
    if (key !== undefined && isMap(best)) {
      const pair = best.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      if (pair && isScalar(pair.key)) best = pair.key;
    }
    return this.positionOfOffset(best?.range?.[0] ?? 0);
  }

  positionOfOffset(offset: number): SourcePosition {
    const p = this.lines.linePos(offset);
    return { file: this.file, line: p.line + this.lineOffset, col: p.col };
  }
}

/** Finds the first `[` / `{` nested deeper than `max`, skipping quoted text and comments. */
function flowDepthExceeded(text: string, max: number): { line: number; col: number } | undefined {
  let depth = 0;
  let line = 1;
  let col = 0;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    col++;
    if (c === '\n') {
      line++;
      col = 0;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if ((c === '"' || c === "'") && depth > 0) quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (c === '[' || c === '{') {
      if (++depth > max) return { line, col };
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return undefined;
}

/**
 * Depth and size of the node tree (block nesting is bounded here, flow nesting above), and
 * aliases that point into their own anchor (a value that contains itself).
 */
function checkStructure(doc: Document.Parsed, maxDepth: number, maxNodes: number): { node?: Node; code: string; message: string; hint?: string } | undefined {
  let count = 0;
  const ancestors = new Set<unknown>();
  const visit = (node: unknown, depth: number): { node?: Node; code: string; message: string; hint?: string } | undefined => {
    if (++count > maxNodes) return { node: node as Node, code: 'tooLarge', message: `more than ${maxNodes} YAML nodes`, hint: 'split the chain' };
    if (isPair(node)) return visit(node.key, depth) ?? visit(node.value, depth);
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (ancestors.has(target)) return { node, code: 'aliasCycle', message: `alias *${node.source} refers to a node that contains it (the value would contain itself)`, hint: 'copy the part you need instead of aliasing its parent' };
      return undefined;
    }
    if (isCollection(node)) {
      if (depth > maxDepth) return { node, code: 'tooDeep', message: `nesting deeper than ${maxDepth} levels`, hint: 'flatten the structure' };
      ancestors.add(node);
      for (const item of node.items) {
        const found = visit(item, depth + 1);
        if (found) return found;
      }
      ancestors.delete(node);
    }
    return undefined;
  };
  return visit(doc.contents, 1);
}
