import { parseKeepAlive } from './go-duration';

describe('parseKeepAlive', () => {
  it.each([
    [300, 300_000],
    [0, 0],
    [-1, -1000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['250ms', 250],
    ['-1s', -1000],
    ['0', 0],
    ['0s', 0],
  ])('%p -> %p ms', (input, ms) => {
    expect(parseKeepAlive(input)).toBe(ms);
  });

  it.each(['300', '5 m', 'forever', '', '1d', null, {}])('rejects %p as Go does', (input) => {
    expect(parseKeepAlive(input)).toBeUndefined();
  });
});
