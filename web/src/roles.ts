// Which role may do what, mirroring the API's route table (tests/component/test_route_roles.py):
// PLATFORM_OWNER > SUPERADMIN > USER. The UI offers only what the API admits the role to do.

import type { Role } from './api';

// CUSTOMER (rank 0, like an integration key) never reaches the dashboard: it is sent to its portal.
const RANK: Record<Role, number> = { PLATFORM_OWNER: 3, SUPERADMIN: 2, USER: 1, CUSTOMER: 0, INTEGRATION: 0 };

export function atLeast(role: Role | null | undefined, minimum: Role): boolean {
  if (!role) return false;
  return RANK[role] >= RANK[minimum];
}

export interface Abilities {
  /** SUPERADMIN and up: warehouse/carrier steps, stock, nodes, rules, catalog writes, integrations, architect. */
  admin: boolean;
  /** PLATFORM_OWNER: dead-letter queues and their replay. */
  owner: boolean;
  /** Every person: read, search, create and cancel their own orders, dry-run rules. */
  user: boolean;
}

export function abilities(role: Role | null | undefined): Abilities {
  return { admin: atLeast(role, 'SUPERADMIN'), owner: atLeast(role, 'PLATFORM_OWNER'), user: atLeast(role, 'USER') };
}

export interface NavItem {
  to: string;
  label: string;
  testid: string;
  minimum: Role;
  icon: string;
  /** shown only where the local cloud serves it (the mailbox: GET /local/mailbox answers) */
  localOnly?: boolean;
}

export const NAV: NavItem[] = [
  { to: '/', label: 'Overview', testid: 'nav-overview', minimum: 'USER', icon: '◎' },
  { to: '/orders', label: 'Orders', testid: 'nav-orders', minimum: 'USER', icon: '▤' },
  { to: '/inventory', label: 'Inventory', testid: 'nav-inventory', minimum: 'USER', icon: '▦' },
  { to: '/returns', label: 'Returns', testid: 'nav-returns', minimum: 'USER', icon: '↩' },
  { to: '/products', label: 'Products', testid: 'nav-products', minimum: 'USER', icon: '◈' },
  { to: '/nodes', label: 'Nodes', testid: 'nav-nodes', minimum: 'USER', icon: '⌂' },
  { to: '/rules', label: 'Sourcing rules', testid: 'nav-rules', minimum: 'USER', icon: '⇶' },
  { to: '/radar', label: 'SLA radar', testid: 'nav-radar', minimum: 'USER', icon: '◉' },
  { to: '/invoices', label: 'Invoices', testid: 'nav-invoices', minimum: 'USER', icon: '▧' },
  { to: '/integrations', label: 'Integrations', testid: 'nav-integrations', minimum: 'SUPERADMIN', icon: '⇄' },
  { to: '/operations', label: 'Operations', testid: 'nav-operations', minimum: 'SUPERADMIN', icon: '⚙' },
  { to: '/architect', label: 'Architect', testid: 'nav-architect', minimum: 'SUPERADMIN', icon: '✦' },
  { to: '/workflow', label: 'Workflow', testid: 'nav-workflow', minimum: 'SUPERADMIN', icon: '⤳' },
  { to: '/users', label: 'Users', testid: 'nav-users', minimum: 'SUPERADMIN', icon: '☺' },
  { to: '/branding', label: 'Branding', testid: 'nav-branding', minimum: 'SUPERADMIN', icon: '✎' },
  { to: '/mailbox', label: 'Mailbox', testid: 'nav-mailbox', minimum: 'SUPERADMIN', icon: '✉', localOnly: true },
  { to: '/tenants', label: 'Tenants', testid: 'nav-tenants', minimum: 'PLATFORM_OWNER', icon: '▣' },
];

export function navFor(role: Role | null | undefined, local = false): NavItem[] {
  if (role === 'CUSTOMER') return [];
  return NAV.filter((item) => atLeast(role, item.minimum) && (local || !item.localOnly));
}
