// Stock alerts (GET /inventory/alerts, issue 13) and the Shopify stock sync of a connector.

import { client, seg, type Query } from '../api';
import type { Connector } from './types-admin';
import type * as T from './types-returns';

export type { AlertKind, AlertPage, AlertState, StockAlert, StockSyncChange, StockSyncStatus } from './types-returns';
export { ALERT_KINDS, ALERT_STATES } from './types-returns';

export interface AlertFilters extends Query {
  state?: string;
  kind?: string;
  node_id?: string;
  sku?: string;
  limit?: number;
  cursor?: string;
}

export const alerts = {
  list: (q: AlertFilters = {}, signal?: AbortSignal) => client.get<T.AlertPage>('/inventory/alerts', q, signal),
  /** The OPEN count for the navigation badge: one item asked for, the counts read. */
  openCount: async (): Promise<number> => {
    const page = await client.get<T.AlertPage>('/inventory/alerts', { state: 'OPEN', limit: 1 });
    return (Number(page?.counts?.low_stock) || 0) + (Number(page?.counts?.out_of_stock) || 0);
  },
};

export const stockSync = {
  status: (connectorId: string) => client.get<T.StockSyncStatus>(`/connectors/${seg(connectorId)}/stock-sync`),
  /** 202: one reconciliation runs now. */
  reconcile: (connectorId: string) =>
    client.post<Record<string, unknown> | null>(`/connectors/${seg(connectorId)}/stock-sync/reconcile`, {}),
  /** PATCH /connectors/{id} with `config` (merged into the stored config on the server). */
  configure: (connectorId: string, config: { location_map?: Record<string, string>; sync_inventory?: boolean }) =>
    client.patch<Connector>(`/connectors/${seg(connectorId)}`, { config }),
};
