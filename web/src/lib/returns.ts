// Returns as the UI reasons about them (pure; unit-tested): what is still returnable per line,
// which returns are open, which actions a return's status admits, the words for the API's return
// error codes, and a 422's problems keyed by field.

import type { ApiError } from '../api/client';
import type { Order } from '../api/types';
import type { Return, ReturnLine, ReturnStatus } from '../api/types-returns';

/** Order phases in which units were handed over and may come back. */
export const RETURNABLE_PHASES: ReadonlySet<string> = new Set(['DELIVERED', 'PICKED_UP', 'PARTIALLY_RETURNED']);
/** Phases in which an order may have returns (something was delivered): elsewhere the order's
 * returns are not even asked for. */
export const MAY_HAVE_RETURNS: ReadonlySet<string> = new Set([
  'PARTIALLY_DELIVERED', 'DELIVERED', 'PICKED_UP', 'PARTIALLY_RETURNED', 'RETURNED', 'REFUNDED',
]);
/** Returns still waiting for units. */
export const OPEN_RETURN: ReadonlySet<ReturnStatus> = new Set(['REQUESTED', 'APPROVED', 'PARTIALLY_RECEIVED']);

export const received = (l: ReturnLine): number => (l.received_sellable ?? 0) + (l.received_damaged ?? 0);
export const outstanding = (l: ReturnLine): number => Math.max(0, l.quantity - received(l));

/** Per SKU: delivered minus what came back (`returned_quantities`) minus what the open returns still
 * expect. A return that was settled before all its units arrived still holds them (the server
 * counts every unit a non-rejected return asks back), so the units held are the larger of what
 * came back and what the non-rejected returns ask. Zero in a phase nothing may be returned from. */
export function returnable(order: Pick<Order, 'status' | 'line_items' | 'returned_quantities'>, orderReturns: Return[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (!RETURNABLE_PHASES.has(order.status)) return out;
  for (const l of order.line_items ?? []) out[l.sku] = (out[l.sku] ?? 0) + l.quantity;
  const asked: Record<string, number> = {};
  for (const r of orderReturns) {
    if (r.status === 'REJECTED') continue;
    for (const l of r.lines) asked[l.sku] = (asked[l.sku] ?? 0) + l.quantity;
  }
  for (const sku of Object.keys(out)) {
    const back = Number(order.returned_quantities?.[sku] ?? 0) || 0;
    out[sku] = Math.max(0, out[sku] - Math.max(back, asked[sku] ?? 0));
  }
  return out;
}

export function anyReturnable(map: Record<string, number>): boolean {
  return Object.values(map).some((n) => n > 0);
}

export interface ReturnActions {
  decide: boolean;
  receive: boolean;
  /** settle with POST /returns/{id}/refund: a refund (REFUND) or a store credit (STORE_CREDIT);
   * an exchange is settled by its replacement order when every unit arrived */
  refund: boolean;
}
/** What a return's status admits (the server has the last word: a 409 says it moved on). */
export function actionsFor(r: Pick<Return, 'status' | 'resolution' | 'refund' | 'store_credit' | 'lines'>): ReturnActions {
  const anyReceived = r.lines.some((l) => received(l) > 0);
  return {
    decide: r.status === 'REQUESTED',
    receive: r.status === 'APPROVED' || r.status === 'PARTIALLY_RECEIVED',
    refund: r.resolution !== 'EXCHANGE' && !r.refund && !r.store_credit && anyReceived && (r.status === 'PARTIALLY_RECEIVED' || r.status === 'RECEIVED'),
  };
}

/** The API's return error codes in words (shown with the server's own message). */
export const RETURN_ERROR_HINTS: Record<string, string> = {
  over_return: 'More units than were delivered and not yet returned.',
  over_receipt: 'More units than the return still expects.',
  return_not_pending: 'The return was already decided.',
  return_not_approved: 'Units can be received only on an approved return.',
  not_received: 'No unit has been received yet: receive before refunding.',
  return_is_exchange: 'An exchange is settled by its replacement order once every unit has arrived.',
  not_returnable: 'Nothing of this order was delivered or picked up.',
  return_window_closed: "The order is outside the shop's return window.",
  unknown_sku: 'A SKU is not on the order.',
  validation_error: 'Some fields are not valid.',
};

export function errorHint(err: ApiError | null): string | null {
  return err ? RETURN_ERROR_HINTS[err.code] ?? null : null;
}

/** A 422's problems by field name (the last part of `loc`, or the key of an object `details`). */
export function fieldErrors(err: ApiError | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!err) return out;
  const details = err.details;
  if (Array.isArray(details)) {
    for (const d of details) {
      if (!d || typeof d !== 'object') continue;
      const item = d as { loc?: unknown; msg?: unknown; field?: unknown; message?: unknown };
      const loc = Array.isArray(item.loc) ? item.loc.filter((p) => p !== 'body') : [];
      const field = typeof item.field === 'string' ? item.field : loc.length ? String(loc[0]) : '';
      const msg = typeof item.msg === 'string' ? item.msg : typeof item.message === 'string' ? item.message : '';
      if (field && msg && !out[field]) out[field] = msg;
    }
  } else if (details && typeof details === 'object') {
    for (const [k, v] of Object.entries(details as Record<string, unknown>)) {
      if (k !== 'request_id') out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  return out;
}
