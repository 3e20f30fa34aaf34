// The typed calls of issue 11's areas: SLA radar, exceptions, SLA policies, Invoice Guard.
// Kept apart from api.ts so only the pages that use them (lazy chunks) carry them.

import { client, seg, type Query } from '../api';
import type * as T from './types';

export interface ExceptionFilters extends Query {
  label?: string;
  severity?: string;
  status?: string;
  order_ref?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

export const sla = {
  radar: () => client.get<T.Radar>('/sla/radar'),
  timeline: (orderRef: string) => client.get<T.OrderTimeline>(`/sla/orders/${seg(orderRef)}/timeline`),
  policies: () => client.get<T.Listed<T.SlaPolicy>>('/sla/policies'),
  policy: (id: string) => client.get<T.SlaPolicy>(`/sla/policies/${seg(id)}`),
  createPolicy: (body: T.SlaPolicyFields) => client.post<T.SlaPolicy>('/sla/policies', body),
  /** PATCH with the version the form was read at (a concurrent edit answers 409). */
  updatePolicy: (id: string, body: Partial<T.SlaPolicyFields>, expectedVersion: number) =>
    client.patch<T.SlaPolicy>(`/sla/policies/${seg(id)}`, { ...body, expected_version: expectedVersion }),
};

export const exceptions = {
  list: (q: ExceptionFilters = {}, signal?: AbortSignal) => client.get<T.Page<T.SlaException>>('/exceptions', q, signal),
  get: (id: string) => client.get<T.SlaException>(`/exceptions/${seg(id)}`),
  acknowledge: (id: string) => client.post<T.SlaException>(`/exceptions/${seg(id)}/acknowledge`, {}),
  resolve: (id: string, note: string) => client.post<T.SlaException>(`/exceptions/${seg(id)}/resolve`, { note }),
};

export interface InvoiceFilters extends Query {
  status?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

export const billing = {
  invoices: (q: InvoiceFilters = {}, signal?: AbortSignal) => client.get<T.Page<T.Invoice>>('/invoices', q, signal),
  invoice: (id: string) => client.get<T.Invoice>(`/invoices/${seg(id)}`),
  csv: (id: string) => client.blob(`/invoices/${seg(id)}.csv`),
  approve: (invoiceId: string, adjustmentId: string) =>
    client.post<Record<string, unknown>>(`/invoices/${seg(invoiceId)}/adjustments/${seg(adjustmentId)}/approve`),
  reject: (invoiceId: string, adjustmentId: string) =>
    client.post<Record<string, unknown>>(`/invoices/${seg(invoiceId)}/adjustments/${seg(adjustmentId)}/reject`),
  tariffs: () => client.get<T.Listed<T.Tariff>>('/billing/tariffs'),
};
