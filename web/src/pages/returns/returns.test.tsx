import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { session } from '../../api';
import { browser } from '../../lib/leave';
import { forgetNodes } from '../../lib/nodes';
import { renderAt } from '../../test/renderAt';
import { NODES, POLICY, REFUND, err, order, ret } from '../../test/returnsFixtures';

afterEach(() => {
  session.clear();
  forgetNodes();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('Returns list', () => {
  it('lists returns, sends the status and resolution filters and pages with the cursor', async () => {
    const api = renderAt('/returns', 'USER', {
      'GET /returns': ({ url }) => ({ status: 200, body: { items: [ret('REQUESTED')], next_cursor: url.includes('cursor=') ? null : 'c2' } }),
    });
    const row = await screen.findByTestId('return-row');
    expect(row.getAttribute('data-status')).toBe('REQUESTED');
    expect(within(row).getByTestId('return-link').getAttribute('href')).toBe('/returns/r-1');
    fireEvent.change(screen.getByTestId('returns-filter-status'), { target: { value: 'APPROVED' } });
    await waitFor(() => expect(api.calls.some((c) => c.url === '/returns?status=APPROVED&limit=25')).toBe(true));
    fireEvent.change(screen.getByTestId('returns-filter-resolution'), { target: { value: 'EXCHANGE' } });
    await waitFor(() => expect(api.calls.some((c) => c.url === '/returns?status=APPROVED&resolution=EXCHANGE&limit=25')).toBe(true));
    await waitFor(() => expect((screen.getByTestId('returns-pager-next') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId('returns-pager-next'));
    await waitFor(() => expect(api.calls.some((c) => c.url === '/returns?status=APPROVED&resolution=EXCHANGE&limit=25&cursor=c2')).toBe(true));
  });

  it.each(['USER', 'SUPERADMIN'])('is in the navigation of a %s', async (role) => {
    renderAt('/', role, {});
    expect((await screen.findByTestId('nav-returns')).getAttribute('href')).toBe('/returns');
  });

  it('never shows a CUSTOMER the dashboard page: they are sent to the portal', async () => {
    const go = vi.spyOn(browser, 'go').mockImplementation(() => undefined);
    const api = renderAt('/returns', 'CUSTOMER', {});
    expect(await screen.findByTestId('customer-redirect')).toBeTruthy();
    expect(screen.queryByTestId('page-returns')).toBeNull();
    expect(api.calls.some((c) => c.url.startsWith('/returns'))).toBe(false);
    await waitFor(() => expect(go).toHaveBeenCalledWith('/portal/demo'));
  });
});

describe('Return detail', () => {
  it('approves a requested return with a note and links the order', async () => {
    const api = renderAt('/returns/r-1', 'USER', {
      'GET /returns/r-1': () => ({ status: 200, body: ret('REQUESTED') }),
      'POST /returns/r-1/approve': () => ({ status: 200, body: ret('APPROVED', { decided_by: 'user:someone@example.com' }) }),
    });
    await screen.findByTestId('return-lines');
    expect(screen.getByTestId('return-order-link').getAttribute('href')).toBe('/orders/o-1');
    expect(screen.getByTestId('return-line').getAttribute('data-sku')).toBe('TEE-1');
    fireEvent.change(screen.getByTestId('return-approve-note'), { target: { value: 'ok by phone' } });
    fireEvent.click(screen.getByTestId('return-approve'));
    await waitFor(() => expect(screen.getByTestId('page-return-detail').getAttribute('data-status')).toBe('APPROVED'));
    expect(api.calls.find((c) => c.url === '/returns/r-1/approve')?.body).toEqual({ note: 'ok by phone' });
    expect(screen.queryByTestId('return-decide')).toBeNull();
    expect(await screen.findByTestId('return-receive')).toBeTruthy();
  });

  it('rejects only with a reason, and shows return_not_pending with its message', async () => {
    const api = renderAt('/returns/r-1', 'SUPERADMIN', {
      'GET /returns/r-1': () => ({ status: 200, body: ret('REQUESTED') }),
      'POST /returns/r-1/reject': () => err(409, 'return_not_pending', 'The return was already approved'),
    });
    const reject = (await screen.findByTestId('return-reject')) as HTMLButtonElement;
    expect(reject.disabled).toBe(true);
    fireEvent.change(screen.getByTestId('return-reject-reason'), { target: { value: 'worn' } });
    fireEvent.click(reject);
    const shown = await screen.findByTestId('return-error');
    expect(shown.getAttribute('data-code')).toBe('return_not_pending');
    expect(screen.getByTestId('return-error-message').textContent).toBe('The return was already approved');
    expect(shown.textContent).toContain('already decided');
    expect(api.calls.find((c) => c.url === '/returns/r-1/reject')?.body).toEqual({ reason: 'worn' });
    expect((await screen.findByTestId('error-banner')).getAttribute('data-code')).toBe('return_not_pending');
  });

  it('receives units at a chosen node with a condition per line, and shows over_receipt', async () => {
    let posts = 0;
    const api = renderAt('/returns/r-1', 'USER', {
      'GET /returns/r-1': () => ({ status: 200, body: ret('APPROVED') }),
      'GET /nodes': () => ({ status: 200, body: NODES }),
      'POST /returns/r-1/receive': () => (posts++ === 0
        ? err(422, 'over_receipt', 'TEE-1: 5 received but 2 expected', { sku: 'TEE-1', expected: 2, requested: 5 })
        : { status: 200, body: ret('PARTIALLY_RECEIVED', { lines: [{ ...ret('x').lines[0], received_sellable: 0, received_damaged: 1 }] }) }),
    });
    await screen.findByTestId('return-receive-form');
    await waitFor(() => expect(screen.getByTestId('receive-node').querySelectorAll('option')).toHaveLength(3));
    expect((screen.getByTestId('receive-qty-TEE-1') as HTMLInputElement).value).toBe('2');
    fireEvent.change(screen.getByTestId('receive-node'), { target: { value: 'n-2' } });
    fireEvent.change(screen.getByTestId('receive-qty-TEE-1'), { target: { value: '5' } });
    fireEvent.click(screen.getByTestId('receive-submit'));
    const shown = await screen.findByTestId('return-error');
    expect(shown.getAttribute('data-code')).toBe('over_receipt');
    expect(shown.textContent).toContain('TEE-1: 5 received but 2 expected');
    expect(shown.textContent).toContain('requested: 5');
    fireEvent.change(screen.getByTestId('receive-qty-TEE-1'), { target: { value: '1' } });
    fireEvent.change(screen.getByTestId('receive-condition-TEE-1'), { target: { value: 'DAMAGED' } });
    fireEvent.click(screen.getByTestId('receive-submit'));
    await waitFor(() => expect(screen.getByTestId('page-return-detail').getAttribute('data-status')).toBe('PARTIALLY_RECEIVED'));
    const bodies = api.calls.filter((c) => c.url === '/returns/r-1/receive').map((c) => c.body);
    expect(bodies).toEqual([
      { node_id: 'n-2', lines: [{ sku: 'TEE-1', quantity: 5, condition: 'SELLABLE' }] },
      { node_id: 'n-2', lines: [{ sku: 'TEE-1', quantity: 1, condition: 'DAMAGED' }] },
    ]);
    expect(screen.getByTestId('return-line').getAttribute('data-received')).toBe('1');
    const keys = api.calls.filter((c) => c.url === '/returns/r-1/receive').map((c) => c.headers['Idempotency-Key']);
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).not.toBe(keys[0]); // another receipt, another key
    expect(screen.queryByTestId('return-error')).toBeNull();
  });

  it('refunds after a confirm step and shows the server breakdown', async () => {
    const received = ret('RECEIVED', { lines: [{ ...ret('x').lines[0], received_sellable: 2 }] });
    const api = renderAt('/returns/r-1', 'USER', {
      'GET /returns/r-1': () => ({ status: 200, body: received }),
      'GET /return-policy': () => ({ status: 200, body: POLICY }),
      'POST /returns/r-1/refund': () => ({ status: 200, body: { ...received, status: 'REFUNDED', refund: REFUND } }),
    });
    fireEvent.click(await screen.findByTestId('return-refund'));
    const confirm = await screen.findByTestId('refund-confirm');
    await waitFor(() => expect(confirm.textContent).toContain('restocking fee of 10%'));
    expect(api.calls.some((c) => c.url === '/returns/r-1/refund')).toBe(false);
    fireEvent.click(screen.getByTestId('return-refund-confirm'));
    const breakdown = await screen.findByTestId('refund-breakdown');
    expect(screen.getByTestId('refund-items').textContent).toBe('$40.00');
    expect(screen.getByTestId('refund-restocking-fee').textContent).toBe('$4.00');
    expect(screen.getByTestId('refund-total').textContent).toBe('$36.00');
    expect(screen.getByTestId('refund-channel-status').getAttribute('data-value')).toBe('PENDING');
    expect(breakdown.getAttribute('data-amount')).toBe('36.00');
    expect(api.calls.filter((c) => c.method === 'POST' && c.url === '/returns/r-1/refund')).toHaveLength(1);
    expect(screen.getByTestId('page-return-detail').getAttribute('data-status')).toBe('REFUNDED');
  });

  it('shows not_received in words when the server refuses the refund', async () => {
    const received = ret('PARTIALLY_RECEIVED', { lines: [{ ...ret('x').lines[0], received_damaged: 1 }] });
    renderAt('/returns/r-1', 'USER', {
      'GET /returns/r-1': () => ({ status: 200, body: received }),
      'POST /returns/r-1/refund': () => err(409, 'not_received', 'No unit of this return has been received'),
    });
    fireEvent.click(await screen.findByTestId('return-refund'));
    fireEvent.click(await screen.findByTestId('return-refund-confirm'));
    const shown = await screen.findByTestId('return-error');
    expect(shown.getAttribute('data-code')).toBe('not_received');
    expect(shown.textContent).toContain('No unit of this return has been received');
  });

  it('issues the store credit of a STORE_CREDIT return through the same settle call', async () => {
    const received = ret('RECEIVED', { resolution: 'STORE_CREDIT', lines: [{ ...ret('x').lines[0], received_sellable: 2 }] });
    const api = renderAt('/returns/r-1', 'SUPERADMIN', {
      'GET /returns/r-1': () => ({ status: 200, body: received }),
      'GET /return-policy': () => ({ status: 200, body: POLICY }),
      'POST /returns/r-1/refund': () => ({ status: 200, body: { ...received, status: 'CREDITED', store_credit: { id: 'sc-1', amount: '36.00', currency: 'USD' } } }),
    });
    expect((await screen.findByTestId('return-refund')).textContent).toBe('Issue store credit…');
    fireEvent.click(screen.getByTestId('return-refund'));
    fireEvent.click(await screen.findByTestId('return-refund-confirm'));
    expect((await screen.findByTestId('return-store-credit')).textContent).toContain('$36.00');
    expect(api.calls.filter((c) => c.url === '/returns/r-1/refund')).toHaveLength(1);
  });

  it('links the exchange order of an exchange', async () => {
    renderAt('/returns/r-1', 'USER', {
      'GET /returns/r-1': () => ({ status: 200, body: ret('EXCHANGED', { resolution: 'EXCHANGE', exchange_order_id: 'o-9', exchange_lines: [{ sku: 'TEE-1', quantity: 2 }] }) }),
    });
    expect((await screen.findByTestId('return-exchange-link')).getAttribute('href')).toBe('/orders/o-9');
    expect(screen.getByTestId('return-exchange-lines').textContent).toContain('2 × TEE-1');
    expect(screen.queryByTestId('return-refund')).toBeNull();
  });
});

describe('Return policy', () => {
  it('lets a SUPERADMIN save it, and shows a 422 next to its field', async () => {
    let puts = 0;
    const api = renderAt('/returns?tab=policy', 'SUPERADMIN', {
      'GET /return-policy': () => ({ status: 200, body: POLICY }),
      'PUT /return-policy': ({ body }) => (puts++ === 0
        ? err(422, 'validation_error', 'The request failed validation', [{ loc: ['body', 'return_window_days'], msg: 'Input should be less than or equal to 365' }])
        : { status: 200, body: { ...POLICY, ...JSON.parse(String(body)), updated_at: '2026-11-30T06:00:00Z' } }),
    });
    const form = await screen.findByTestId('return-policy-form');
    fireEvent.change(screen.getByTestId('policy-window'), { target: { value: '400' } });
    fireEvent.change(screen.getByTestId('policy-fee-percent'), { target: { value: '15' } });
    fireEvent.click(screen.getByTestId('policy-reason-DAMAGED'));
    fireEvent.click(screen.getByTestId('policy-reason-SIZE_OR_FIT'));
    fireEvent.change(screen.getByTestId('policy-refund-shipping'), { target: { value: 'FULL_RETURN' } });
    fireEvent.change(screen.getByTestId('policy-shipping-fee'), { target: { value: '4.95' } });
    fireEvent.click(screen.getByTestId('policy-auto-approve'));
    fireEvent.submit(form);
    expect((await screen.findByTestId('policy-error-return_window_days')).textContent).toContain('less than or equal to 365');
    expect(api.calls.find((c) => c.method === 'PUT')?.body).toEqual({
      return_window_days: 400, restocking_fee_percent: '15', restocking_fee_reasons: ['DAMAGED', 'NO_LONGER_NEEDED'],
      refund_shipping: 'FULL_RETURN', return_shipping_fee: '4.95', auto_approve: true,
    });
    fireEvent.change(screen.getByTestId('policy-window'), { target: { value: '60' } });
    fireEvent.submit(form);
    await screen.findByTestId('notice-banner');
    expect(screen.queryByTestId('policy-error-return_window_days')).toBeNull();
    expect(api.calls.filter((c) => c.method === 'PUT').map((c) => (c.body as { return_window_days: number }).return_window_days)).toEqual([400, 60]);
  });

  it('shows a USER the policy without a form', async () => {
    const api = renderAt('/returns?tab=policy', 'USER', { 'GET /return-policy': () => ({ status: 200, body: POLICY }) });
    const view = await screen.findByTestId('return-policy-view');
    expect(view.textContent).toContain('30 days');
    expect(screen.queryByTestId('return-policy-form')).toBeNull();
    expect(api.calls.some((c) => c.method === 'PUT')).toBe(false);
  });
});

describe('Order page returns', () => {
  it('lists the order returns, shows the refunded amount, and creates a return for staff', async () => {
    const existing = ret('PARTIALLY_RECEIVED', { lines: [{ ...ret('x').lines[0], quantity: 2, received_sellable: 1 }] });
    let created = false;
    const api = renderAt('/orders/o-1', 'USER', {
      'GET /orders/o-1': () => ({ status: 200, body: order('PARTIALLY_RETURNED', { refunded_amount: '18.00', returned_quantities: { 'TEE-1': 1 } }) }),
      'GET /orders/o-1/returns': () => ({ status: 200, body: { items: created ? [existing, ret('REQUESTED', { id: 'r-2', rma_number: 'RMA-0002' })] : [existing], next_cursor: null } }),
      'POST /orders/o-1/returns': () => {
        created = true;
        return { status: 201, body: ret('REQUESTED', { id: 'r-2', rma_number: 'RMA-0002' }) };
      },
    });
    await screen.findByTestId('order-return-row');
    expect(screen.getByTestId('order-refunded').textContent).toBe('$18.00');
    expect(screen.getByTestId('line-returned').textContent).toBe('1 returned');
    expect(screen.getByTestId('order-status').getAttribute('data-value')).toBe('PARTIALLY_RETURNED');
    fireEvent.click(screen.getByTestId('order-create-return'));
    const lines = await screen.findAllByTestId('return-form-line');
    // TEE-1: 3 delivered - 1 received back - 1 still expected by the open return = 1; CAP-1: 1
    expect(lines.map((l) => [l.getAttribute('data-sku'), l.getAttribute('data-max')])).toEqual([['TEE-1', '1'], ['CAP-1', '1']]);
    fireEvent.change(screen.getByTestId('return-qty-TEE-1'), { target: { value: '2' } });
    expect(screen.getByTestId('return-too-many')).toBeTruthy();
    expect((screen.getByTestId('return-submit') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId('return-qty-TEE-1'), { target: { value: '1' } });
    fireEvent.change(screen.getByTestId('return-reason-TEE-1'), { target: { value: 'DEFECTIVE' } });
    fireEvent.change(screen.getByTestId('return-resolution'), { target: { value: 'EXCHANGE' } });
    fireEvent.click(screen.getByTestId('return-submit'));
    await waitFor(() => expect(screen.getAllByTestId('order-return-row')).toHaveLength(2));
    const post = api.calls.find((c) => c.method === 'POST' && c.url === '/orders/o-1/returns')!;
    expect(post.body).toEqual({ lines: [{ sku: 'TEE-1', quantity: 1, reason: 'DEFECTIVE' }], resolution: 'EXCHANGE' });
    expect(post.headers['Idempotency-Key']).toBeTruthy();
  });

  it('offers no return on an order that was not delivered, and does not ask for its returns', async () => {
    const api = renderAt('/orders/o-1', 'SUPERADMIN', {
      'GET /orders/o-1': () => ({ status: 200, body: order('SHIPPED') }),
    });
    expect((await screen.findByTestId('order-returns')).getAttribute('data-state')).toBe('not-delivered');
    expect(screen.queryByTestId('order-create-return')).toBeNull();
    expect(screen.queryByTestId('order-refunded')).toBeNull();
    expect(api.calls.some((c) => c.url.includes('/returns'))).toBe(false);
  });

  it('shows the returns of a refunded order without offering another', async () => {
    renderAt('/orders/o-1', 'USER', {
      'GET /orders/o-1': () => ({ status: 200, body: order('REFUNDED', { refunded_amount: '70.00', returned_quantities: { 'TEE-1': 3, 'CAP-1': 1 } }) }),
      'GET /orders/o-1/returns': () => ({ status: 200, body: { items: [ret('REFUNDED', { refund: REFUND })], next_cursor: null } }),
    });
    const row = await screen.findByTestId('order-return-row');
    expect(row.textContent).toContain('$36.00');
    expect(screen.queryByTestId('order-create-return')).toBeNull();
  });
});
