// The typed calls of issue 12's areas (CONTRACT.md): tenants, users, invitations and passwords,
// the tenant's workflow, branding, the customer catalog and timeline, email preferences, the local
// mailbox. Kept apart from api.ts so only the pages that use them (lazy chunks) carry them.

import { client, seg } from '../api';
import type { Listed, LoginResponse, Order, OrderCreate, OrderSummary, Page } from './types';
import type * as T from './types-tenancy';

export type * from './types-tenancy';
export { ACTION_TYPES, EMAIL_TEMPLATES, USER_ROLES } from './types-tenancy';

/** A list the API answers as `{"items": [...]}` (or another one-list object, or a bare array). */
export function listOf<X>(answer: unknown, ...keys: string[]): X[] {
  if (Array.isArray(answer)) return answer as X[];
  if (answer && typeof answer === 'object') {
    const obj = answer as Record<string, unknown>;
    for (const k of [...keys, 'items']) if (Array.isArray(obj[k])) return obj[k] as X[];
  }
  return [];
}

export const accounts = {
  acceptInvitation: (token: string, password: string) =>
    client.request<Record<string, unknown>>('POST', '/auth/accept-invitation', { body: { token, password }, anonymous: true }),
  resetPassword: (token: string, password: string) =>
    client.request<Record<string, unknown>>('POST', '/auth/reset-password', { body: { token, password }, anonymous: true }),
  /** Every other session ends; the answer is a fresh session (as a login). */
  changePassword: (current_password: string, new_password: string) =>
    client.post<LoginResponse>('/auth/password', { current_password, new_password }),
};

export const tenants = {
  list: () => client.get<Listed<T.Tenant>>('/tenants').then((a) => listOf<T.Tenant>(a, 'tenants')),
  create: (body: { name: string; slug: string; admin_email: string }) => client.post<T.Tenant>('/tenants', body),
  update: (id: string, body: { status?: 'ACTIVE' | 'SUSPENDED'; name?: string }) =>
    client.patch<T.Tenant>(`/tenants/${seg(id)}`, body),
};

export const users = {
  list: () => client.get<Listed<T.User>>('/users').then((a) => listOf<T.User>(a, 'users')),
  invite: (body: { email: string; name: string; role: string }) => client.post<T.User>('/users', body),
  update: (id: string, body: { role?: string; active?: boolean; name?: string }) => client.patch<T.User>(`/users/${seg(id)}`, body),
  remove: (id: string) => client.del<{ id: string; deleted: boolean }>(`/users/${seg(id)}`),
  resetPassword: (id: string) => client.post<T.ResetToken>(`/users/${seg(id)}/reset-password`),
};

export const workflow = {
  get: () => client.get<T.Workflow>('/workflow'),
  save: (body: T.WorkflowPut) => client.request<T.Workflow>('PUT', '/workflow', { body }),
  versions: () =>
    client.get<unknown>('/workflow/versions').then((a) => listOf<T.WorkflowVersion>(a, 'versions')),
  rollback: (version: number) => client.post<T.Workflow>('/workflow/rollback', { version }),
  statuses: () => client.get<unknown>('/workflow/statuses').then((a) => listOf<T.WorkflowStatus>(a, 'statuses')),
};

export const branding = {
  get: () => client.get<T.Branding>('/branding'),
  save: (body: T.Branding) => client.request<T.Branding>('PUT', '/branding', { body }),
  forSlug: (slug: string) => client.request<T.Branding>('GET', `/branding/${seg(slug)}`, { anonymous: true }),
};

export const shop = {
  catalog: () => client.get<unknown>('/catalog').then((a) => listOf<T.CatalogItem>(a)),
  orders: (cursor?: string) => client.get<Page<OrderSummary>>('/orders', { limit: 25, cursor }),
  order: (id: string) => client.get<Order>(`/orders/${seg(id)}`),
  place: (body: Partial<OrderCreate>, idempotencyKey: string) =>
    client.post<Order>('/orders', body, { headers: { 'Idempotency-Key': idempotencyKey } }),
  cancel: (id: string) => client.post<Order>(`/orders/${seg(id)}/cancel`, {}),
  timeline: (id: string) => client.get<T.OrderTimeline>(`/orders/${seg(id)}/timeline`),
  preferences: () => client.get<T.EmailPreferences>('/me/email-preferences'),
  savePreferences: (body: T.EmailPreferences) => client.request<T.EmailPreferences>('PUT', '/me/email-preferences', { body }),
  /** The link in an order email's footer (anonymous: the signed token names the shop and the address). */
  unsubscribe: (token: string) =>
    client.request<{ unsubscribed: boolean; order_emails: boolean }>('POST', '/email/unsubscribe', { body: { token }, anonymous: true }),
};

export const mailbox = {
  list: () => client.get<unknown>('/local/mailbox').then((a) => listOf<T.MailMessage>(a, 'messages')),
};
