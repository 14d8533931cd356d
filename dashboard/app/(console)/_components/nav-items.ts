export interface NavItem {
  href: string;
  label: string;
  /** Members do not see it in the menu, and the page itself tells them it is for admins. */
  adminOnly: boolean;
}

export const NAV_ITEMS: readonly NavItem[] = [
  { href: '/keys', label: 'API keys', adminOnly: false },
  { href: '/users', label: 'Users', adminOnly: true },
  { href: '/groups', label: 'Groups', adminOnly: false },
  { href: '/providers', label: 'Provider credentials', adminOnly: true },
  { href: '/models', label: 'Models', adminOnly: false },
  { href: '/mcp-servers', label: 'MCP servers', adminOnly: false },
  { href: '/gateways', label: 'Gateways', adminOnly: true },
  { href: '/usage', label: 'Usage', adminOnly: false },
  { href: '/audit', label: 'Audit log', adminOnly: true },
  { href: '/webhooks', label: 'Webhooks', adminOnly: true },
  { href: '/account', label: 'Your account', adminOnly: false },
];
