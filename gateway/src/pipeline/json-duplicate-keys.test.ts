import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from './json-duplicate-keys.js';

describe('findDuplicateKey', () => {
  it.each([
    ['{"a":1,"a":2}', 'a'],
    ['{"a":1,"b":2,"a":3}', 'a'],
    ['{"method":"tools/call","id":1,"method":"tools/list"}', 'method'],
    ['{"":1,"":2}', ''],
    // The same key spelled with escapes.
    ['{"a":1,"\\u0061":2}', 'a'],
    ['{"\\u0061":1,"\\u0061":2}', 'a'],
    ['{"\\u00e9":1,"é":2}', 'é'],
    ['{"a\\/b":1,"a/b":2}', 'a/b'],
    ['{"\\ud800":1,"\\uD800":2}', '\ud800'],
    // At any depth, in arrays, after nested containers.
    ['{"p":{"name":"x","name":"y"}}', 'name'],
    ['[{"a":1},{"b":1,"b":2}]', 'b'],
    ['{"x":[{"a":1,"a":1}]}', 'a'],
    ['{"a":{"b":{"c":1}},"a":2}', 'a'],
    ['{"a":[1,2,{"z":1}],"a":0}', 'a'],
    // Backslashes right before a closing quote.
    ['{"a":"\\\\","a":1}', 'a'],
    ['{"k\\\\":1,"k\\\\":2}', 'k\\'],
    ['{"q\\"":1,"q\\u0022":2}', 'q"'],
  ])('%s repeats %j', (text, key) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(findDuplicateKey(text)).toBe(key);
  });

  it.each([
    '{}',
    '[]',
    '"a"',
    '1',
    'null',
    '{"a":1,"b":2}',
    '{"a":{"a":{"a":1}}}',
    '[{"a":1},{"a":2}]',
    '{"a":"a","b":"a"}',
    '{"a":[1,"a"],"b":"a"}',
    // Strings that look like JSON are values, not structure.
    '{"a":"{\\"a\\":1,\\"a\\":2}","b":1}',
    '{"a":"\\\\\\"","b":"}{,\\"a\\":"}',
    '{"a":"\\"","\\"a":1}',
    // Different keys that only look alike: no Unicode normalization, case matters.
    '{"e\\u0301":1,"é":2}',
    '{"A":1,"a":2}',
    '{"__proto__":1,"constructor":2,"toString":3}',
  ])('%s repeats nothing', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(findDuplicateKey(text)).toBeNull();
  });

  it.each([
    ['{"name":"a","NAME":"b"}', 'NAME'],
    ['{"method":"ping","Method":"tools/call"}', 'Method'],
    ['{"p":{"uri":"x","URI":"y"}}', 'URI'],
    // Go folds the long s to S and the Kelvin sign to K.
    ['{"params":{},"param\u017f":{}}', 'paramſ'],
    ['{"kind":1,"\u212aind":2}', '\u212aind'],
    ['{"a":1,"\u0041":2}', 'A'],
  ])('with case folding, %s repeats %j', (text, key) => {
    const expected = JSON.parse(`"${key}"`) as string;
    expect(findDuplicateKey(text)).toBeNull();
    expect(findDuplicateKey(text, true)).toBe(expected);
  });

  it('with case folding, keys that differ otherwise are still different', () => {
    for (const text of ['{"a":1,"b":2}', '{"name":1,"names":2}', '{"é":1,"e":2}', '[{"a":1},{"A":2}]'])
      expect(findDuplicateKey(text, true)).toBeNull();
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`Key${i}`, i]));
    const text = JSON.stringify(many);
    expect(findDuplicateKey(text, true)).toBeNull();
    expect(findDuplicateKey(`${text.slice(0, -1)},"KEY50":0}`, true)).toBe('KEY50');
  });

  it('finds a repeat among many keys and across deep nesting', () => {
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const text = JSON.stringify(many);
    expect(findDuplicateKey(text)).toBeNull();
    expect(findDuplicateKey(`${text.slice(0, -1)},"k500":0}`)).toBe('k500');
    expect(findDuplicateKey(`${text.slice(0, -1)},"k1000":0}`)).toBeNull();
    let deep = '{"leaf":1,"leaf":2}';
    for (let i = 0; i < 60; i++) deep = `{"x":[${deep}],"y":${i}}`;
    expect(findDuplicateKey(deep)).toBe('leaf');
    // Siblings at one depth do not share keys even when one of them had many.
    expect(findDuplicateKey(`[${text},{"k1":1}]`)).toBeNull();
  });

  it('agrees with a reference on random documents, with and without an injected repeat', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const names = ['a', 'b', 'é', 'x"y', 'z\\', '{', ',', ':', '"', ''];
    const value = (depth: number): unknown => {
      const r = rand(depth > 4 ? 4 : 7);
      if (r === 0) return rand(1000) - 500;
      if (r === 1) return names[rand(names.length)];
      if (r === 2) return null;
      if (r === 3) return `}{",\\${names[rand(names.length)]}`;
      if (r === 4) return Array.from({ length: rand(4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: rand(5) }, () => [names[rand(names.length)] as string, value(depth + 1)]),
      );
    };
    for (let run = 0; run < 500; run++) {
      const doc = { root: value(0) };
      const text = JSON.stringify(doc);
      expect(findDuplicateKey(text)).toBeNull();
      // Repeat the first key of some object: spelled plainly or with every character escaped.
      const objects = [...text.matchAll(/\{"((?:[^"\\]|\\.)*)":/g)];
      const pick = objects[rand(objects.length)];
      if (!pick || pick.index === undefined) continue;
      const key = JSON.parse(`"${pick[1]}"`) as string;
      const spelled =
        rand(2) === 0
          ? JSON.stringify(key)
          : `"${[...key].map((c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`).join('')}"`;
      if ([...key].some((c) => (c.codePointAt(0) as number) > 0xffff)) continue;
      const at = pick.index + 1;
      const injected = `${text.slice(0, at)}${spelled}:0,${text.slice(at)}`;
      expect(() => JSON.parse(injected)).not.toThrow();
      expect(findDuplicateKey(injected)).toBe(key);
    }
  });
});
