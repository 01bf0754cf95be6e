import { prettyLogs } from './logger-params.js';

describe('prettyLogs', () => {
  it('is pretty in development on a terminal, unless LOG_PRETTY=false', () => {
    expect(prettyLogs({ NODE_ENV: 'development', LOG_PRETTY: undefined }, true)).toBe(true);
    expect(prettyLogs({ NODE_ENV: 'development', LOG_PRETTY: false }, true)).toBe(false);
  });

  it('writes JSON in development when stdout is a pipe or a file, unless LOG_PRETTY=true', () => {
    expect(prettyLogs({ NODE_ENV: 'development', LOG_PRETTY: undefined }, false)).toBe(false);
    expect(prettyLogs({ NODE_ENV: 'development', LOG_PRETTY: true }, false)).toBe(true);
  });

  it.each(['production', 'test'] as const)('never in %s, whatever LOG_PRETTY says', (NODE_ENV) => {
    for (const LOG_PRETTY of [undefined, true, false]) {
      for (const isTTY of [true, false]) expect(prettyLogs({ NODE_ENV, LOG_PRETTY }, isTTY)).toBe(false);
    }
  });
});
