/**
 * Resolves once `check()` holds, re-checked whenever a listener in `listeners` is called and
 * every 5 ms; rejects after `timeoutMs`. Bounded, so a broken test fails instead of hanging.
 */
export function waitUntil(check: () => boolean, timeoutMs: number, listeners: Set<() => void>, what: string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onChange = (): void => {
      if (!check()) return;
      cleanup();
      resolve();
    };
    const poll = setInterval(onChange, 5);
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: condition not met within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearInterval(poll);
      clearTimeout(timer);
      listeners.delete(onChange);
    };
    listeners.add(onChange);
  });
}
