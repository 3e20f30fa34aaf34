import { describe, expect, it } from 'vitest';
import type { Invoice } from '../api/types';
import { cents, checkTotals, csvFileName, fromCents, reviewQueue, signedMoney } from './invoices';

const adj = (id: string, amount: string, status: string) => ({
  adjustment_id: id, kind: 'sla_credit', reason: 'r', amount, order_ref: null, exception_id: null, status, decided_by: null, decided_at: null,
});
const INVOICE: Invoice = {
  invoice_id: 'inv-1', period_start: '2026-11-29T00:00:00Z', period_end: '2026-11-30T00:00:00Z', currency: 'USD', status: 'REVIEW',
  order_count: 3,
  lines: [
    { operation: 'order', quantity: 3, unit_price: '1.20', amount: '3.60' },
    { operation: 'unit', quantity: 7, unit_price: '0.10', amount: '0.70' },
    { operation: 'label', quantity: 3, unit_price: '0.35', amount: '1.05' },
  ],
  subtotal: '5.35',
  adjustments: [adj('a1', '-0.60', 'APPLIED'), adj('a2', '-30.00', 'REVIEW'), adj('a3', '0.15', 'APPROVED'), adj('a4', '-9.99', 'REJECTED')],
  adjustments_total: '-0.45', total: '4.90', generated_at: '2026-11-30T02:00:00Z', validated_at: null, tariff_id: 't', tariff_version: 1,
};

describe('money of invoices', () => {
  it('reads decimal strings as exact cents and writes them back', () => {
    expect([cents('12.50'), cents('-3.2'), cents('7'), cents('0.05'), cents('abc'), cents(null)]).toEqual([1250, -320, 700, 5, null, null]);
    expect([fromCents(1250), fromCents(-320), fromCents(5), fromCents(0)]).toEqual(['12.50', '-3.20', '0.05', '0.00']);
    // 0.1 + 0.2 in floats is not 0.3; in cents it is
    expect(fromCents((cents('0.10') ?? 0) + (cents('0.20') ?? 0))).toBe('0.30');
  });

  it('shows adjustments with their sign', () => {
    expect(signedMoney('-12.50')).toBe('−$12.50');
    expect(signedMoney('3')).toBe('+$3.00');
    expect(signedMoney('0.00')).toBe('$0.00');
    expect(signedMoney('-1.5', 'EUR')).toBe('−€1.50');
  });

  it('recomputes the totals from the lines and the applied or approved adjustments', () => {
    expect(checkTotals(INVOICE)).toEqual({ subtotal: '5.35', adjustments: '-0.45', total: '4.90', consistent: true });
    expect(checkTotals({ ...INVOICE, total: '5.35' }).consistent).toBe(false);
  });

  it('lists the adjustments waiting for review, largest first', () => {
    const other = { ...INVOICE, invoice_id: 'inv-2', adjustments: [adj('b1', '-45.00', 'REVIEW'), adj('b2', '-1.00', 'APPLIED')] };
    expect(reviewQueue([INVOICE, other]).map((a) => `${a.invoice_id}/${a.adjustment_id}`)).toEqual(['inv-2/b1', 'inv-1/a2']);
  });

  it('names the CSV after the period and the invoice', () => {
    expect(csvFileName({ invoice_id: 'd6e06f53-1111-2222', period_start: '2026-11-29T00:00:00Z' })).toBe('invoice-2026-11-29-d6e06f53.csv');
  });
});
