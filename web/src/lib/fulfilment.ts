// The warehouse and carrier steps a person can send by hand for an order, as an integration would
// (POST /orders/{id}/fulfillment-events). Mirrors the API's lifecycle: which event applies from
// which status, for shipped and for picked-up orders.

import { PICKUP_TYPES, type FulfilmentEventType, type FulfillmentType, type OrderStatus } from '../api';

export interface Step {
  type: FulfilmentEventType;
  label: string;
  /** SHIPPED needs a carrier and a tracking number */
  needsTracking?: boolean;
}

export const SHIP_STEPS: Step[] = [
  { type: 'PICKING', label: 'Picked' },
  { type: 'PACKING', label: 'Packed' },
  { type: 'READY_TO_SHIP', label: 'Ready to ship' },
  { type: 'SHIPPED', label: 'Shipped', needsTracking: true },
  { type: 'OUT_FOR_DELIVERY', label: 'Out for delivery' },
  { type: 'DELIVERED', label: 'Delivered' },
];

export const PICKUP_STEPS: Step[] = [
  { type: 'PICKING', label: 'Picked' },
  { type: 'PACKING', label: 'Packed' },
  { type: 'READY_FOR_PICKUP', label: 'Ready for pickup' },
  { type: 'PICKED_UP', label: 'Picked up' },
];

const NEXT: Partial<Record<OrderStatus, FulfilmentEventType[]>> = {
  SOURCED: ['PICKING'],
  PICKING: ['PACKING'],
  PACKING: ['READY_TO_SHIP', 'READY_FOR_PICKUP'],
  READY_TO_SHIP: ['SHIPPED'],
  PARTIALLY_SHIPPED: ['SHIPPED', 'DELIVERED'],
  SHIPPED: ['OUT_FOR_DELIVERY', 'DELIVERED'],
  OUT_FOR_DELIVERY: ['DELIVERED'],
  PARTIALLY_DELIVERED: ['DELIVERED'],
  READY_FOR_PICKUP: ['PICKED_UP'],
};

export function stepsFor(type: FulfillmentType): Step[] {
  return PICKUP_TYPES.includes(type) ? PICKUP_STEPS : SHIP_STEPS;
}

/** The events that apply to an order in `status` now (the next step of its lane). */
export function applicable(status: OrderStatus, type: FulfillmentType): FulfilmentEventType[] {
  const lane = new Set(stepsFor(type).map((s) => s.type));
  return (NEXT[status] ?? []).filter((t) => lane.has(t));
}

/** How far along its lane the order is: the index of the last step done (-1 before the first). */
export function progress(status: OrderStatus, type: FulfillmentType): number {
  const steps = stepsFor(type).map((s) => s.type as string);
  const done: Record<string, string> = {
    PICKING: 'PICKING', PACKING: 'PACKING', READY_TO_SHIP: 'READY_TO_SHIP', READY_FOR_PICKUP: 'READY_FOR_PICKUP',
    SHIPPED: 'SHIPPED', PARTIALLY_SHIPPED: 'READY_TO_SHIP', OUT_FOR_DELIVERY: 'OUT_FOR_DELIVERY',
    PARTIALLY_DELIVERED: 'OUT_FOR_DELIVERY', DELIVERED: 'DELIVERED', PICKED_UP: 'PICKED_UP', PARTIALLY_RETURNED: 'DELIVERED', RETURNED: 'DELIVERED',
    REFUNDED: 'DELIVERED',
  };
  const at = done[status];
  return at ? steps.indexOf(at) : -1;
}

/** Statuses in which a cancel may still succeed (before anything shipped). */
export const CANCELLABLE: ReadonlySet<string> = new Set([
  'PENDING', 'CONFIRMED', 'SOURCING', 'SOURCED', 'BACKORDERED', 'PICKING', 'PACKING', 'READY_TO_SHIP', 'READY_FOR_PICKUP', 'FAILED',
]);
