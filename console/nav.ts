/**
 * The console's navigation: one row per page, shown to the roles whose permission it needs. A page
 * that does not exist has no row (no dead links). A new page: a row here, a route file under
 * console/routes/ listed in console/plugin.ts, a `nav.*` and `home.card.*` message in both catalogues,
 * and its browser test under test/console/. The order is the order of a counsellor's day.
 */
import { can, type Permission } from '../services/platform/access.ts';
import type { Role } from '../services/platform/roles.ts';

export interface NavItem {
  href: string;
  /** `nav.<key>` is the link text, `home.card.<key>` the sentence on the home page. */
  key: string;
  permission: Permission;
}

export const NAV: readonly NavItem[] = [
  { href: '/cases', key: 'cases', permission: 'case.codes' },
  { href: '/cases/new', key: 'openCase', permission: 'case.create' },
  { href: '/review', key: 'review', permission: 'alert.read' },
  { href: '/notices', key: 'notices', permission: 'notice.read' },
  { href: '/platform/notices', key: 'platformNotices', permission: 'notice.respond' },
  { href: '/audit', key: 'audit', permission: 'audit.read' },
  { href: '/users', key: 'users', permission: 'user.manage' },
  { href: '/configuration', key: 'configuration', permission: 'config.read' },
  // (platforms and statistics go here)
  { href: '/sites', key: 'sites', permission: 'site.read' },
  { href: '/platforms', key: 'platforms', permission: 'platform.read' },
  { href: '/statistics', key: 'statistics', permission: 'stats.read' },
];

export function navFor(role: Role): NavItem[] {
  return NAV.filter((n) => can(role, n.permission));
}
