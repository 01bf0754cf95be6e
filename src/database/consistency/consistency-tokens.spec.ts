import { parseLsn } from '../../common/lsn.js';
import { ConsistencyTokens } from './consistency-tokens.js';

describe('ConsistencyTokens', () => {
  const tokens = new ConsistencyTokens('a key shared by every instance');

  it('issues readable signed tokens that read back as their position', () => {
    const token = tokens.issue('16/b374d848');
    expect(token).toMatch(/^16\/B374D848\.[\w-]{22}$/);
    expect(tokens.read(token)).toEqual({ kind: 'genuine', lsn: parseLsn('16/B374D848') });
    expect(new ConsistencyTokens('a key shared by every instance').read(token).kind).toBe('genuine');
    // The position's case does not matter: the signature covers its canonical form.
    expect(tokens.read(token.replace('B374D848', 'b374d848')).kind).toBe('genuine');
  });

  it('treats forged, unsigned, re-pointed and foreign tokens as no token', () => {
    const token = tokens.issue('0/16B3748');
    const [, tag] = token.split('.');
    for (const forged of [
      'FFFFFFFF/FFFFFFFF',
      `FFFFFFFF/FFFFFFFF.${tag}`,
      `0/16B3749.${tag}`,
      `0/16B3748.${tag.slice(0, -1)}`,
      `0/16B3748.${'A'.repeat(22)}`,
      `0/16B3748.${tag}${tag}`,
      new ConsistencyTokens('another key').issue('0/16B3748'),
    ])
      expect(tokens.read(forged), forged).toEqual({ kind: 'unsigned' });
  });

  it('calls anything that is not a position (with or without a signature) malformed', () => {
    for (const junk of ["0/0' OR 1=1", '1/2/3', 'G/1', '0/', '/', '0/1.', '0/1.a.b', '0/1.a b', '123456789/1'])
      expect(tokens.read(junk), junk).toEqual({ kind: 'malformed' });
  });

  it('without a key, signs with a random one (valid on this instance only)', () => {
    const here = new ConsistencyTokens();
    const token = here.issue('1/1');
    expect(here.read(token).kind).toBe('genuine');
    expect(new ConsistencyTokens().read(token).kind).toBe('unsigned');
  });
});
