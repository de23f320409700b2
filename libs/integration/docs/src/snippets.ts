import * as fs from 'node:fs';
import * as path from 'node:path';

/** A fenced `ts` block of a Markdown file: documentation that must compile and run as written. */
export interface Snippet {
  /** The Markdown file, relative to the repository root. */
  doc: string;
  /** 1-based line of the block's first code line. */
  line: number;
  code: string;
}

export const REPO_ROOT = path.resolve(__dirname, '../../../..');

/** The Markdown files whose `ts` blocks are checked: the README, docs/, and every library's README. */
export function documentedFiles(root = REPO_ROOT): string[] {
  const out = ['README.md'];
  for (const f of fs.readdirSync(path.join(root, 'docs'))) if (f.endsWith('.md')) out.push(`docs/${f}`);
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      if (!e.isDirectory() || e.name === 'node_modules' || e.name === 'src') continue;
      const sub = `${dir}/${e.name}`;
      if (fs.existsSync(path.join(root, sub, 'README.md'))) out.push(`${sub}/README.md`);
      walk(sub);
    }
  };
  walk('libs');
  walk('apps');
  return out.sort();
}

/** Every ```ts block of a Markdown text. */
export function extractSnippets(doc: string, markdown: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*```ts\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    const indent = /^(\s*)/.exec(lines[i]!)![1]!.length;
    out.push({ doc, line: start + 1, code: lines.slice(start, end).map((l) => l.slice(Math.min(indent, /^(\s*)/.exec(l)![1]!.length))).join('\n') });
    i = end;
  }
  return out;
}

export function allSnippets(root = REPO_ROOT): Snippet[] {
  return documentedFiles(root).flatMap((doc) => extractSnippets(doc, fs.readFileSync(path.join(root, doc), 'utf8')));
}

/** A file name for a snippet: `<doc path>-<line>.ts` with separators flattened. */
export function snippetFileName(s: Snippet): string {
  return `${s.doc.replace(/[/.]/g, '_')}-${s.line}.ts`;
}

/** The model names a snippet mentions (`model: '...'`, quoted `name:tag` strings): the simulator must serve them. */
export function modelsIn(snippets: readonly Snippet[]): string[] {
  const names = new Set<string>();
  for (const s of snippets) {
    for (const m of s.code.matchAll(/model:\s*['"]([^'"]+)['"]/g)) names.add(m[1]!);
    for (const m of s.code.matchAll(/['"]([a-z0-9.-]+:[a-z0-9._-]+)['"]/g)) names.add(m[1]!);
  }
  return [...names].filter((n) => !/^https?:/.test(n)).sort();
}
