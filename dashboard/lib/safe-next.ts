/** Where the sign-in page sends the visitor when `next` is missing or not one of our pages. */
export const DEFAULT_NEXT = '/';

// Tabs and newlines are stripped by browsers inside URLs (`/\t/evil` becomes `//evil`), and other
// control characters or spaces have no business in one of our paths.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE_CHARS = /[\u0000-\u0020\u007f\\]/;

/**
 * A `next=` value made safe to navigate to: a path on this site, or `/`. Only values that start with a
 * single `/`, hold no backslash, whitespace or control character (which browsers fold into `//host`),
 * and still resolve to the same origin are kept. The result is the path, query and fragment alone, and
 * never itself starts with `//` once dot segments are resolved.
 */
export function safeNextPath(raw: string | null | undefined): string {
  if (!raw || raw.length > 2048) return DEFAULT_NEXT;
  if (!raw.startsWith('/') || raw.startsWith('//') || UNSAFE_CHARS.test(raw)) return DEFAULT_NEXT;
  const base = 'https://dashboard.invalid';
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return DEFAULT_NEXT;
  }
  if (url.origin !== base) return DEFAULT_NEXT;
  // Dot segments are resolved by the parser, so `/.//evil.example` (or `/%2e%2e//evil.example`) comes
  // out as `//evil.example`: a protocol-relative URL to another site. What is returned must pass the
  // same checks as what came in.
  if (url.pathname.startsWith('//')) return DEFAULT_NEXT;
  return `${url.pathname}${url.search}${url.hash}`;
}
