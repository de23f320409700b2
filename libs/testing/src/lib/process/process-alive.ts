/** Whether a process with this pid exists (signal 0 checks without sending anything): for tests that a child was stopped. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
