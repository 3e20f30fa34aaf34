// Types of issue 12's areas (CONTRACT.md): tenants, users, invitations, the tenant's workflow,
// branding, the customer catalog and timeline, email preferences and the local mailbox.

export interface Tenant {
  id: string;
  name: string;
  slug: string;
  status: 'ACTIVE' | 'SUSPENDED';
  admin_email: string;
  created_at: string;
  invitation_token?: string;
}

export type UserRole = 'SUPERADMIN' | 'USER' | 'CUSTOMER';
export const USER_ROLES: UserRole[] = ['SUPERADMIN', 'USER', 'CUSTOMER'];

export interface User {
  id: string;
  email: string;
  name: string;
  role: string;
  active: boolean;
  tenant_id: string;
  created_at: string;
  invited: boolean;
  invitation_token?: string;
}

export interface ResetToken {
  user_id?: string;
  reset_token?: string;
  token?: string;
  expires_at?: string;
}

// ------------------------------------------------------------------ workflow
export interface WorkflowStatus {
  code: string;
  name: string;
  color: string;
  phase: string;
  /** in GET /workflow; GET /workflow/statuses (the badges) leaves it out */
  anchor?: boolean;
  terminal: boolean;
}
export interface Transition {
  from: string;
  to: string;
}
export type ActionType = 'email' | 'webhook' | 'adjust_inventory';
export const ACTION_TYPES: ActionType[] = ['email', 'webhook', 'adjust_inventory'];
export interface WorkflowAction {
  id: string;
  status: string;
  type: ActionType;
  config: Record<string, string>;
}
export interface Workflow {
  version: number;
  statuses: WorkflowStatus[];
  transitions: Transition[];
  actions: WorkflowAction[];
  updated_at?: string | null;
  updated_by?: string | null;
}
export type WorkflowBody = Pick<Workflow, 'statuses' | 'transitions' | 'actions'>;
/** PUT /workflow: the document and the version it was edited from (else 409 workflow_changed). */
export type WorkflowPut = WorkflowBody & { expected_version?: number };
export interface WorkflowVersion {
  version: number;
  updated_at?: string | null;
  updated_by?: string | null;
  statuses?: number | WorkflowStatus[];
}
/** One problem of a 422 `invalid_workflow` (details). */
export interface WorkflowProblem {
  problem: string;
  status?: string | null;
  message: string;
  transition?: Transition | null;
  action_id?: string | null;
}
export const EMAIL_TEMPLATES = [
  'order_confirmation', 'order_shipped', 'order_delivered', 'order_cancelled', 'invitation', 'password_reset',
] as const;

// ------------------------------------------------------------------ branding
export interface Branding {
  shop_name: string;
  logo_url?: string | null;
  primary_color?: string | null;
  accent_color?: string | null;
  email_sender_name?: string | null;
  support_email?: string | null;
  slug?: string | null;
}

// ------------------------------------------------------------------ customers
export interface CatalogItem {
  sku: string;
  name: string;
  description?: string | null;
  price: string;
  currency: string;
  in_stock: boolean;
}
export interface TimelineEntry {
  type?: string;
  status_code?: string | null;
  phase?: string | null;
  status?: string | null;
  at: string;
  carrier?: string | null;
  tracking_number?: string | null;
}
export interface TimelineShipment {
  carrier: string;
  tracking_number: string;
  shipped_at?: string | null;
  delivered_at?: string | null;
}
export interface OrderTimeline {
  order_id?: string;
  status_code?: string | null;
  phase?: string | null;
  statuses?: TimelineEntry[];
  events?: TimelineEntry[];
  status_changes?: TimelineEntry[];
  items?: TimelineEntry[];
  shipments?: TimelineShipment[];
}
export interface EmailPreferences {
  order_emails: boolean;
}

// ------------------------------------------------------------------ local mailbox
export interface MailMessage {
  id: string;
  to: string | string[];
  from: string;
  subject: string;
  html?: string | null;
  text?: string | null;
  sent_at: string | null;
}
