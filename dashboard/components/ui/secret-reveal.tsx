'use client';

import type { ReactNode } from 'react';
import { CopyButton } from './copy-button';
import styles from './secret-reveal.module.css';

/**
 * A secret the API returns exactly once (gateway tokens, webhook signing secrets): a green box with
 * the secret in a select-all monospace block, Copy, the warning, and Done. Extra guidance (how to use
 * the secret) goes in `children`.
 */
export function SecretReveal({
  title,
  secret,
  secretLabel,
  warning = 'It will not be shown again. Make sure to save it securely.',
  onDone,
  doneLabel = 'Done',
  children,
}: {
  title: string;
  secret: string;
  /** What the secret is, for assistive technology ("Gateway token"). */
  secretLabel: string;
  warning?: string;
  onDone: () => void;
  doneLabel?: string;
  children?: ReactNode;
}) {
  return (
    <div className={styles.reveal}>
      <div className="success-box" role="status">
        <p>
          <strong>{title}</strong>
        </p>
        <span className="visually-hidden">{secretLabel}:</span>
        <code className="secret-block">{secret}</code>
        <div className="button-row">
          <CopyButton value={secret} ariaLabel={`Copy ${secretLabel.toLowerCase()}`} />
        </div>
        <p>{warning}</p>
      </div>
      {children}
      <div className={`button-row ${styles.done}`}>
        <button type="button" className="button button-primary" onClick={onDone}>
          {doneLabel}
        </button>
      </div>
    </div>
  );
}
