'use client';

import type { OrgMembershipView as Membership, PublicUser as User } from '@portcullis/shared/auth';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';

const STORAGE_KEY = 'portcullis.orgId';

export interface OrgContextValue {
  user: User;
  organizations: Membership[];
  /** The organization every console page works in; null when the user belongs to none. */
  org: Membership | null;
  isAdmin: boolean;
  switchOrg: (orgId: string) => void;
}

const OrgContext = createContext<OrgContextValue | null>(null);

const storedOrgId = (): string | null => {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
};

/** Holds the signed-in user and the chosen organization (remembered per browser). */
export function OrgProvider({
  user,
  organizations,
  children,
}: {
  user: User;
  organizations: Membership[];
  children: ReactNode;
}) {
  // Rendered only after /me answered, in the browser, so reading storage here cannot break hydration.
  const [selectedId, setSelectedId] = useState<string | null>(storedOrgId);
  const switchOrg = useCallback((orgId: string) => {
    setSelectedId(orgId);
    try {
      window.localStorage.setItem(STORAGE_KEY, orgId);
    } catch {
      // Private windows may refuse storage; the choice then lasts for this page only.
    }
  }, []);

  const value = useMemo<OrgContextValue>(() => {
    const org = organizations.find((o) => o.id === selectedId) ?? organizations[0] ?? null;
    return { user, organizations, org, isAdmin: org?.role === 'admin', switchOrg };
  }, [user, organizations, selectedId, switchOrg]);

  return <OrgContext.Provider value={value}>{children}</OrgContext.Provider>;
}

export const useOrgContext = (): OrgContextValue => {
  const value = useContext(OrgContext);
  if (!value) throw new Error('useOrgContext must be used inside the console layout');
  return value;
};

/** For pages that need an organization: the console shows a notice instead of them when there is none. */
export const useOrg = (): OrgContextValue & { org: Membership } => {
  const value = useOrgContext();
  if (!value.org) throw new Error('useOrg needs an organization');
  return value as OrgContextValue & { org: Membership };
};
