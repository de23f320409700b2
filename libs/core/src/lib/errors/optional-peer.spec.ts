import { FlotillaError } from './flotilla-error';
import { requireOptionalPeer, resolveOptionalPeer } from './optional-peer';

describe('optional peer dependencies', () => {
  it('resolve and load from the caller when installed', () => {
    expect(resolveOptionalPeer(require, { name: 'rxjs', neededBy: 'a test' })).toBe(require.resolve('rxjs'));
    expect(requireOptionalPeer<typeof import('rxjs')>(require, { name: 'rxjs', neededBy: 'a test' }).of).toBe(require('rxjs').of);
  });

  it('when missing: a config error naming the package, what needs it and the install line', () => {
    let caught: unknown;
    try {
      requireOptionalPeer(require, { name: 'flotilla-no-such-package', neededBy: 'the thing (@flotilla/x)', install: 'npm install flotilla-no-such-package other' });
    } catch (e) {
      caught = e;
    }
    expect(FlotillaError.is(caught, 'config')).toBe(true);
    expect((caught as FlotillaError).message).toBe(
      'the thing (@flotilla/x) needs flotilla-no-such-package, an optional peer dependency that is not installed; install it with: npm install flotilla-no-such-package other',
    );
    expect((caught as FlotillaError).details).toEqual({ package: 'flotilla-no-such-package', install: 'npm install flotilla-no-such-package other' });
    expect(() => resolveOptionalPeer(require, { name: 'flotilla-no-such-package', neededBy: 'x' })).toThrow('install it with: npm install flotilla-no-such-package');
  });
});
