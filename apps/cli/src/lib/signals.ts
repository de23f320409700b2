import { EXIT } from './exit-codes';

export interface SignalCancellation {
  /** The first signal received, if any. */
  readonly received: NodeJS.Signals | undefined;
  /** The exit code for a run that ended cancelled: 130 after SIGINT, 143 after SIGTERM. */
  exitCode(result: number): number;
}

/**
 * The first SIGINT (Ctrl-C) or SIGTERM cancels the run like `cancel()`: `controller` aborts,
 * in-flight requests end, the trace and the completed steps are written, and the exit code
 * says which signal it was. A second one of either exits at once with its own code.
 */
export function cancelOnSignals(
  target: Pick<NodeJS.EventEmitter, 'on'>,
  controller: AbortController,
  io: { exit: (code: number) => void; stderr: (text: string) => void },
): SignalCancellation {
  let received: NodeJS.Signals | undefined;
  const codeOf = (signal: NodeJS.Signals) => (signal === 'SIGTERM' ? EXIT.terminated : EXIT.cancelled);
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      io.exit(codeOf(signal));
      return;
    }
    received = signal;
    io.stderr(`\ncancelling on ${signal === 'SIGINT' ? 'Ctrl-C' : signal} (again to quit at once)\n`);
    controller.abort(new Error(`interrupted (${signal})`));
  };
  target.on('SIGINT', onSignal);
  target.on('SIGTERM', onSignal);
  return {
    get received() {
      return received;
    },
    exitCode: (result) => (result === EXIT.cancelled && received ? codeOf(received) : result),
  };
}
