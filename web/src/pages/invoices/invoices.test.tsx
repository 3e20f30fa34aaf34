import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { session } from '../../api';
import { renderAt } from '../../test/renderAt';

const adj = (id: string, amount: string, status: string) => ({
  adjustment_id: id, kind: 'sla_credit', reason: 'shipped breach: half the order fee', amount, order_ref: 'ext:SO-1', exception_id: 'e-1',
  status, decided_by: null, decided_at: null,
});
const INVOICE = {
  invoice_id: 'inv-1', period_start: '2026-11-29T00:00:00Z', period_end: '2026-11-30T00:00:00Z', currency: 'USD', status: 'REVIEW', order_count: 3,
  lines: [
    { operation: 'order', quantity: 3, unit_price: '1.20', amount: '3.60' },
    { operation: 'pick_line', quantity: 4, unit_price: '0.25', amount: '1.00' },
  ],
  subtotal: '4.60', adjustments: [adj('a-1', '-0.60', 'APPLIED'), adj('a-2', '-30.00', 'REVIEW')], adjustments_total: '-0.60', total: '4.00',
  generated_at: '2026-11-30T02:00:00Z', validated_at: '2026-11-30T02:10:00Z', tariff_id: 't-1', tariff_version: 1,
};


afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('Invoices page', () => {
  it('lists invoices with their money and filters by status', async () => {
    const api = renderAt('/invoices', 'USER', {
      'GET /invoices': () => ({ status: 200, body: { items: [INVOICE], next_cursor: null } }),
    });
    const row = await screen.findByTestId('invoice-row');
    expect(row.getAttribute('data-status')).toBe('REVIEW');
    expect(row.textContent).toContain('$4.60');
    expect(row.textContent).toContain('−$0.60');
    expect(row.textContent).toContain('$4.00');
    fireEvent.change(screen.getByTestId('invoice-filter-status'), { target: { value: 'FINAL' } });
    await waitFor(() => expect(api.calls.some((c) => c.url === '/invoices?status=FINAL&limit=25')).toBe(true));
  });

  it('shows the lines, the adjustments and lets a SUPERADMIN approve one in review', async () => {
    let current: Record<string, unknown> = INVOICE;
    const api = renderAt('/invoices/inv-1', 'SUPERADMIN', {
      'GET /invoices/inv-1': () => ({ status: 200, body: current }),
      'POST /invoices/inv-1/adjustments/a-2/approve': () => {
        current = { ...INVOICE, status: 'VALIDATED', adjustments: [INVOICE.adjustments[0], { ...INVOICE.adjustments[1], status: 'APPROVED', decided_by: 'user:someone@example.com', decided_at: '2026-11-30T09:00:00Z' }], adjustments_total: '-30.60', total: '-26.00' };
        return { status: 200, body: current };
      },
    });
    await screen.findByTestId('invoice-lines');
    expect(screen.getAllByTestId('invoice-line').map((l) => l.getAttribute('data-operation'))).toEqual(['order', 'pick_line']);
    expect(screen.getByTestId('invoice-totals-check').getAttribute('data-consistent')).toBe('true');
    const rows = screen.getAllByTestId('adjustment-row');
    expect(rows.map((r) => r.getAttribute('data-status'))).toEqual(['APPLIED', 'REVIEW']);
    expect(screen.getAllByTestId('adjustment-approve')).toHaveLength(1);
    fireEvent.click(screen.getByTestId('adjustment-approve'));
    await waitFor(() => expect(screen.getAllByTestId('adjustment-row').map((r) => r.getAttribute('data-status'))).toEqual(['APPLIED', 'APPROVED']));
    expect(api.calls.some((c) => c.method === 'POST' && c.url === '/invoices/inv-1/adjustments/a-2/approve')).toBe(true);
    expect(screen.queryByTestId('adjustment-approve')).toBeNull();
  });

  it('offers a USER no approve or reject', async () => {
    renderAt('/invoices?tab=review', 'USER', {
      'GET /invoices': () => ({ status: 200, body: { items: [INVOICE], next_cursor: null } }),
    });
    const row = await screen.findByTestId('review-row');
    expect(row.getAttribute('data-adjustment-id')).toBe('a-2');
    expect(screen.queryByTestId('adjustment-approve')).toBeNull();
  });

  it('downloads the CSV with the token, through a blob URL', async () => {
    const created = vi.fn(() => 'blob:invoice-1');
    const revoked = vi.fn();
    const saved = { createObjectURL: URL.createObjectURL, revokeObjectURL: URL.revokeObjectURL };
    Object.assign(URL, { createObjectURL: created, revokeObjectURL: revoked });
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const api = renderAt('/invoices/inv-1', 'USER', {
      'GET /invoices/inv-1': () => ({ status: 200, body: INVOICE }),
      'GET /invoices/inv-1.csv': () => ({ status: 200, body: 'operation,quantity\norder,3\n' }),
    });
    fireEvent.click(await screen.findByTestId('invoice-csv'));
    const link = await screen.findByTestId('invoice-csv-ready');
    expect(link.getAttribute('href')).toBe('blob:invoice-1');
    expect(link.getAttribute('download')).toBe('invoice-2026-11-29-inv-1.csv');
    const call = api.calls.find((c) => c.url === '/invoices/inv-1.csv')!;
    expect(call.headers.Authorization).toBe('Bearer tok');
    expect(created).toHaveBeenCalledTimes(1);
    expect(clicked).toHaveBeenCalledTimes(1); // the browser saves the file
    clicked.mockRestore();
    Object.assign(URL, saved);
  });

  it('shows the tariffs', async () => {
    renderAt('/invoices?tab=tariffs', 'USER', {
      'GET /billing/tariffs': () => ({
        status: 200,
        body: { items: [{ id: 't-1', name: 'Standard', currency: 'USD', is_active: true, per_order: '1.20', per_pick_line: '0.25', per_unit: '0.10', per_pack: '0.50', per_label: '0.35', per_return: '2.00', sla_credits: [{ milestone: 'shipped', share_of_order_fee: '0.5' }], auto_credit_limit: '25.00', version: 1, created_at: '', updated_at: '' }], count: 1 },
      }),
    });
    const card = await screen.findByTestId('tariff-card');
    expect(card.textContent).toContain('$1.20');
    expect(card.textContent).toContain('50% of the order fee');
  });
});
