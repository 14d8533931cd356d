import Link from 'next/link';
import styles from './users.module.css';

export function UserGroupsCard({
  groups,
  isAdmin,
}: {
  groups: { id: string; name: string }[];
  isAdmin: boolean;
}) {
  return (
    <section className="card" aria-labelledby="user-groups">
      <div className={styles.sectionHeader}>
        <h2 id="user-groups">Groups</h2>
      </div>
      {groups.length === 0 ? (
        <p className="muted">
          Not in any group.
          {isAdmin && (
            <>
              {' '}
              Add them to one on the <Link href="/groups">Groups</Link> page.
            </>
          )}
        </p>
      ) : (
        <ul className={styles.plainList}>
          {groups.map((group) => (
            <li key={group.id}>
              <Link href={`/groups/${encodeURIComponent(group.id)}`}>{group.name}</Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
