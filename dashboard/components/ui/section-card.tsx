import type { ReactNode } from 'react';
import styles from './section-card.module.css';

/** A titled card of a detail page: the `h2` names the section, `actions` sit on the title's right. */
export function SectionCard({
  id,
  title,
  actions,
  className,
  children,
}: {
  /** The heading's id, which labels the section. */
  id: string;
  title: ReactNode;
  actions?: ReactNode;
  className?: string;
  children: ReactNode;
}) {
  return (
    <section className={className ? `card ${className}` : 'card'} aria-labelledby={id}>
      <div className={styles.header}>
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}
