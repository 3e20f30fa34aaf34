// A fake of the API's HTTP answers for component tests: routes by method and path, records calls.

import { vi } from 'vitest';

export type Handler = (init: RequestInit & { url: string }) => { status: number; body?: unknown } | Promise<{ status: number; body?: unknown }>;

export function fakeApi(routes: Record<string, Handler>) {
  const calls: { method: string; url: string; headers: Record<string, string>; body: unknown }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const method = (init.method ?? 'GET').toUpperCase();
    const path = url.split('?')[0];
    const headers = (init.headers ?? {}) as Record<string, string>;
    calls.push({ method, url, headers, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const handler = routes[`${method} ${path}`];
    const answer = handler
      ? await handler({ ...init, url })
      : { status: 404, body: { error: { code: 'route_not_found', message: `No route for ${path}`, details: null } } };
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'Content-Type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}

export const DASHBOARD = {
  from_date: '2026-11-01', to_date: '2026-11-30', currency: 'USD', orders: 1234, revenue: '56789.50',
  average_order_value: '46.02', by_channel: { WEB: { orders: 1000, revenue: '40000.00' }, API: { orders: 234, revenue: '16789.50' } },
  by_fulfillment_type: { SHIP_TO_HOME: { orders: 1234, revenue: '56789.50' } }, by_status: { DELIVERED: 1200, CANCELLED: 34 },
  top_nodes: [], split_rate: 0.12, backorder_rate: 0.031, on_time_delivery_rate: 0.955, delivered: 1200, cancelled: 34,
  inventory_alerts: { low_stock: 3, out_of_stock: 1, items: [] },
};
