'use client';

import { useEffect, useRef, useState } from 'react';

const FLASH_MS = 2000;

/** Copies `value`; the label reads "Copied!" for two seconds after a successful copy. */
export function CopyButton({
  value,
  label = 'Copy',
  className = 'button',
  ariaLabel,
}: {
  value: string;
  label?: string;
  className?: string;
  ariaLabel?: string;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const copy = async () => {
    window.clearTimeout(timer.current);
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      // Clipboard access needs a secure context or permission; the text stays selectable.
      setState('failed');
    }
    timer.current = window.setTimeout(() => setState('idle'), FLASH_MS);
  };

  return (
    <button type="button" className={className} onClick={() => void copy()} aria-label={ariaLabel}>
      <span aria-live="polite">
        {state === 'copied' ? 'Copied!' : state === 'failed' ? 'Select and copy' : label}
      </span>
    </button>
  );
}
