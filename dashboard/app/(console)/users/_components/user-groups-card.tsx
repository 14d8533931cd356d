import Link from 'next/link';
import { SectionCard } from '@/components/ui/section-card';
import styles from './users.module.css';

export function UserGroupsCard({
  groups,
  isAdmin,
}: {
  groups: { id: string; name: string }[];
  isAdmin: boolean;
}) {
  return (
    <SectionCard id="user-groups" title="Groups">
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
    </SectionCard>
  );
}
