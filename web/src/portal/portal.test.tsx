import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { session } from '../api';
import { browser } from '../lib/leave';
import { forgetStatuses } from '../lib/tenantLook';
import { CUSTOMER_ME, renderPortal } from '../test/renderPortal';

const STATUSES = {
  statuses: [
    { code: 'RECEIVED', name: 'Received', color: '#336699', phase: 'SOURCING', anchor: true, terminal: false },
    { code: 'PACKED', name: 'Packed with care', color: '#aa7700', phase: 'PACKING', anchor: false, terminal: false },
    { code: 'SHIPPED', name: 'On its way', color: '#117733', phase: 'SHIPPED', anchor: true, terminal: false },
    { code: 'CANCELLED', name: 'Cancelled', color: '#cc2222', phase: 'CANCELLED', anchor: true, terminal: true },
  ],
};
const CATALOG = {
  items: [
    { sku: 'TEE-1', name: 'Tee', description: 'Cotton', price: '20.00', currency: 'USD', in_stock: true },
    { sku: 'CAP-1', name: 'Cap', description: null, price: '15.00', currency: 'USD', in_stock: false },
  ],
};
const order = (status: string, status_code: string | null = status) => ({
  id: 'o-1', order_number: 'ORD-1', status, status_code, phase: status, channel: 'WEB', fulfillment_type: 'SHIP_TO_HOME',
  customer_email: 'customer@example.com', customer_name: 'Casey', total_amount: '40.00', currency: 'USD',
  created_at: '2026-11-30T01:00:00Z', updated_at: '2026-11-30T01:00:00Z',
  line_items: [{ line_number: 1, sku: 'TEE-1', product_name: 'Tee', quantity: 2, unit_price: '20.00', line_total: '40.00' }],
  shipping_address: { address1: '1 Main St', city: 'Boston', state: 'MA', postal_code: '02110', country: 'US' },
});

afterEach(() => {
  session.clear();
  forgetStatuses();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('Customer portal', () => {
  it('shows the shop branding on sign-in and lands a customer in the catalog', async () => {
    let signedIn = false;
    const api = renderPortal('/demo', {
      'POST /auth/login': () => {
        signedIn = true;
        return { status: 200, body: { access_token: 'tok', expires_in: 3600, token_type: 'Bearer' } };
      },
      'GET /auth/me': () => (signedIn ? { status: 200, body: CUSTOMER_ME } : { status: 401, body: { error: { code: 'unauthorized', message: 'no' } } }),
      'GET /catalog': () => ({ status: 200, body: CATALOG }),
      'GET /workflow/statuses': () => ({ status: 200, body: STATUSES }),
    }, false);
    await screen.findByTestId('page-portal-login');
    await waitFor(() => expect(screen.getByTestId('login-brand').getAttribute('data-shop-name')).toBe('Demo Outfitters'));
    expect(screen.getByTestId('portal-brand').textContent).toContain('Demo Outfitters');
    await waitFor(() => expect(document.documentElement.style.getPropertyValue('--accent')).toBe('#0a7d5a'));
    fireEvent.change(screen.getByTestId('login-email'), { target: { value: 'customer@example.com' } });
    fireEvent.change(screen.getByTestId('login-password'), { target: { value: 'customer123' } });
    fireEvent.click(screen.getByTestId('login-submit'));
    await screen.findByTestId('page-portal-shop');
    const items = await screen.findAllByTestId('catalog-item');
    expect(items.map((i) => [i.getAttribute('data-sku'), i.getAttribute('data-in-stock')])).toEqual([['TEE-1', 'true'], ['CAP-1', 'false']]);
    expect(within(items[1]).getByTestId('catalog-add').getAttribute('data-backorder')).toBe('true');
    expect(api.calls.find((c) => c.url === '/auth/login')?.body).toEqual({ email: 'customer@example.com', password: 'customer123' });
  });

  it('sends a person of the team who signs in on the portal to the dashboard', async () => {
    const go = vi.spyOn(browser, 'go').mockImplementation(() => undefined);
    renderPortal('/demo/login', {
      'GET /auth/me': () => ({ status: 200, body: { ...CUSTOMER_ME, role: 'SUPERADMIN' } }),
    });
    await waitFor(() => expect(go).toHaveBeenCalledWith('/app/'));
  });

  it('places an order from the catalog with the shipping address', async () => {
    const api = renderPortal('/demo', {
      'GET /catalog': () => ({ status: 200, body: CATALOG }),
      'GET /workflow/statuses': () => ({ status: 200, body: STATUSES }),
      'POST /orders': () => ({ status: 201, body: order('SOURCING', 'RECEIVED') }),
      'GET /orders/o-1': () => ({ status: 200, body: order('SOURCING', 'RECEIVED') }),
      'GET /orders/o-1/timeline': () => ({ status: 200, body: { statuses: [{ type: 'status', status_code: 'RECEIVED', phase: 'SOURCING', at: '2026-11-30T01:00:00Z' }], shipments: [] } }),
    });
    const [tee] = await screen.findAllByTestId('catalog-item');
    expect((screen.getByTestId('place-order') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(tee).getByTestId('catalog-add'));
    fireEvent.click(within(tee).getByTestId('catalog-add'));
    fireEvent.change(screen.getByTestId('ship-address1'), { target: { value: '1 Main St' } });
    fireEvent.change(screen.getByTestId('ship-city'), { target: { value: 'Boston' } });
    fireEvent.change(screen.getByTestId('ship-state'), { target: { value: 'MA' } });
    fireEvent.change(screen.getByTestId('ship-postal'), { target: { value: '02110' } });
    expect(screen.getByTestId('basket-total').textContent).toContain('$40.00');
    fireEvent.click(screen.getByTestId('place-order'));
    const page = await screen.findByTestId('page-portal-order');
    expect(page.getAttribute('data-order-id')).toBe('o-1');
    const post = api.calls.find((c) => c.method === 'POST' && c.url === '/orders');
    expect(post?.body).toMatchObject({
      line_items: [{ sku: 'TEE-1', quantity: 2 }],
      shipping_address: { address1: '1 Main St', city: 'Boston', state: 'MA', postal_code: '02110', country: 'US' },
      fulfillment_type: 'SHIP_TO_HOME',
    });
    expect(Object.keys(post?.body as object).sort()).toEqual(['currency', 'fulfillment_type', 'line_items', 'shipping_address']);
    expect(post?.headers['Idempotency-Key']).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('portal-order-status').textContent).toBe('Received'));
  });

  it('shows own orders with the tenant status names', async () => {
    renderPortal('/demo/orders', {
      'GET /orders': () => ({ status: 200, body: { items: [order('PACKING', 'PACKED')], next_cursor: null } }),
      'GET /workflow/statuses': () => ({ status: 200, body: STATUSES }),
    });
    const row = await screen.findByTestId('my-order-row');
    expect(row.getAttribute('data-status-code')).toBe('PACKED');
    await waitFor(() => expect(within(row).getByTestId('my-order-status').textContent).toBe('Packed with care'));
    expect(within(row).getByTestId('my-order-status').getAttribute('data-code')).toBe('PACKED');
  });

  it('shows the timeline and tracking, and cancels only while allowed (a 409 said in words)', async () => {
    let status = 'PACKING';
    const api = renderPortal('/demo/orders/o-1', {
      'GET /workflow/statuses': () => ({ status: 200, body: STATUSES }),
      'GET /orders/o-1': () => ({ status: 200, body: order(status, status === 'PACKING' ? 'PACKED' : status) }),
      'GET /orders/o-1/timeline': () => ({
        status: 200,
        body: {
          statuses: [
            { status_code: 'RECEIVED', phase: 'SOURCING', at: '2026-11-30T01:00:00Z' },
            { status_code: 'PACKED', phase: 'PACKING', at: '2026-11-30T02:00:00Z' },
          ],
          shipments: status === 'SHIPPED' ? [{ carrier: 'UPS', tracking_number: '1Z999', shipped_at: '2026-11-30T03:00:00Z' }] : [],
        },
      }),
      'POST /orders/o-1/cancel': () => {
        status = 'SHIPPED';
        return { status: 409, body: { error: { code: 'invalid_transition', message: 'The order has shipped', details: null } } };
      },
    });
    const items = await screen.findAllByTestId('portal-timeline-item');
    expect(items.map((i) => i.getAttribute('data-code'))).toEqual(['RECEIVED', 'PACKED']);
    fireEvent.click(screen.getByTestId('portal-cancel'));
    fireEvent.click(screen.getByTestId('portal-cancel-confirm'));
    expect((await screen.findByTestId('error-banner')).getAttribute('data-code')).toBe('invalid_transition');
    await waitFor(() => expect(screen.getByTestId('page-portal-order').getAttribute('data-status')).toBe('SHIPPED'));
    expect(screen.queryByTestId('portal-cancel')).toBeNull();
    const track = await screen.findByTestId('tracking-row');
    expect([track.getAttribute('data-carrier'), track.getAttribute('data-tracking')]).toEqual(['UPS', '1Z999']);
    expect(api.calls.filter((c) => c.method === 'POST' && c.url === '/orders/o-1/cancel')).toHaveLength(1);
  });

  it('stops order emails from the unsubscribe link only when asked, anonymously', async () => {
    let posted = 0;
    const api = renderPortal('/demo/unsubscribe?token=good.sig', {
      'POST /email/unsubscribe': () => {
        posted += 1;
        return { status: 200, body: { unsubscribed: true, order_emails: false } };
      },
    }); // signed in as well: the call still goes without the session's token
    await screen.findByTestId('page-portal-unsubscribe');
    await waitFor(() => expect(screen.getByTestId('portal-brand').textContent).toContain('Demo Outfitters'));
    expect(posted).toBe(0); // opening the link (a mail scanner's prefetch) changes nothing
    fireEvent.click(screen.getByTestId('unsubscribe-confirm'));
    await screen.findByTestId('unsubscribe-done');
    expect(api.calls.filter((c) => c.url === '/email/unsubscribe').map((c) => [c.body, c.headers?.Authorization])).toEqual([[{ token: 'good.sig' }, undefined]]);
  });

  it('shows the API message for an unsubscribe link that is not valid', async () => {
    renderPortal('/demo/unsubscribe?token=forged', {
      'POST /email/unsubscribe': () => ({ status: 400, body: { error: { code: 'invalid_token', message: 'the unsubscribe link is not valid' } } }),
    }, false);
    fireEvent.click(await screen.findByTestId('unsubscribe-confirm'));
    expect((await screen.findByTestId('error-message')).textContent).toBe('the unsubscribe link is not valid');
    expect(screen.queryByTestId('unsubscribe-done')).toBeNull();
  });

  it('accepts an invitation with the token of the link', async () => {
    const api = renderPortal('/demo/accept?token=tok-123', {
      'POST /auth/accept-invitation': () => ({ status: 200, body: { ok: true } }),
    }, false);
    await screen.findByTestId('page-portal-accept');
    fireEvent.change(screen.getByTestId('accept-password'), { target: { value: 'a-long-password-1' } });
    fireEvent.change(screen.getByTestId('accept-password-again'), { target: { value: 'a-long-password-1' } });
    fireEvent.click(screen.getByTestId('accept-submit'));
    await screen.findByTestId('accept-done');
    expect(api.calls.find((c) => c.url === '/auth/accept-invitation')?.body).toEqual({ token: 'tok-123', password: 'a-long-password-1' });
  });

  it('saves the email preferences', async () => {
    const api = renderPortal('/demo/preferences', {
      'GET /me/email-preferences': () => ({ status: 200, body: { order_emails: true } }),
      'PUT /me/email-preferences': () => ({ status: 200, body: { order_emails: false } }),
    });
    const box = (await screen.findByTestId('pref-order-emails')) as HTMLInputElement;
    await waitFor(() => expect(box.checked).toBe(true));
    fireEvent.click(box);
    fireEvent.click(screen.getByTestId('pref-save'));
    await waitFor(() => expect(screen.getByTestId('email-preferences').getAttribute('data-order-emails')).toBe('false'));
    expect(api.calls.find((c) => c.method === 'PUT')?.body).toEqual({ order_emails: false });
  });

  it('changes the password and keeps the session with the fresh token', async () => {
    const api = renderPortal('/demo/preferences', {
      'GET /me/email-preferences': () => ({ status: 200, body: { order_emails: true } }),
      'POST /auth/password': () => ({ status: 200, body: { access_token: 'fresh', token_type: 'Bearer', expires_in: 3600 } }),
    });
    await screen.findByTestId('password-form');
    fireEvent.change(screen.getByTestId('password-current'), { target: { value: 'customer123' } });
    fireEvent.change(screen.getByTestId('password-new'), { target: { value: 'a-better-password-2' } });
    fireEvent.click(screen.getByTestId('password-submit'));
    await waitFor(() => expect(session.token()).toBe('fresh'));
    expect(api.calls.find((c) => c.url === '/auth/password')?.body).toEqual({ current_password: 'customer123', new_password: 'a-better-password-2' });
  });

  it('says so for a shop that does not exist', async () => {
    renderPortal('/nope', { 'GET /branding/nope': () => ({ status: 404, body: { error: { code: 'not_found', message: 'No such shop' } } }) }, false);
    await screen.findByTestId('portal-unknown-shop');
  });
});
