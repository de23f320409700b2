import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runCli } from './testing/run-cli';

/**
 * The bad-input corpus (src/corpus/<category>/<case>/case.yaml, see src/corpus/README.md):
 * every case runs through the real CLI main and must exit with its code, name its place on
 * the first line of what it prints, say what is wrong, and print no stack frame.
 */
const CORPUS = path.join(__dirname, 'corpus');
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/;

interface Case {
  about: string;
  args: string[];
  exit: number;
  where: string;
  says: string;
  stdin?: string;
  env?: Record<string, string>;
}

const cases = fs
  .readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((category) => fs.readdirSync(path.join(CORPUS, category.name)).map((name) => `${category.name}/${name}`))
  .filter((id) => fs.existsSync(path.join(CORPUS, id, 'case.yaml')))
  .sort();

/** A case's argument or environment value that names a file of the case (`chain.yaml`, `--html=out`) points into its folder. */
function resolveIn(dir: string, value: string): string {
  const eq = value.startsWith('--') ? value.indexOf('=') : -1;
  if (eq >= 0) return `${value.slice(0, eq + 1)}${resolveIn(dir, value.slice(eq + 1))}`;
  return value !== '' && !value.startsWith('-') && fs.existsSync(path.join(dir, value)) ? path.join(dir, value) : value;
}

describe('the bad-input corpus', () => {
  it('has at least 100 cases, at least 12 in each category', () => {
    const perCategory = new Map<string, number>();
    for (const id of cases) perCategory.set(id.split('/')[0]!, (perCategory.get(id.split('/')[0]!) ?? 0) + 1);
    expect(cases.length).toBeGreaterThanOrEqual(100);
    for (const category of ['chain', 'prompt', 'fleet', 'input', 'flags']) expect([category, perCategory.get(category) ?? 0]).toEqual([category, expect.any(Number)]);
    for (const [category, n] of perCategory) expect([category, n >= 12]).toEqual([category, true]);
  });

  it.each(cases)('%s', async (id) => {
    const dir = path.join(CORPUS, id);
    const c = parseYaml(fs.readFileSync(path.join(dir, 'case.yaml'), 'utf8')) as Case;
    const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, resolveIn(dir, String(v))]));
    const { code, stdout, stderr } = await runCli(c.args.map((a) => resolveIn(dir, String(a))), { stdin: c.stdin, env });
    // Paths inside the case folder are shown relative to it, as the case names them.
    const shown = (text: string) => text.split(`${dir}${path.sep}`).join('');
    const out = shown(stdout);
    const err = shown(stderr);
    const first = (err.trim() ? err : out).split('\n').find((l) => l.trim() !== '') ?? '';
    const all = `${err}\n${out}`;
    expect({ about: c.about, exit: code, firstLineNames: first.includes(c.where), says: all.includes(c.says) }).toEqual({ about: c.about, exit: c.exit, firstLineNames: true, says: true });
    expect(all.split('\n').filter((l) => STACK_FRAME.test(l))).toEqual([]);
  });
});
