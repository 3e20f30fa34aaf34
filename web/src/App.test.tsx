import { afterEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { App } from './App';
import { AuthProvider } from './auth';
import { NotifyProvider } from './notify';
import { session } from './api';
import { DASHBOARD, fakeApi } from './test/fakeApi';

const ORDER = {
  id: 'o-1', order_number: 'ORD-20261129-ABC', status: 'SHIPPED', channel: 'WEB', fulfillment_type: 'SHIP_TO_HOME',
  customer_email: 'alice@example.com', customer_name: 'Alice Smith', total_amount: '59.98', currency: 'USD',
  created_at: '2026-11-29T10:00:00Z', updated_at: '2026-11-29T10:05:00Z',
};

function renderApp(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <NotifyProvider>
        <AuthProvider>
          <App />
        </AuthProvider>
      </NotifyProvider>
    </MemoryRouter>,
  );
}

function signIn(role: string) {
  return fakeApi({
    'POST /auth/login': () => ({ status: 200, body: { access_token: `tok-${role}`, token_type: 'bearer', expires_in: 3600 } }),
    'GET /auth/me': () => ({ status: 200, body: { user_id: 'u1', email: 'someone@example.com', tenant_id: 'demo', role } }),
    'GET /orders': () => ({ status: 200, body: { items: [ORDER], next_cursor: null, count: 1 } }),
    'GET /analytics/dashboard': () => ({ status: 200, body: DASHBOARD }),
    'GET /analytics/orders/volume': () => ({ status: 200, body: { days: 30, series: [{ date: '2026-11-29', orders: 3, revenue: '90.00' }] } }),
    'GET /nodes': () => ({ status: 200, body: { items: [], count: 0 } }),
    'GET /search/orders': ({ url }) => ({
      status: 200,
      body: { items: url.includes('q=Alise') ? [{ ...ORDER, skus: ['SKU-1'], score: 1.2 }] : [], total: 1, next_cursor: null, took_ms: 3.5 },
    }),
  });
}

async function logIn() {
  fireEvent.change(await screen.findByTestId('login-email'), { target: { value: 'someone@example.com' } });
  fireEvent.change(screen.getByTestId('login-password'), { target: { value: 'secret' } });
  fireEvent.click(screen.getByTestId('login-submit'));
  await screen.findByTestId('page-overview');
}

afterEach(() => session.clear());

describe('App', () => {
  it('sends a visitor without a session to the login page, then to the overview', async () => {
    const api = signIn('SUPERADMIN');
    renderApp('/');
    await logIn();
    expect(screen.getByTestId('current-role').textContent).toBe('Superadmin');
    const me = api.calls.find((c) => c.url === '/auth/me')!;
    expect(me.headers.Authorization).toBe('Bearer tok-SUPERADMIN');
    const feed = await screen.findAllByTestId('feed-row');
    expect(feed[0].getAttribute('data-order-number')).toBe('ORD-20261129-ABC');
    expect(await screen.findByTestId('kpi-orders-value')).toHaveProperty('textContent', '1,234');
    expect(screen.getByTestId('nav-integrations')).toBeTruthy();
    expect(screen.getByTestId('nav-architect')).toBeTruthy();
    expect(window.localStorage.length).toBe(0);
  });

  it('does not offer a USER what the API forbids', async () => {
    signIn('USER');
    renderApp('/');
    await logIn();
    expect(screen.getByTestId('nav-orders')).toBeTruthy();
    expect(screen.queryByTestId('nav-integrations')).toBeNull();
    expect(screen.queryByTestId('nav-operations')).toBeNull();
    expect(screen.queryByTestId('nav-architect')).toBeNull();
  });

  it('searches orders with a typo through /search/orders', async () => {
    const api = signIn('USER');
    renderApp('/');
    await logIn();
    fireEvent.click(screen.getByTestId('nav-orders'));
    fireEvent.change(await screen.findByTestId('order-search'), { target: { value: 'Alise Smith' } });
    await waitFor(() => expect(screen.getByTestId('orders-table').getAttribute('data-mode')).toBe('search'));
    const rows = screen.getAllByTestId('order-row');
    expect(rows).toHaveLength(1);
    expect(within(rows[0]).getByText('Alice Smith')).toBeTruthy();
    expect(api.calls.some((c) => c.url.startsWith('/search/orders?q=Alise+Smith'))).toBe(true);
    expect(screen.getByTestId('search-summary').textContent).toContain('1 match');
  });

  it('goes back to the login page when the API says the session ended', async () => {
    const api = signIn('SUPERADMIN');
    renderApp('/');
    await logIn();
    api.fetchMock.mockImplementation(async () =>
      new Response(JSON.stringify({ error: { code: 'token_expired', message: 'the token has expired', details: null } }), { status: 401 }),
    );
    fireEvent.click(screen.getByTestId('nav-nodes'));
    expect(await screen.findByTestId('session-ended')).toHaveProperty('textContent', expect.stringContaining('the token has expired'));
    expect(session.token()).toBeNull();
  });

  it('shows a missing endpoint as a load error in words, and the rest of the page still works', async () => {
    const api = signIn('USER');
    renderApp('/');
    await logIn();
    api.fetchMock.mockClear();
    const routes = api.fetchMock.getMockImplementation()!;
    api.fetchMock.mockImplementation(async (input, init) =>
      String(input).startsWith('/analytics/dashboard')
        ? new Response(JSON.stringify({ error: { code: 'route_not_found', message: 'No route for /analytics/dashboard', details: null } }), { status: 404 })
        : routes(input, init),
    );
    fireEvent.change(screen.getByTestId('overview-range'), { target: { value: '7' } });
    const error = await screen.findByTestId('load-error');
    expect(error.getAttribute('data-code')).toBe('route_not_found');
    expect(error.textContent).toContain('No route for /analytics/dashboard');
    expect(screen.getAllByTestId('feed-row')).toHaveLength(1);
  });
});
