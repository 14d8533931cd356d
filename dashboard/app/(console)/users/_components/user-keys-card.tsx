import Link from 'next/link';
import { ResourceTable } from '@/components/ui/resource-table';
import { SectionCard } from '@/components/ui/section-card';
import { StatusDot } from '@/components/ui/status-dot';
import type { MemberDetail } from '@/lib/api/users';
import { formatNumber, formatRelative } from '@/lib/format';

/** The member's keys in this organization; each links to the keys page filtered to it. */
export function UserKeysCard({ member, isSelf }: { member: MemberDetail; isSelf: boolean }) {
  const keys = member.keys.data;
  return (
    <SectionCard
      id="user-keys"
      title="API keys"
      actions={
        keys.length > 0 && (
          <span className="muted">
            {formatNumber(keys.length)}
            {member.keys.nextCursor ? '+' : ''}
          </span>
        )
      }
    >
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
        <ResourceTable
          caption={<>API keys of {member.name}</>}
          columns={[
            'Name',
            'Key',
            'Status',
            'Last used',
            { key: 'Requests', label: 'Requests', className: 'num' },
          ]}
        >
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
        </ResourceTable>
      )}
    </SectionCard>
  );
}
