// Writes a synthetic GGUF model (random weights, byte tokenizer, ChatML) for tests and benchmarks:
//   node tools/scripts/run-ts.cjs tools/scripts/make-gguf.ts --out x.gguf --seed 1 [--layers 2 --width 128 ...]
import { parseArgs } from 'node:util';
import { writeSyntheticGguf, type SyntheticGgufOptions } from '@flotilla/testing';

const NUMERIC = ['seed', 'layers', 'width', 'heads', 'kv-heads', 'ff', 'context-length', 'stop-bias'] as const;

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', short: 'o' },
      name: { type: 'string' },
      'no-printable': { type: 'boolean', default: false },
      bias: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
      ...Object.fromEntries(NUMERIC.map((k) => [k, { type: 'string' as const }])),
    },
  });
  if (values.help || !values.out) {
    console.error(
      'usage: make-gguf.ts --out <file.gguf> [--seed N] [--layers N] [--width N] [--heads N] [--kv-heads N]\n' +
        '                   [--ff N] [--context-length N] [--stop-bias X] [--no-printable] [--name S]\n' +
        "                   [--bias 'C=X' ...]   (logit bias X for the single character C, e.g. --bias '\"=3')",
    );
    process.exit(values.help ? 0 : 2);
  }
  const num = (k: (typeof NUMERIC)[number]): number | undefined => {
    const v = (values as Record<string, unknown>)[k];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) {
      console.error(`--${k}: not a number: ${String(v)}`);
      process.exit(2);
    }
    return n;
  };
  const biases: Record<string, number> = {};
  for (const b of values.bias ?? []) {
    const at = b.lastIndexOf('=');
    const value = Number(b.slice(at + 1));
    if (at !== 1 || !Number.isFinite(value)) {
      console.error(`--bias: expected C=X (one character, a number), got ${b}`);
      process.exit(2);
    }
    biases[b[0]!] = value;
  }
  const options: SyntheticGgufOptions = {
    biases,
    seed: num('seed'),
    layers: num('layers'),
    width: num('width'),
    heads: num('heads'),
    kvHeads: num('kv-heads'),
    ff: num('ff'),
    contextLength: num('context-length'),
    stopBias: num('stop-bias'),
    printable: !values['no-printable'],
    name: values.name,
  };
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SyntheticGgufOptions;
  writeSyntheticGguf(values.out, defined).then(
    (info) => console.log(`${info.path}: ${info.bytes} bytes, vocab ${info.vocabSize}, context ${info.contextLength}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}

main();
