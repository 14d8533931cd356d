import Link from 'next/link';
import { StatusDot } from '@/components/ui/status-dot';
import type { MemberDetail } from '@/lib/api/users';
import { formatNumber, formatRelative } from '@/lib/format';
import styles from './users.module.css';

/** The member's keys in this organization; each links to the keys page filtered to it. */
export function UserKeysCard({ member, isSelf }: { member: MemberDetail; isSelf: boolean }) {
  const keys = member.keys.data;
  return (
    <section className="card" aria-labelledby="user-keys">
      <div className={styles.sectionHeader}>
        <h2 id="user-keys">API keys</h2>
        {keys.length > 0 && (
          <span className="muted">
            {formatNumber(keys.length)}
            {member.keys.nextCursor ? '+' : ''}
          </span>
        )}
      </div>
      {keys.length === 0 ? (
        <p className="muted">
          No API keys.{' '}
          {isSelf ? (
            <>
              Create one on the <Link href="/keys">API keys</Link> page.
            </>
          ) : (
            <>
              They can create their own, or an admin can create one for them on the{' '}
              <Link href="/keys">API keys</Link> page.
            </>
          )}
        </p>
      ) : (
        <div className={`table-wrap ${styles.tableWrap}`}>
          <table className="table">
            <caption className="visually-hidden">API keys of {member.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Status</th>
                <th scope="col">Last used</th>
                <th scope="col" className="num">
                  Requests
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id}>
                  <td>
                    <Link href={`/keys?search=${encodeURIComponent(key.prefix)}`}>{key.name}</Link>
                  </td>
                  <td className="mono">{key.prefix}…</td>
                  <td>
                    <StatusDot status={key.status} />
                  </td>
                  <td>{formatRelative(key.lastUsedAt)}</td>
                  <td className="num">{formatNumber(key.requestCount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
