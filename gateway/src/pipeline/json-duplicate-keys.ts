/**
 * Finds a key repeated within one object anywhere in a JSON text, or returns null. Parsers disagree on
 * repeated keys (JSON.parse keeps the last, others the first or refuse), so a body the gateway checked
 * and then forwarded byte for byte could mean something else upstream.
 *
 * `text` must be valid JSON (run it after JSON.parse accepted the text): the scan is one pass that
 * skips string values with indexOf and tracks the keys of the open objects only, decoding a key only
 * when it holds an escape (`"a"` and `"\u0061"` are the same key). Key lists are reused per depth, so a
 * body allocates a Set only for an object with many keys.
 *
 * With `foldCase`, keys that differ only in case are the same key too: decoders that match object keys
 * to fields case-insensitively (Go's encoding/json, behind many MCP servers, which also folds `ſ` to `S`
 * and the Kelvin sign to `K`) read `{"name":"a","NAME":"b"}` as name "b". Folding here is the upper case
 * of the lower case: it merges those as Go does, and some pairs Go keeps apart (`ß` and `SS`), which
 * only refuses more.
 */
const LINEAR_MAX = 16;

// Per open container, by depth: whether it is an object, and the keys seen so far (a list, or a Set
// past LINEAR_MAX keys). Module-level and reused by every call (the scan is synchronous): a call
// allocates only the keys it slices, and empties what it used before returning, so no key (a slice
// that may keep the whole body alive) outlives the call.
const lists: string[][] = [];
const sets: (Set<string> | null)[] = [];
const objects: boolean[] = [];
let deepest = -1;

const NON_ASCII = /[^ -~\t\n\r]/;
/** A key as `foldCase` compares it. */
export const foldKey = (key: string) =>
  NON_ASCII.test(key) ? key.toLowerCase().toUpperCase() : key.toUpperCase();

/** The later of two equal keys in one object (as it is spelled there), or null. */
export function findDuplicateKey(text: string, foldCase = false): string | null {
  deepest = -1;
  const found = scan(text, foldCase);
  for (let d = 0; d <= deepest; d++) {
    const list = lists[d];
    if (list) list.length = 0;
    sets[d] = null;
  }
  return found;
}

function scan(text: string, foldCase: boolean): string | null {
  let depth = -1;
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */) {
      const start = i + 1;
      let end = text.indexOf('"', start);
      // A quote preceded by an odd run of backslashes is escaped: look further.
      for (;;) {
        if (end < 0) return null; // not JSON after all; JSON.parse has the final word
        let b = end - 1;
        while (b >= start && text.charCodeAt(b) === 92 /* \ */) b--;
        if ((end - 1 - b) % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      i = end;
      if (!expectKey) continue;
      expectKey = false;
      const raw = text.slice(start, end);
      const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
      const seen = foldCase ? foldKey(key) : key;
      const set = sets[depth];
      if (set) {
        if (set.has(seen)) return key;
        set.add(seen);
        continue;
      }
      const list = lists[depth] as string[];
      if (list.includes(seen)) return key;
      list.push(seen);
      if (list.length > LINEAR_MAX) sets[depth] = new Set(list);
    } else if (ch === 123 /* { */) {
      depth++;
      if (depth > deepest) deepest = depth;
      objects[depth] = true;
      const list = lists[depth];
      if (list) list.length = 0;
      else lists[depth] = [];
      sets[depth] = null;
      expectKey = true;
    } else if (ch === 91 /* [ */) {
      depth++;
      objects[depth] = false;
      expectKey = false;
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) {
      depth--;
      expectKey = false;
    } else if (ch === 44 /* , */) {
      expectKey = objects[depth] === true;
    }
  }
  return null;
}
