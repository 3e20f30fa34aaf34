import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { session } from '../../api';
import { forgetNodes } from '../../lib/nodes';
import { renderAt } from '../../test/renderAt';
import { NODES, err } from '../../test/returnsFixtures';

const ALERT = (id: string, kind: string, state = 'OPEN') => ({
  id, sku: 'TEE-1', product_name: 'Tee', node_id: 'n-1', node_code: 'DC-EAST', kind, state, available: kind === 'OUT_OF_STOCK' ? 0 : 2,
  reorder_level: 5, raised_at: '2026-11-30T01:00:00Z', resolved_at: state === 'RESOLVED' ? '2026-11-30T02:00:00Z' : null, source: 'stream',
});

afterEach(() => {
  session.clear();
  forgetNodes();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('Stock alert badge', () => {
  it('shows the OPEN count on the Inventory item and reads it again on navigation', async () => {
    let open = { low_stock: 3, out_of_stock: 1 };
    const api = renderAt('/', 'USER', {
      'GET /inventory/alerts': () => ({ status: 200, body: { items: [], next_cursor: null, counts: open } }),
    });
    const badge = await screen.findByTestId('nav-inventory-alerts');
    expect(badge.getAttribute('data-count')).toBe('4');
    expect(within(screen.getByTestId('nav-inventory')).getByTestId('nav-inventory-alerts')).toBe(badge);
    expect(api.calls.find((c) => c.url.startsWith('/inventory/alerts'))?.url).toBe('/inventory/alerts?state=OPEN&limit=1');
    open = { low_stock: 0, out_of_stock: 0 };
    fireEvent.click(screen.getByTestId('nav-returns'));
    await waitFor(() => expect(screen.queryByTestId('nav-inventory-alerts')).toBeNull());
  });

  it('is hidden without a word where the API has no alerts route', async () => {
    const api = renderAt('/', 'SUPERADMIN', {});
    await screen.findByTestId('page-overview');
    await waitFor(() => expect(api.calls.some((c) => c.url.startsWith('/inventory/alerts'))).toBe(true));
    expect(screen.queryByTestId('nav-inventory-alerts')).toBeNull();
    expect(screen.queryByTestId('error-banner')).toBeNull();
  });

  it('is read again every 60 s', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let n = 0;
    renderAt('/returns', 'USER', {
      'GET /returns': () => ({ status: 200, body: { items: [], next_cursor: null } }),
      'GET /inventory/alerts': () => ({ status: 200, body: { items: [], next_cursor: null, counts: { low_stock: ++n, out_of_stock: 0 } } }),
    });
    await waitFor(() => expect(screen.getByTestId('nav-inventory-alerts').getAttribute('data-count')).toBe('1'));
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    await waitFor(() => expect(screen.getByTestId('nav-inventory-alerts').getAttribute('data-count')).toBe('2'));
  });
});

describe('Stock alerts page', () => {
  it('lists the open alerts with counts and sends the kind and state filters', async () => {
    const api = renderAt('/inventory/alerts', 'USER', {
      'GET /nodes': () => ({ status: 200, body: NODES }),
      'GET /inventory/alerts': ({ url }) => ({
        status: 200,
        body: { items: url.includes('kind=OUT_OF_STOCK') ? [ALERT('a-2', 'OUT_OF_STOCK')] : [ALERT('a-1', 'LOW_STOCK'), ALERT('a-2', 'OUT_OF_STOCK')], next_cursor: null, counts: { low_stock: 1, out_of_stock: 1 } },
      }),
    });
    const rows = await screen.findAllByTestId('alert-row');
    expect(rows.map((r) => r.getAttribute('data-kind'))).toEqual(['LOW_STOCK', 'OUT_OF_STOCK']);
    expect(rows[0].textContent).toContain('DC-EAST');
    expect(screen.getByTestId('alert-counts').getAttribute('data-out-of-stock')).toBe('1');
    expect(api.calls.some((c) => c.url === '/inventory/alerts?state=OPEN&limit=50')).toBe(true);
    fireEvent.change(screen.getByTestId('alerts-filter-kind'), { target: { value: 'OUT_OF_STOCK' } });
    await waitFor(() => expect(screen.getAllByTestId('alert-row')).toHaveLength(1));
    fireEvent.change(screen.getByTestId('alerts-filter-state'), { target: { value: 'RESOLVED' } });
    await waitFor(() => expect(api.calls.some((c) => c.url === '/inventory/alerts?state=RESOLVED&kind=OUT_OF_STOCK&limit=50')).toBe(true));
  });

  it('says so in place when the route is missing', async () => {
    renderAt('/inventory/alerts', 'USER', { 'GET /inventory/alerts': () => err(404, 'route_not_found', 'No route for /inventory/alerts') });
    expect((await screen.findByTestId('load-error')).getAttribute('data-code')).toBe('route_not_found');
  });
});
