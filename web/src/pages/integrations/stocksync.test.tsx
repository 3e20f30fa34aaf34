import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { session } from '../../api';
import { forgetNodes } from '../../lib/nodes';
import { renderAt } from '../../test/renderAt';
import { NODES } from '../../test/returnsFixtures';

const SHOPIFY = {
  id: 'c-1', name: 'My store', type: 'SHOPIFY', direction: 'BIDIRECTIONAL', status: 'ACTIVE', active: true,
  config: { shop_domain: 'mystore.myshopify.com', access_token: '***', location_map: { 'n-1': 'gid://shopify/Location/1' }, sync_inventory: false },
};
const AMAZON = { id: 'c-2', name: 'Amazon', type: 'AMAZON', direction: 'INBOUND', status: 'ACTIVE', config: {} };
const STATUS = {
  enabled: false, locations: [{ node_id: 'n-1', location_id: 'gid://shopify/Location/1' }], pending: 3, last_push_at: '2026-11-30T05:00:00Z',
  last_reconciliation: { at: '2026-11-30T03:00:00Z', checked: 40, corrected: 1, changes: [{ sku: 'TEE-1', location: 'gid://shopify/Location/1', shopify_before: 7, cirrus: 5 }, { sku: 'CAP-1', location: 'gid://shopify/Location/1', shopify_before: null, cirrus: 2 }] },
};

afterEach(() => {
  session.clear();
  forgetNodes();
  vi.unstubAllGlobals();
});

async function openConnectors() {
  fireEvent.click(await screen.findByTestId('tab-connectors'));
  return screen.findAllByTestId('connector-row');
}

describe('Shopify stock sync', () => {
  it('edits the location map and the sync switch with PATCH config, and shows the sync status', async () => {
    const api = renderAt('/integrations', 'SUPERADMIN', {
      'GET /webhooks/endpoints': () => ({ status: 200, body: { items: [], count: 0 } }),
      'GET /connectors': () => ({ status: 200, body: { items: [SHOPIFY, AMAZON], count: 2 } }),
      'GET /nodes': () => ({ status: 200, body: NODES }),
      'GET /connectors/c-1/stock-sync': () => ({ status: 200, body: STATUS }),
      'PATCH /connectors/c-1': ({ body }) => ({ status: 200, body: { ...SHOPIFY, config: { ...SHOPIFY.config, ...JSON.parse(String(body)).config } } }),
      'POST /connectors/c-1/stock-sync/reconcile': () => ({ status: 202, body: { queued: true, connector_id: 'c-1' } }),
    });
    const rows = await openConnectors();
    expect(within(rows[1]).queryByTestId('connector-stock-sync')).toBeNull();
    fireEvent.click(within(rows[0]).getByTestId('connector-stock-sync'));
    const east = (await screen.findByTestId('location-DC-EAST')) as HTMLInputElement;
    expect(east.value).toBe('gid://shopify/Location/1');
    fireEvent.change(screen.getByTestId('location-ST-BOS'), { target: { value: ' 7788 ' } });
    fireEvent.change(east, { target: { value: '' } });
    fireEvent.click(screen.getByTestId('sync-inventory'));
    fireEvent.click(screen.getByTestId('location-map-save'));
    await screen.findByTestId('notice-banner');
    expect(api.calls.find((c) => c.method === 'PATCH')?.body).toEqual({ config: { location_map: { 'n-2': '7788' }, sync_inventory: true } });

    const status = await screen.findByTestId('stock-sync-status');
    await waitFor(() => expect(screen.getByTestId('stock-sync-pending').textContent).toBe('3'));
    expect(screen.getByTestId('stock-sync-last-reconciliation').textContent).toContain('40 checked, 1 corrected');
    expect(within(status).getAllByTestId('stock-sync-change').map((c) => c.textContent)).toEqual([
      'TEE-1 @ gid://shopify/Location/1: 7 → 5',
      'CAP-1 @ gid://shopify/Location/1: not stocked → 2',
    ]);
    fireEvent.click(screen.getByTestId('stock-sync-reconcile'));
    await waitFor(() => expect(api.calls.some((c) => c.method === 'POST' && c.url === '/connectors/c-1/stock-sync/reconcile')).toBe(true));
  });

  it('still edits the map where the status route is missing, and says so', async () => {
    renderAt('/integrations', 'SUPERADMIN', {
      'GET /webhooks/endpoints': () => ({ status: 200, body: { items: [], count: 0 } }),
      'GET /connectors': () => ({ status: 200, body: { items: [SHOPIFY], count: 1 } }),
      'GET /nodes': () => ({ status: 200, body: NODES }),
    });
    const rows = await openConnectors();
    fireEvent.click(within(rows[0]).getByTestId('connector-stock-sync'));
    expect(await screen.findByTestId('location-ST-BOS')).toBeTruthy();
    expect((await screen.findByTestId('load-error')).getAttribute('data-code')).toBe('route_not_found');
  });

  it('says why a reconciliation was refused', async () => {
    renderAt('/integrations', 'SUPERADMIN', {
      'GET /webhooks/endpoints': () => ({ status: 200, body: { items: [], count: 0 } }),
      'GET /connectors': () => ({ status: 200, body: { items: [SHOPIFY], count: 1 } }),
      'GET /nodes': () => ({ status: 200, body: NODES }),
      'GET /connectors/c-1/stock-sync': () => ({ status: 200, body: { ...STATUS, last_reconciliation: null } }),
      'POST /connectors/c-1/stock-sync/reconcile': () => ({ status: 409, body: { error: { code: 'sync_disabled', message: 'stock sync is off for this connector', details: null } } }),
    });
    const rows = await openConnectors();
    fireEvent.click(within(rows[0]).getByTestId('connector-stock-sync'));
    await waitFor(() => expect(screen.getByTestId('stock-sync-last-reconciliation').textContent).toBe('never'));
    fireEvent.click(screen.getByTestId('stock-sync-reconcile'));
    const banner = await screen.findByTestId('error-banner');
    expect(banner.getAttribute('data-code')).toBe('sync_disabled');
    expect(screen.getByTestId('error-message').textContent).toBe('stock sync is off for this connector');
  });
});
