// The typed calls of returns, refunds and the return policy (issue 13, CONTRACT.md). Kept apart
// from api.ts so only the pages that use them (lazy chunks) carry them.

import { client, seg, type Query } from '../api';
import type { Page } from './types';
import type * as T from './types-returns';

export type * from './types-returns';
export { RECEIPT_CONDITIONS, REFUND_SHIPPING, RETURN_REASONS, RETURN_RESOLUTIONS, RETURN_STATUSES } from './types-returns';

export interface ReturnFilters extends Query {
  status?: string;
  order_id?: string;
  resolution?: string;
  created_from?: string;
  created_to?: string;
  limit?: number;
  cursor?: string;
}

export const returns = {
  list: (q: ReturnFilters = {}, signal?: AbortSignal) => client.get<Page<T.Return>>('/returns', q, signal),
  get: (id: string) => client.get<T.Return>(`/returns/${seg(id)}`),
  ofOrder: (orderId: string) => client.get<Page<T.Return>>(`/orders/${seg(orderId)}/returns`),
  /** POST with an Idempotency-Key: a retry with the same key answers the same return. */
  create: (orderId: string, body: T.ReturnCreate, idempotencyKey: string) =>
    client.post<T.Return>(`/orders/${seg(orderId)}/returns`, body, { headers: { 'Idempotency-Key': idempotencyKey } }),
  approve: (id: string, note?: string) => client.post<T.Return>(`/returns/${seg(id)}/approve`, note ? { note } : {}),
  reject: (id: string, reason: string) => client.post<T.Return>(`/returns/${seg(id)}/reject`, { reason }),
  /** With an Idempotency-Key: a retried receipt takes effect once. */
  receive: (id: string, body: T.ReturnReceipt, idempotencyKey: string) =>
    client.post<T.Return>(`/returns/${seg(id)}/receive`, body, { headers: { 'Idempotency-Key': idempotencyKey } }),
  /** Settles a received return: a refund (REFUND) or a store credit (STORE_CREDIT); idempotent on
   * the server (a repeat answers the same settlement). */
  refund: (id: string) => client.post<T.Return>(`/returns/${seg(id)}/refund`, {}),
};

export const returnPolicy = {
  get: () => client.get<T.ReturnPolicy>('/return-policy'),
  save: (body: T.ReturnPolicyFields) => client.request<T.ReturnPolicy>('PUT', '/return-policy', { body }),
};
