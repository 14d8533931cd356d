import { describe, expect, it } from 'vitest';
import { safeNextPath } from './safe-next';

describe('safeNextPath', () => {
  it.each([
    ['/%09/evil.example', 'a tab (as the query decodes it) that browsers strip to //evil.example'],
    ['/\t/evil.example', 'a raw tab'],
    ['/\n/evil.example', 'a newline'],
    ['//evil.example', 'a protocol-relative URL'],
    ['/\\evil.example', 'a backslash, which browsers read as a slash'],
    ['\\/evil.example', 'a leading backslash'],
    ['https://evil.example/keys', 'an absolute URL'],
    ['javascript:alert(1)', 'a script URL'],
    ['evil.example', 'no leading slash'],
    ['/ /evil.example', 'a space'],
    ['', 'nothing'],
    ['/.//evil.example', 'a dot segment that the URL parser folds into //evil.example'],
    ['/..//evil.example', 'a dot-dot segment at the root, folded the same way'],
    ['/a/..//evil.example', 'a dot-dot segment further in'],
    ['/%2e//evil.example', 'an encoded dot segment'],
    ['/%2E%2E//evil.example', 'an encoded dot-dot segment'],
  ])('%j (%s) becomes /', (raw) => {
    // The first case arrives decoded, as URLSearchParams hands it over.
    const value =
      raw === '/%09/evil.example' ? new URLSearchParams('next=/%09/evil.example').get('next') : raw;
    expect(safeNextPath(value)).toBe('/');
  });

  it('keeps our own paths with their query and fragment', () => {
    expect(safeNextPath('/keys?status=active#top')).toBe('/keys?status=active#top');
    expect(safeNextPath('/invitations/ptci_abc')).toBe('/invitations/ptci_abc');
    expect(safeNextPath('/users/../keys')).toBe('/keys');
    expect(safeNextPath('/%5Cevil.example')).toBe('/%5Cevil.example');
  });

  it('gives what it gives unchanged when asked again (what it returns is itself safe)', () => {
    for (const raw of ['/.//evil.example', '/keys?next=//evil.example', '/a/./b', '/%2e%2e/x']) {
      const once = safeNextPath(raw);
      expect(once.startsWith('//')).toBe(false);
      expect(safeNextPath(once)).toBe(once);
    }
  });
});
