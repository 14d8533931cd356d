import { describe, expect, it } from 'vitest';
import { findUnstorableText } from './validation';

describe('findUnstorableText', () => {
  it('accepts ordinary text, emoji and nested values', () => {
    expect(findUnstorableText({ a: 'héllo 👋', b: [1, { c: 'ok' }], d: null })).toBeNull();
  });
  it('names the field holding a NUL', () => {
    expect(findUnstorableText({ name: 'a\u0000b' })).toBe('name');
    expect(findUnstorableText({ m: { tags: ['x', 'y\u0000'] } })).toBe('m.tags.1');
  });
  it('names the field holding an unpaired surrogate, in a value or a key', () => {
    expect(findUnstorableText({ metadata: { team: 'back\ud800end' } })).toBe('metadata.team');
    expect(findUnstorableText({ metadata: { '\udc00': 1 } })).toBe('metadata.\udc00');
  });
  it('reports a bad top-level string as the body', () => {
    expect(findUnstorableText('\u0000')).toBe('(body)');
  });
});
