import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import type { Return } from '../api/types-returns';
import { actionsFor, anyReturnable, errorHint, fieldErrors, returnable } from './returns';

const ret = (status: Return['status'], lines: Return['lines'], extra: Partial<Return> = {}): Return => ({
  id: 'r', rma_number: 'RMA-1', order_id: 'o-1', status, resolution: 'REFUND', lines, created_at: '2026-11-30T00:00:00Z', ...extra,
});
const order = (status: string, returned: Record<string, number> = {}) => ({
  status: status as never,
  line_items: [
    { line_number: 1, sku: 'A', quantity: 3, unit_price: '10.00', line_total: '30.00' },
    { line_number: 2, sku: 'B', quantity: 1, unit_price: '5.00', line_total: '5.00' },
  ],
  returned_quantities: returned,
});

describe('returnable', () => {
  it('is delivered minus received back minus the unreceived rest of open returns', () => {
    const open = ret('PARTIALLY_RECEIVED', [{ sku: 'A', quantity: 2, reason: 'DAMAGED', received_sellable: 1, received_damaged: 0 }]);
    const rejected = ret('REJECTED', [{ sku: 'B', quantity: 1, reason: 'OTHER' }]);
    expect(returnable(order('PARTIALLY_RETURNED', { A: 1 }), [open, rejected])).toEqual({ A: 1, B: 1 });
  });

  it('keeps the units a return settled before they all arrived still holds', () => {
    const settled = ret('REFUNDED', [{ sku: 'A', quantity: 2, reason: 'DAMAGED', received_sellable: 1 }]);
    expect(returnable(order('PARTIALLY_RETURNED', { A: 1 }), [settled])).toEqual({ A: 1, B: 1 });
  });

  it('is nothing before delivery and never negative', () => {
    expect(returnable(order('SHIPPED'), [])).toEqual({});
    const all = returnable(order('DELIVERED', { A: 5 }), []);
    expect(all).toEqual({ A: 0, B: 1 });
    expect(anyReturnable({ A: 0 })).toBe(false);
  });
});

describe('actionsFor', () => {
  it('offers decide on a request, receive when approved, refund once something arrived', () => {
    expect(actionsFor(ret('REQUESTED', [{ sku: 'A', quantity: 1, reason: 'OTHER' }]))).toEqual({ decide: true, receive: false, refund: false });
    expect(actionsFor(ret('APPROVED', [{ sku: 'A', quantity: 1, reason: 'OTHER' }])).receive).toBe(true);
    const got = ret('RECEIVED', [{ sku: 'A', quantity: 1, reason: 'OTHER', received_sellable: 1 }]);
    expect(actionsFor(got).refund).toBe(true);
    expect(actionsFor({ ...got, resolution: 'EXCHANGE' }).refund).toBe(false);
    expect(actionsFor({ ...got, resolution: 'STORE_CREDIT' }).refund).toBe(true);
    expect(actionsFor({ ...got, resolution: 'STORE_CREDIT', store_credit: { id: 's', amount: '1.00', currency: 'USD' } }).refund).toBe(false);
  });
});

describe('errors', () => {
  it('keys 422 problems by field and words the return codes', () => {
    const e = new ApiError(422, 'validation_error', 'bad', [{ loc: ['body', 'return_window_days'], msg: 'must be <= 365' }]);
    expect(fieldErrors(e)).toEqual({ return_window_days: 'must be <= 365' });
    expect(fieldErrors(new ApiError(422, 'over_return', 'x', { sku: 'A', delivered: 1 }))).toEqual({ sku: 'A', delivered: '1' });
    expect(errorHint(new ApiError(409, 'not_received', 'x'))).toMatch(/receive before refunding/);
  });
});
