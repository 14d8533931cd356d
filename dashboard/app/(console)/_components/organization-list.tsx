import type { OrgMembershipView } from '@portcullis/shared/auth';

export function OrganizationList({ organizations }: { organizations: OrgMembershipView[] }) {
  if (organizations.length === 0) {
    return <p className="muted">You are not a member of any organization yet.</p>;
  }
  return (
    <ul className="org-list">
      {organizations.map((org) => (
        <li key={org.id} className="org-item">
          <span className="org-name">{org.name}</span>
          <span className={`badge badge-${org.role}`}>{org.role}</span>
        </li>
      ))}
    </ul>
  );
}
