import { Fences } from './fences.js';
import { ALL, fenceNames, type Invalidation } from './invalidation.js';

describe('Fences', () => {
  afterEach(() => vi.useRealTimers());

  it('answers the highest live position among the names asked', () => {
    const fences = new Fences(1_000);
    fences.raise('key:products:1', '0/10');
    fences.raise('tag:product:1', '0/2A');
    fences.raise('ns:other', '1/0');
    expect(fences.highest(['key:products:1', 'tag:product:1'])).toBe('0/2A');
    expect(fences.highest(['key:products:2'])).toBeUndefined();
  });

  it('compares positions as numbers, not text', () => {
    const fences = new Fences(1_000);
    fences.raise('a', '0/9');
    fences.raise('b', '0/10');
    expect(fences.highest(['a', 'b'])).toBe('0/10');
  });

  it('never lowers a live fence, and ignores missing or malformed positions', () => {
    const fences = new Fences(1_000);
    fences.raise('key:x', '0/20');
    fences.raise('key:x', '0/10');
    fences.raise('key:x', undefined);
    fences.raise('key:x', 'not-a-position');
    expect(fences.highest(['key:x'])).toBe('0/20');
  });

  it('lets a fence lapse after fenceMs, and then takes a lower position', () => {
    vi.useFakeTimers({ now: 0 });
    const fences = new Fences(1_000);
    fences.raise('key:x', '0/20');
    vi.setSystemTime(999);
    expect(fences.highest(['key:x'])).toBe('0/20');
    vi.setSystemTime(1_000);
    expect(fences.highest(['key:x'])).toBeUndefined();
    fences.raise('key:x', '0/10');
    expect(fences.highest(['key:x'])).toBe('0/10');
  });
});

describe('fenceNames', () => {
  it('names what each invalidation raises, and what a load of an entry honours', () => {
    expect(fenceNames.of({ type: 'keys', stems: ['products:1', 'products:2'] })).toEqual([
      'key:products:1',
      'key:products:2',
    ]);
    expect(fenceNames.of({ type: 'tags', tags: ['product:1'] })).toEqual(['tag:product:1']);
    expect(fenceNames.of({ type: 'bump', namespace: 'product-lists' })).toEqual(['ns:product-lists']);
    expect(fenceNames.of({ type: 'cleared' })).toEqual([ALL]);
    const honoured = fenceNames.entry('products', 'products:1', ['product:1']);
    const changes: Invalidation[] = [
      { type: 'keys', stems: ['products:1'] },
      { type: 'tags', tags: ['product:1'] },
      { type: 'bump', namespace: 'products' },
    ];
    for (const change of changes) expect(honoured).toEqual(expect.arrayContaining(fenceNames.of(change)));
  });
});
