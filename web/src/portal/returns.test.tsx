import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen } from '@testing-library/react';
import { session } from '../api';
import { forgetStatuses } from '../lib/tenantLook';
import { renderPortal } from '../test/renderPortal';
import { REFUND, err, order, ret } from '../test/returnsFixtures';

afterEach(() => {
  session.clear();
  forgetStatuses();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const TIMELINE = { 'GET /orders/o-1/timeline': () => ({ status: 200, body: { items: [] } }) };

describe('Portal returns', () => {
  it('lets a customer return items of a delivered order, up to what is returnable, and shows the return', async () => {
    let mine: unknown[] = [];
    const api = renderPortal('/demo/orders/o-1', {
      ...TIMELINE,
      'GET /orders/o-1': () => ({ status: 200, body: order('DELIVERED', { returned_quantities: { 'CAP-1': 1 } }) }),
      'GET /orders/o-1/returns': () => ({ status: 200, body: { items: mine, next_cursor: null } }),
      'POST /orders/o-1/returns': ({ body }) => {
        const sent = JSON.parse(String(body));
        mine = [ret('REQUESTED', { lines: sent.lines.map((l: Record<string, unknown>) => ({ ...l, product_name: 'Tee' })), resolution: sent.resolution })];
        return { status: 201, body: mine[0] };
      },
    });
    fireEvent.click(await screen.findByTestId('portal-return-items'));
    const lines = await screen.findAllByTestId('return-form-line');
    // CAP-1 came back already: only TEE-1 (3 delivered) is offered
    expect(lines.map((l) => [l.getAttribute('data-sku'), l.getAttribute('data-max')])).toEqual([['TEE-1', '3']]);
    fireEvent.change(screen.getByTestId('return-qty-TEE-1'), { target: { value: '2' } });
    fireEvent.change(screen.getByTestId('return-reason-TEE-1'), { target: { value: 'SIZE_OR_FIT' } });
    fireEvent.change(screen.getByTestId('return-resolution'), { target: { value: 'STORE_CREDIT' } });
    fireEvent.change(screen.getByTestId('return-note'), { target: { value: 'too small' } });
    fireEvent.click(screen.getByTestId('return-submit'));
    const row = await screen.findByTestId('portal-return-row');
    expect(row.getAttribute('data-status')).toBe('REQUESTED');
    expect(screen.getByTestId('portal-return-status').textContent).toBe('Requested');
    const post = api.calls.find((c) => c.method === 'POST' && c.url === '/orders/o-1/returns')!;
    expect(post.body).toEqual({ lines: [{ sku: 'TEE-1', quantity: 2, reason: 'SIZE_OR_FIT' }], resolution: 'STORE_CREDIT', note: 'too small' });
    expect(post.headers['Idempotency-Key']).toBeTruthy();
    // the open return holds 2 of the 3: one is left
    fireEvent.click(screen.getByTestId('portal-return-items'));
    expect((await screen.findByTestId('return-form-line')).getAttribute('data-max')).toBe('1');
  });

  it('shows the server refusing a return in words', async () => {
    renderPortal('/demo/orders/o-1', {
      ...TIMELINE,
      'GET /orders/o-1': () => ({ status: 200, body: order('DELIVERED') }),
      'GET /orders/o-1/returns': () => ({ status: 200, body: { items: [], next_cursor: null } }),
      'POST /orders/o-1/returns': () => err(409, 'return_window_closed', 'Returns are accepted for 30 days after delivery'),
    });
    fireEvent.click(await screen.findByTestId('portal-return-items'));
    fireEvent.change(await screen.findByTestId('return-qty-CAP-1'), { target: { value: '1' } });
    fireEvent.click(screen.getByTestId('return-submit'));
    const shown = await screen.findByTestId('return-error');
    expect(shown.getAttribute('data-code')).toBe('return_window_closed');
    expect(shown.textContent).toContain('Returns are accepted for 30 days after delivery');
  });

  it('offers no return before delivery', async () => {
    const api = renderPortal('/demo/orders/o-1', {
      ...TIMELINE,
      'GET /orders/o-1': () => ({ status: 200, body: order('SHIPPED') }),
    });
    await screen.findByTestId('page-portal-order');
    expect(screen.queryByTestId('portal-return-items')).toBeNull();
    expect(screen.queryByTestId('portal-order-returns')).toBeNull();
    expect(api.calls.some((c) => c.url.includes('/returns'))).toBe(false);
  });

  it('lists my returns with their status and refund, and no staff fields', async () => {
    const refunded = ret('REFUNDED', { refund: REFUND, decided_by: 'user:admin@example.com', decision_note: 'internal: ok' });
    const api = renderPortal('/demo/returns', {
      'GET /returns': () => ({ status: 200, body: { items: [refunded], next_cursor: null } }),
    });
    const row = await screen.findByTestId('my-return-row');
    expect(row.getAttribute('data-status')).toBe('REFUNDED');
    expect(screen.getByTestId('portal-return-refund').textContent).toBe('$36.00');
    expect(screen.getByTestId('my-return-order').getAttribute('href')).toBe('/demo/orders/o-1');
    expect(screen.getByTestId('page-portal-returns').textContent).not.toContain('admin@example.com');
    expect(screen.getByTestId('page-portal-returns').textContent).not.toContain('internal');
    expect(screen.getByTestId('nav-portal-returns')).toBeTruthy();
    expect(api.calls.find((c) => c.url.startsWith('/returns'))?.url).toBe('/returns?limit=25');
  });
});
