import { formatLsn, isLsn, parseLsn } from './lsn.js';

describe('WAL positions', () => {
  it('round-trips and orders like Postgres', () => {
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
    expect(parseLsn('0/3000000') < parseLsn('0/3000001')).toBe(true);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(parseLsn('1/0') - parseLsn('0/FFFFFFFF')).toBe(1n);
  });

  it('rejects anything else', () => {
    for (const bad of ['', '16', '16/', 'G/1', '1/2/3', '123456789/0', "0/0' OR 1=1"]) {
      expect(isLsn(bad)).toBe(false);
      expect(() => parseLsn(bad)).toThrow();
    }
  });
});
