import { pollUntil, readSlots } from './llama-server.probes';

/**
 * llama-server's HTTP handlers look for a closed connection only after a full second in which
 * the server produced no result for any request (each result, streamed token or `/metrics`
 * answer, restarts their wait). Whoever waits for the server to notice a disconnect polls it
 * less often than this.
 */
export const QUIET_POLL_MS = 1200;

/**
 * Occupies every slot of a llama-server with a long generation, so that the next request
 * waits in the server's queue and gets nothing back, not even headers: a real server's
 * "hang". Each blocker asks for a distinct `n_predict`, which `/slots` shows, so a test can
 * tell the blockers from other work. The blockers do not stream: streamed tokens would keep
 * the server from ever noticing that the queued request's client went away (see QUIET_POLL_MS).
 */
export class SlotBlockers {
  readonly markers: readonly number[];
  /** Resolves once `/slots` shows every slot running a blocker. */
  readonly ready: Promise<void>;
  readonly #controllers: AbortController[] = [];

  constructor(
    private readonly baseURL: string,
    slots: number,
    markerBase: number,
  ) {
    this.markers = Array.from({ length: slots }, (_, i) => markerBase + i);
    for (const marker of this.markers) this.#start(marker);
    this.ready = pollUntil(() => this.allBusy(), 10_000).then((ok) => {
      if (!ok) throw new Error(`SlotBlockers: the server did not run ${slots} blockers at once within 10 s`);
    });
    // Callers that never await `ready` must not see an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** Whether every slot is still running one of these blockers. */
  async allBusy(): Promise<boolean> {
    const slots = await readSlots(this.baseURL);
    return slots.every((s) => s.is_processing && this.markers.includes(s.params?.n_predict ?? -1));
  }

  /** Disconnects the blockers; resolves once the server has freed their slots (about a second). */
  async release(): Promise<void> {
    for (const c of this.#controllers) c.abort();
    await pollUntil(async () => {
      const slots = await readSlots(this.baseURL);
      return !slots.some((s) => s.is_processing && this.markers.includes(s.params?.n_predict ?? -1));
    }, 10_000, QUIET_POLL_MS).catch(() => false);
  }

  #start(marker: number): void {
    const controller = new AbortController();
    this.#controllers.push(controller);
    void (async () => {
      try {
        const res = await fetch(`${this.baseURL}/completion`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'Block the slot.', n_predict: marker, ignore_eos: true, stream: false }),
          signal: controller.signal,
        });
        await res.text();
      } catch {
        // aborted on release
      }
    })();
  }
}
