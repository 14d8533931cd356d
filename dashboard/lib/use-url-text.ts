'use client';

import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * The text of a box whose value lives in the URL (a search, a date): the box shows what is typed at
 * once, and `push` puts it in the URL after `delayMs` without typing. A box bound to the URL itself
 * would show the old value until the router's update lands and drop the keys typed meanwhile. A change
 * of the URL from elsewhere (Clear filters, the back button) shows in the box; the echo of its own
 * change does not, so keys typed while it travels are kept. `reset(v)` is for a caller that puts `v` in
 * the URL itself (with other changes, e.g. Clear filters): the box shows it and pushes nothing.
 */
export function useUrlText(
  value: string,
  push: (value: string) => void,
  delayMs: number,
): [text: string, setText: (text: string) => void, reset: (value: string) => void] {
  const [text, setText] = useState(value);
  const sent = useRef(value);
  const latest = useRef(push);
  latest.current = push;
  useEffect(() => {
    if (value !== sent.current) {
      sent.current = value;
      setText(value);
    }
  }, [value]);
  useEffect(() => {
    const next = text.trim();
    if (next === sent.current) return;
    const timer = window.setTimeout(() => {
      sent.current = next;
      latest.current(next);
    }, delayMs);
    return () => window.clearTimeout(timer);
  }, [text, delayMs]);
  const reset = useCallback((next: string) => {
    sent.current = next;
    setText(next);
  }, []);
  return [text, setText, reset];
}
