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
  });
});
