import { fieldsParam, pickFields } from './sparse-fields.js';
import { withoutEmpty } from './without-empty.js';

describe('withoutEmpty', () => {
  it("drops null, undefined, '' and [], keeps zeros, false and nested values", () => {
    const lean = withoutEmpty<{ a?: string; b?: number; c?: boolean; d?: number[]; e?: string; f?: object }>({
      a: '',
      b: 0,
      c: false,
      d: [],
      e: undefined,
      f: { g: null },
    });
    expect(lean).toEqual({ b: 0, c: false, f: { g: null } });
    expect(JSON.stringify(withoutEmpty<{ x?: string }>({ x: null }))).toBe('{}');
  });
});

describe('fieldsParam and pickFields', () => {
  const fields = fieldsParam(['id', 'name', 'price'] as const);

  it("parses in the whitelist's order, without repeats", () => {
    expect(fields.parse('price, id,price')).toEqual(['id', 'price']);
  });

  it('refuses unknown names, naming them, and an empty list', () => {
    const unknown = fields.safeParse('id,cost,secret');
    expect(unknown.success).toBe(false);
    expect(unknown.error?.issues[0].message).toBe('unknown field(s): cost, secret; allowed: id, name, price');
    expect(fields.safeParse(',').error?.issues[0].message).toBe('must name at least one field');
  });

  it('projects, leaving absent what the value omits', () => {
    expect(pickFields({ id: 1, name: 'Mug', price: 3 }, ['id', 'price'])).toEqual({ id: 1, price: 3 });
    expect(pickFields({ id: 1 } as { id: number; name?: string }, ['id', 'name'])).toEqual({ id: 1 });
    expect(pickFields({ id: 1 }, undefined)).toEqual({ id: 1 });
  });
});
