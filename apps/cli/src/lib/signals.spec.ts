import { EventEmitter } from 'node:events';
import { EXIT } from './exit-codes';
import { cancelOnSignals } from './signals';

describe('signals', () => {
  const setup = () => {
    const target = new EventEmitter();
    const controller = new AbortController();
    const exits: number[] = [];
    const said: string[] = [];
    const s = cancelOnSignals(target, controller, { exit: (c) => exits.push(c), stderr: (t) => said.push(t) });
    return { target, controller, exits, said, s };
  };

  it('the first SIGTERM cancels the run (no exit yet); its exit code is 143', () => {
    const { target, controller, exits, said, s } = setup();
    target.emit('SIGTERM', 'SIGTERM');
    expect(controller.signal.aborted).toBe(true);
    expect(exits).toEqual([]);
    expect(said.join('')).toContain('cancelling on SIGTERM (again to quit at once)');
    expect(s.exitCode(EXIT.cancelled)).toBe(EXIT.terminated);
    expect(s.exitCode(EXIT.ok)).toBe(EXIT.ok);
  });

  it('the first Ctrl-C gives 130; a second SIGINT or SIGTERM exits at once with its own code', () => {
    const a = setup();
    a.target.emit('SIGINT', 'SIGINT');
    expect(a.s.exitCode(EXIT.cancelled)).toBe(EXIT.cancelled);
    a.target.emit('SIGTERM', 'SIGTERM');
    expect(a.exits).toEqual([EXIT.terminated]);
    const b = setup();
    b.target.emit('SIGTERM', 'SIGTERM');
    b.target.emit('SIGINT', 'SIGINT');
    expect(b.exits).toEqual([EXIT.cancelled]);
  });
});
