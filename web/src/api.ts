// The typed API of Cirrus OMS as the dashboard uses it: one function per call, over ApiClient.
// Same origin, relative paths; the token comes from the session store; a 401 ends the session.

import { ApiClient, ApiError, seg, type Query } from './api/client';
import type * as T from './api/types';
import { SessionStore } from './session';

export * from './api/client';
export type * from './api/types';
export {
  CHANNELS, CONDITION_FIELDS, FULFILLMENT_TYPES, FULFILMENT_EVENT_TYPES, LEARNING_JOBS, MANUAL_REASONS, OPERATORS,
  ORDER_STATUSES, PICKUP_TYPES, PROPOSAL_STATUSES, STRATEGIES,
} from './api/types';

export const session = new SessionStore();

type UnauthorizedHandler = (err: ApiError) => void;
let unauthorized: UnauthorizedHandler = () => undefined;
/** Who hears about a 401 (the auth provider: it clears the session and shows the login page). */
export function onUnauthorized(handler: UnauthorizedHandler): void {
  unauthorized = handler;
}

export const client = new ApiClient({
  getToken: () => session.token(),
  onUnauthorized: (err) => {
    session.clear();
    unauthorized(err);
  },
});

/** A fresh key for a create request: the same key on a retry makes the API answer it once. */
export function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `ui-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

// ------------------------------------------------------------------ auth and health
export const auth = {
  login: (email: string, password: string) =>
    client.request<T.LoginResponse>('POST', '/auth/login', { body: { email, password }, anonymous: true }),
  me: () => client.get<T.Me>('/auth/me'),
};

export const system = {
  health: () => client.request<T.Health>('GET', '/health', { anonymous: true }),
  deepHealth: () => client.request<T.Health>('GET', '/health', { query: { deep: 1 }, acceptStatuses: [503] }),
};

// ------------------------------------------------------------------ orders
export interface OrderListQuery extends Query {
  status?: string;
  channel?: string;
  customer_email?: string;
  created_from?: string;
  created_to?: string;
  limit?: number;
  cursor?: string;
}

export const orders = {
  list: (q: OrderListQuery = {}, signal?: AbortSignal) => client.get<T.Page<T.OrderSummary>>('/orders', q, signal),
  get: (id: string) => client.get<T.Order>(`/orders/${seg(id)}`),
  create: (body: T.OrderCreate, idempotencyKey: string) =>
    client.post<T.Order>('/orders', body, { headers: { 'Idempotency-Key': idempotencyKey } }),
  events: (id: string, cursor?: string | null, limit = 50) =>
    client.get<T.Page<T.AuditEvent>>(`/orders/${seg(id)}/events`, { limit, cursor: cursor ?? undefined }),
  sourcing: (id: string) => client.get<T.Listed<T.SourcingDecision>>(`/orders/${seg(id)}/sourcing`),
  resource: (id: string) => client.post<Record<string, unknown>>(`/orders/${seg(id)}/sourcing`),
  cancel: (id: string, reason?: string) => client.post<T.Order>(`/orders/${seg(id)}/cancel`, reason ? { reason } : {}),
  fulfilment: (id: string, event: T.FulfilmentEvent) =>
    client.post<T.FulfilmentResult>(`/orders/${seg(id)}/fulfillment-events`, event),
};

// ------------------------------------------------------------------ search and analytics
export interface OrderSearchQuery extends Query {
  q?: string;
  status?: string;
  channel?: string;
  fulfillment_type?: string;
  from_date?: string;
  to_date?: string;
  min_amount?: string;
  max_amount?: string;
  sort?: string;
  limit?: number;
  cursor?: string;
}
export const search = {
  orders: (q: OrderSearchQuery, signal?: AbortSignal) =>
    client.get<T.SearchResult<T.OrderHit>>('/search/orders', q, signal),
  products: (body: { query?: string; category?: string; min_price?: string; max_price?: string; active?: boolean; limit?: number; cursor?: string }) =>
    client.post<T.SearchResult<T.Product>>('/search/products', body),
};

export const analytics = {
  dashboard: (from_date?: string, to_date?: string) =>
    client.get<T.Dashboard>('/analytics/dashboard', { from_date, to_date }),
  volume: (days: number) => client.get<T.Volume>('/analytics/orders/volume', { days }),
};

// ------------------------------------------------------------------ network, stock, catalog
export const nodes = {
  list: () => client.get<T.Listed<T.Node>>('/nodes'),
  capacity: (id: string) => client.get<T.NodeCapacity>(`/nodes/${seg(id)}/capacity`),
  update: (id: string, body: Partial<Pick<T.Node, 'status' | 'daily_order_capacity' | 'name'>>) =>
    client.patch<T.Node>(`/nodes/${seg(id)}`, body),
};

export const inventory = {
  list: (q: { node_id?: string; sku?: string; low_stock?: boolean; limit?: number; cursor?: string }) =>
    client.get<T.Page<T.InventoryItem>>('/inventory', q),
  products: (q: { search?: string; node_id?: string; low_stock?: boolean; limit?: number; cursor?: string }) =>
    client.get<T.Page<T.ProductStock>>('/inventory/products', q),
  adjust: (itemId: string, body: { delta: number; reason: string; note?: string }) =>
    client.post<{ item: T.InventoryItem; adjustment: Record<string, unknown> }>(`/inventory/${seg(itemId)}/adjust`, body),
  transfer: (body: { sku: string; from_node_id: string; to_node_id: string; quantity: number; note?: string }) =>
    client.post<Record<string, unknown>>('/inventory/transfer', body),
  patchProduct: (sku: string, body: { reorder_level?: number }) =>
    client.patch<T.ProductStock>(`/inventory/products/${seg(sku)}`, body),
};

export const catalog = {
  products: (q: { category?: string; active?: boolean; limit?: number; cursor?: string }) =>
    client.get<T.Page<T.Product>>('/products', q),
  createProduct: (body: Partial<T.Product>) => client.post<T.Product>('/products', body),
  deleteProduct: (sku: string) => client.del<T.Product>(`/products/${seg(sku)}`),
  categories: () => client.get<{ items: T.Category[] }>('/product-categories'),
  createCategory: (body: { name: string; description?: string; attribute_schema: Record<string, unknown> }) =>
    client.post<T.Category>('/product-categories', body),
};

// ------------------------------------------------------------------ sourcing rules
export const rules = {
  list: () => client.get<T.Listed<T.Rule>>('/sourcing-rules'),
  create: (body: T.RuleFields) => client.post<T.Rule>('/sourcing-rules', body),
  update: (id: string, body: Partial<T.RuleFields>) => client.patch<T.Rule>(`/sourcing-rules/${seg(id)}`, body),
  toggle: (id: string) => client.post<T.Rule>(`/sourcing-rules/${seg(id)}/toggle`),
  remove: (id: string) => client.del<null>(`/sourcing-rules/${seg(id)}`),
  evaluate: (body: { order_id?: string; order?: T.OrderCreate; rule?: T.RuleFields }) =>
    client.post<T.Evaluation>('/sourcing-rules/evaluate', body),
};

// ------------------------------------------------------------------ integrations
export const webhooks = {
  endpoints: () => client.get<T.Listed<T.WebhookEndpoint>>('/webhooks/endpoints'),
  create: (body: { url: string; event_types: string[]; description?: string; active?: boolean }) =>
    client.post<T.WebhookEndpoint>('/webhooks/endpoints', body),
  update: (id: string, body: Partial<{ url: string; event_types: string[]; description: string; active: boolean }>) =>
    client.patch<T.WebhookEndpoint>(`/webhooks/endpoints/${seg(id)}`, body),
  remove: (id: string) => client.del<null>(`/webhooks/endpoints/${seg(id)}`),
  rotate: (id: string) => client.post<T.WebhookEndpoint>(`/webhooks/endpoints/${seg(id)}/rotate-secret`),
  test: (id: string) => client.post<Record<string, unknown>>(`/webhooks/endpoints/${seg(id)}/test`),
  deliveries: (q: { endpoint_id?: string; status?: string; limit?: number; cursor?: string }) =>
    client.get<T.Page<T.WebhookDelivery>>('/webhooks/events', q),
  retry: (deliveryId: string) => client.post<T.WebhookDelivery>(`/webhooks/events/${seg(deliveryId)}/retry`),
};

export const connectors = {
  list: () => client.get<T.Listed<T.Connector>>('/connectors'),
  create: (body: { type: string; name: string; direction?: string; config: Record<string, unknown>; active?: boolean }) =>
    client.post<T.Connector>('/connectors', body),
  toggle: (id: string) => client.post<T.Connector>(`/connectors/${seg(id)}/toggle`),
  test: (id: string) => client.post<Record<string, unknown>>(`/connectors/${seg(id)}/test`),
  remove: (id: string) => client.del<null>(`/connectors/${seg(id)}`),
  events: (id: string, cursor?: string | null) =>
    client.get<T.Page<T.ConnectorEvent>>(`/connectors/${seg(id)}/events`, { limit: 20, cursor: cursor ?? undefined }),
};

export const apiKeys = {
  list: () => client.get<T.Listed<T.ApiKey>>('/api-keys'),
  create: (name: string) => client.post<T.ApiKey>('/api-keys', { name }),
  revoke: (id: string) => client.del<null>(`/api-keys/${seg(id)}`),
};

// ------------------------------------------------------------------ operations
export const ops = {
  dlqs: () => client.get<T.Listed<T.DeadLetterQueue>>('/ops/dlq'),
  replay: (queue: string) => client.post<T.ReplayResult>(`/ops/dlq/${seg(queue)}/replay`),
  taskLog: (cursor?: string | null, limit = 25, tenant?: string) =>
    client.get<T.Page<T.TaskRun>>('/ops/task-log', { limit, cursor: cursor ?? undefined, tenant }),
  runJob: (name: string) => client.post<T.JobRun>(`/ops/jobs/${seg(name)}/run`),
};

// ------------------------------------------------------------------ architect
export const architect = {
  proposals: (status?: string) => client.get<T.Listed<T.Proposal>>('/architect/proposals', { status }),
  approve: (id: string) => client.post<T.Proposal>(`/architect/proposals/${seg(id)}/approve`),
  reject: (id: string, reason: string) => client.post<T.Proposal>(`/architect/proposals/${seg(id)}/reject`, { reason }),
  apply: (id: string) => client.post<T.Proposal>(`/architect/proposals/${seg(id)}/apply`),
  rollback: (id: string, reason?: string) =>
    client.post<T.Proposal>(`/architect/proposals/${seg(id)}/rollback`, reason ? { reason } : {}),
  chat: (message: string) =>
    client.post<{ proposal: T.Proposal; reply: string }>('/architect/chat', { message }),
  patterns: () => client.get<T.Patterns>('/architect/patterns'),
  experiments: () => client.get<T.Listed<T.Experiment>>('/architect/experiments'),
  createExperiment: (body: T.ExperimentFields) => client.post<T.Experiment>('/architect/experiments', body),
  pause: (id: string) => client.post<T.Experiment>(`/architect/experiments/${seg(id)}/pause`),
  resume: (id: string) => client.post<T.Experiment>(`/architect/experiments/${seg(id)}/resume`),
  results: (id: string) => client.get<T.ExperimentResults>(`/architect/experiments/${seg(id)}/results`),
  nodePerformance: (period_days: number) =>
    client.get<T.NodePerformance>('/architect/node-performance', { period_days }),
  aiPerformance: (period_days: number) =>
    client.get<T.AiPerformance>('/architect/ai-sourcing/performance', { period_days }),
};
