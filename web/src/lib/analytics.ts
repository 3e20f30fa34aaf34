// Figures the overview derives from the analytics answers (pure; unit-tested).

import type { Bucket, VolumePoint } from '../api';

/** How far along its life an order in each status got (cancelled and failed: not past placing). */
const STAGE_OF: Record<string, number> = {
  PENDING: 0, CONFIRMED: 0, SOURCING: 0, BACKORDERED: 0, FAILED: 0, CANCELLED: 0,
  SOURCED: 1, PICKING: 1, PACKING: 1,
  READY_TO_SHIP: 2, READY_FOR_PICKUP: 2,
  SHIPPED: 3, PARTIALLY_SHIPPED: 3, OUT_FOR_DELIVERY: 3, PARTIALLY_DELIVERED: 3,
  DELIVERED: 4, PICKED_UP: 4, PARTIALLY_RETURNED: 4, RETURNED: 4, REFUNDED: 4,
};
export const FUNNEL_STAGES = ['Placed', 'Sourced', 'Packed', 'Shipped', 'Delivered'] as const;

export interface FunnelStep {
  stage: string;
  orders: number;
  /** share of the placed orders that reached this stage (0..1; null with no orders) */
  share: number | null;
}

/** The status funnel: for each stage, the orders that reached it or went past it. */
export function funnel(byStatus: Record<string, number>): FunnelStep[] {
  const reached = FUNNEL_STAGES.map(() => 0);
  for (const [status, n] of Object.entries(byStatus)) {
    const stage = STAGE_OF[status] ?? 0;
    for (let i = 0; i <= stage; i++) reached[i] += n;
  }
  const placed = reached[0];
  return FUNNEL_STAGES.map((stage, i) => ({ stage, orders: reached[i], share: placed ? reached[i] / placed : null }));
}

export interface Share {
  key: string;
  orders: number;
  revenue: number;
  share: number;
}

/** Buckets (by channel, by fulfilment type) sorted by orders, with each one's share of orders. */
export function shares(buckets: Record<string, Bucket>): Share[] {
  const rows = Object.entries(buckets).map(([key, b]) => ({ key, orders: b.orders, revenue: Number(b.revenue) || 0 }));
  const total = rows.reduce((s, r) => s + r.orders, 0);
  return rows
    .map((r) => ({ ...r, share: total ? r.orders / total : 0 }))
    .sort((a, b) => b.orders - a.orders || a.key.localeCompare(b.key));
}

/** A nice upper bound for an axis: 1, 2, 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= max) return step * power;
  }
  return 10 * power;
}

export function totalOrders(series: VolumePoint[]): number {
  return series.reduce((s, p) => s + p.orders, 0);
}
