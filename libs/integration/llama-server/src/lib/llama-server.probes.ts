/** One entry of llama-server's `GET /slots` (started with `--slots`), the fields the tests read. */
export interface SlotState {
  id: number;
  n_ctx: number;
  is_processing: boolean;
  /** The current task, or the last one the slot ran. */
  id_task?: number;
  n_prompt_tokens?: number;
  params?: { n_predict?: number; ignore_eos?: boolean; [key: string]: unknown };
  next_token?: { has_next_token: boolean; n_remain: number; n_decoded: number }[];
}

/** Probes that get no signal still end: a server that stopped answering fails them after this. */
const PROBE_TIMEOUT_MS = 5_000;

/** The slots as the server reports them right now. */
export async function readSlots(baseURL: string, signal: AbortSignal = AbortSignal.timeout(PROBE_TIMEOUT_MS)): Promise<SlotState[]> {
  const res = await fetch(`${baseURL}/slots`, { signal });
  if (!res.ok) throw new Error(`GET /slots answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as SlotState[];
}

/** Tokens the slot generated for its current or last task. */
export function decodedOf(slot: SlotState): number {
  return slot.next_token?.[0]?.n_decoded ?? 0;
}

/** llama-server's Prometheus `GET /metrics` (started with `--metrics`), as name -> value (prefix dropped). */
export async function readMetrics(baseURL: string, signal: AbortSignal = AbortSignal.timeout(PROBE_TIMEOUT_MS)): Promise<Record<string, number>> {
  const res = await fetch(`${baseURL}/metrics`, { signal });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^llamacpp:(\w+)\s+(\S+)$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Polls `check` every `everyMs` until it holds or `waitMs` passes; true when it held. */
export async function pollUntil(check: () => boolean | Promise<boolean>, waitMs: number, everyMs = 20): Promise<boolean> {
  const until = Date.now() + waitMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
