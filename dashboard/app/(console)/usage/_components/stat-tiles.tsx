import type { ReactNode } from 'react';
import styles from './stat-tiles.module.css';

export interface StatTile {
  label: string;
  /** Null while loading: the tile keeps its size and shows a placeholder. */
  value: ReactNode | null;
  detail?: ReactNode;
}

/** Headline numbers as a description list: each label is the term, its number the definition. */
export function StatTiles({ tiles, label }: { tiles: readonly StatTile[]; label: string }) {
  return (
    <dl className={styles.tiles} aria-label={label}>
      {tiles.map((tile) => (
        <div key={tile.label} className={styles.tile}>
          <dt className={styles.label}>{tile.label}</dt>
          <dd className={styles.value} aria-busy={tile.value === null ? true : undefined}>
            {tile.value === null ? (
              <>
                <span className={styles.pending} aria-hidden="true" />
                <span className="visually-hidden">Loading…</span>
              </>
            ) : (
              tile.value
            )}
          </dd>
          {tile.detail !== undefined && <dd className={styles.detail}>{tile.detail}</dd>}
        </div>
      ))}
    </dl>
  );
}

/** An error in place of a number, with its retry. */
export function TileError({ message, onRetry }: { message: string; onRetry: () => void }) {
  return (
    <span className={styles.error} role="alert">
      {message}{' '}
      <button type="button" className="button-link" onClick={onRetry}>
        Try again
      </button>
    </span>
  );
}
