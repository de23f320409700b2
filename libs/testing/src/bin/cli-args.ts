/** `--key value` / `--key=value` flags of the simulator command lines; `-h`/`--help` sets `help`. */
export function parseFlags(argv: readonly string[], known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      out.set('help', '1');
      continue;
    }
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!known.includes(key)) throw new Error(`unknown option --${key}`);
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new Error(`--${key}: missing value`);
    out.set(key, value);
  }
  return out;
}

/** A finite number flag, or undefined when absent. */
export function numberFlag(flags: ReadonlyMap<string, string>, key: string): number | undefined {
  const v = flags.get(key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${key}: expected a number, got ${v}`);
  return n;
}

/** Keeps a started server up until SIGINT / SIGTERM, then closes it and exits 0. */
export function closeOnSignal(server: { close(): Promise<void> }): void {
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Runs a simulator command's main: a failure prints the message and the usage, exit 2. */
export function runCommand(main: () => Promise<void>, usage: string): void {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    console.error(usage);
    process.exit(2);
  });
}
