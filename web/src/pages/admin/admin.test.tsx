import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { App } from '../../App';
import { AuthProvider } from '../../auth';
import { NotifyProvider } from '../../notify';
import { session } from '../../api';
import { browser } from '../../lib/leave';
import { forgetStatuses } from '../../lib/tenantLook';
import { fakeApi } from '../../test/fakeApi';
import { renderAt } from '../../test/renderAt';

const S = (code: string, phase: string, extra: Record<string, unknown> = {}) => ({ code, name: code.toLowerCase(), color: '#336699', phase, anchor: true, terminal: false, ...extra });
const WORKFLOW = {
  version: 3,
  statuses: [S('RECEIVED', 'SOURCING'), S('PICKING', 'PICKING'), S('SHIPPED', 'SHIPPED'), S('CANCELLED', 'CANCELLED', { terminal: true })],
  transitions: [{ from: 'RECEIVED', to: 'PICKING' }, { from: 'PICKING', to: 'SHIPPED' }, { from: 'RECEIVED', to: 'CANCELLED' }],
  actions: [{ id: 'a1', status: 'SHIPPED', type: 'email', config: { template: 'order_shipped' } }],
  updated_at: '2026-11-30T01:00:00Z',
  updated_by: 'user:admin@example.com',
};
const VERSIONS = { items: [{ version: 3, updated_at: '2026-11-30T01:00:00Z', updated_by: 'admin' }, { version: 2, updated_at: '2026-11-29T01:00:00Z', updated_by: 'admin' }] };

afterEach(() => {
  session.clear();
  forgetStatuses();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('Navigation by role', () => {
  it('gives a SUPERADMIN the workflow, users and branding pages, the mailbox when the local cloud answers, no tenants', async () => {
    renderAt('/', 'SUPERADMIN', { 'GET /local/mailbox': () => ({ status: 200, body: { messages: [] } }) });
    await screen.findByTestId('nav-workflow');
    expect(screen.getByTestId('nav-users')).toBeTruthy();
    expect(screen.getByTestId('nav-branding')).toBeTruthy();
    await screen.findByTestId('nav-mailbox');
    expect(screen.queryByTestId('nav-tenants')).toBeNull();
  });

  it('hides the mailbox where GET /local/mailbox is a 404, and every admin page from a USER', async () => {
    renderAt('/', 'USER', {});
    await screen.findByTestId('nav-orders');
    for (const id of ['nav-workflow', 'nav-users', 'nav-branding', 'nav-mailbox', 'nav-tenants']) expect(screen.queryByTestId(id)).toBeNull();
  });

  it('gives a PLATFORM_OWNER the tenants page', async () => {
    renderAt('/', 'PLATFORM_OWNER', {});
    await screen.findByTestId('nav-tenants');
  });

  it('sends a CUSTOMER to their portal, never the dashboard', async () => {
    const go = vi.spyOn(browser, 'go').mockImplementation(() => undefined);
    renderAt('/', 'CUSTOMER', { 'GET /auth/me': () => ({ status: 200, body: { user_id: 'c', email: 'c@example.com', tenant_id: 'demo', tenant_slug: 'demo', role: 'CUSTOMER' } }) });
    const note = await screen.findByTestId('customer-redirect');
    expect(note.getAttribute('data-target')).toBe('/portal/demo');
    // The redirect runs in an effect after the note renders: wait for it rather than race it.
    await waitFor(() => expect(go).toHaveBeenCalledWith('/portal/demo'));
    expect(screen.queryByTestId('nav-orders')).toBeNull();
  });

  it('applies the tenant branding after sign-in and names statuses as the tenant does', async () => {
    renderAt('/orders', 'USER', {
      'GET /auth/me': () => ({ status: 200, body: { user_id: 'u', email: 'u@example.com', tenant_id: 'demo', tenant_slug: 'demo', role: 'USER' } }),
      'GET /branding/demo': () => ({ status: 200, body: { shop_name: 'Demo Outfitters', primary_color: '#0a7d5a' } }),
      'GET /workflow/statuses': () => ({ status: 200, body: { statuses: [S('RECEIVED', 'SOURCING', { name: 'Received' })] } }),
      'GET /search/orders': () => ({ status: 200, body: { items: [], total: 0 } }),
      'GET /orders': () => ({ status: 200, body: { items: [{ id: 'o1', order_number: 'ORD-1', status: 'SOURCING', status_code: 'RECEIVED', channel: 'WEB', fulfillment_type: 'SHIP_TO_HOME', customer_email: 'x@example.com', customer_name: 'X', total_amount: '1.00', currency: 'USD', created_at: '2026-11-30T00:00:00Z', updated_at: '2026-11-30T00:00:00Z' }], next_cursor: null } }),
    });
    await waitFor(() => expect(screen.getByTestId('brand').getAttribute('data-shop-name')).toBe('Demo Outfitters'));
    await waitFor(() => expect(document.documentElement.style.getPropertyValue('--accent')).toBe('#0a7d5a'));
    const row = await screen.findByTestId('order-row');
    await waitFor(() => expect(within(row).getByText('Received')).toBeTruthy());
  });

  it('brands the login page opened with ?tenant=<slug>', async () => {
    fakeApi({ 'GET /branding/acme': () => ({ status: 200, body: { shop_name: 'Acme Shop', primary_color: '#aa0000' } }) });
    render(
      <MemoryRouter initialEntries={['/login?tenant=acme']}>
        <NotifyProvider><AuthProvider><App /></AuthProvider></NotifyProvider>
      </MemoryRouter>,
    );
    await waitFor(() => expect(screen.getByTestId('login-brand').getAttribute('data-shop-name')).toBe('Acme Shop'));
  });
});

describe('Workflow page', () => {
  it('adds a status and saves the whole document', async () => {
    let saved: unknown = null;
    const api = renderAt('/workflow', 'SUPERADMIN', {
      'GET /workflow': () => ({ status: 200, body: WORKFLOW }),
      'GET /workflow/versions': () => ({ status: 200, body: VERSIONS }),
      'GET /webhooks/endpoints': () => ({ status: 200, body: { items: [], count: 0 } }),
      'PUT /workflow': (init) => {
        saved = JSON.parse(String(init.body));
        return { status: 200, body: { ...WORKFLOW, ...(saved as object), version: 4 } };
      },
    });
    await screen.findByTestId('workflow-statuses');
    expect(screen.getAllByTestId('wf-status-row')).toHaveLength(4);
    expect(screen.getAllByTestId('wf-action-row')[0].getAttribute('data-type')).toBe('email');
    fireEvent.click(screen.getByTestId('wf-status-add'));
    const rows = screen.getAllByTestId('wf-status-row');
    fireEvent.change(within(rows[4]).getByTestId('wf-status-code'), { target: { value: 'quality_check' } });
    fireEvent.change(within(rows[4]).getByTestId('wf-status-name'), { target: { value: 'Quality check' } });
    fireEvent.change(screen.getByTestId('wf-transition-from'), { target: { value: 'PICKING' } });
    fireEvent.change(screen.getByTestId('wf-transition-to'), { target: { value: 'QUALITY_CHECK' } });
    fireEvent.click(screen.getByTestId('wf-transition-add'));
    fireEvent.click(screen.getByTestId('workflow-save'));
    await waitFor(() => expect(screen.getByTestId('page-workflow').getAttribute('data-version')).toBe('4'));
    const body = saved as { statuses: { code: string; name: string }[]; transitions: { from: string; to: string }[]; version?: number };
    expect(body.statuses.map((s) => s.code)).toEqual(['RECEIVED', 'PICKING', 'SHIPPED', 'CANCELLED', 'QUALITY_CHECK']);
    expect(body.transitions).toContainEqual({ from: 'PICKING', to: 'QUALITY_CHECK' });
    expect(body.version).toBeUndefined();
    expect((saved as { expected_version?: number }).expected_version).toBe(3);
    expect(api.calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
  });

  it('shows each 422 problem next to the status or transition it names', async () => {
    renderAt('/workflow', 'SUPERADMIN', {
      'GET /workflow': () => ({ status: 200, body: WORKFLOW }),
      'GET /workflow/versions': () => ({ status: 200, body: VERSIONS }),
      'GET /webhooks/endpoints': () => ({ status: 200, body: { items: [], count: 0 } }),
      'PUT /workflow': () => ({
        status: 422,
        body: { error: { code: 'invalid_workflow', message: 'The workflow is not valid', details: [
          { problem: 'unreachable', status: 'SHIPPED', message: 'SHIPPED cannot be reached from the start' },
          { problem: 'terminal_has_exits', status: 'CANCELLED', message: 'CANCELLED is terminal but has exits', transition: { from: 'CANCELLED', to: 'RECEIVED' } },
          { problem: 'missing_anchor', status: null, message: 'No anchor for DELIVERED' },
        ] } },
      }),
    });
    await screen.findByTestId('workflow-statuses');
    fireEvent.change(screen.getByTestId('wf-transition-from'), { target: { value: 'CANCELLED' } });
    fireEvent.change(screen.getByTestId('wf-transition-to'), { target: { value: 'RECEIVED' } });
    fireEvent.click(screen.getByTestId('wf-transition-add'));
    fireEvent.click(screen.getByTestId('workflow-save'));
    const banner = await screen.findByTestId('workflow-rejected');
    expect(banner.getAttribute('data-code')).toBe('invalid_workflow');
    expect(within(banner).getByTestId('workflow-problem-general').getAttribute('data-problem')).toBe('missing_anchor');
    const shipped = screen.getAllByTestId('wf-status-row').find((r) => r.getAttribute('data-code') === 'SHIPPED')!;
    expect(shipped.getAttribute('data-problem')).toBe('true');
    expect(within(shipped).getByTestId('workflow-problem').getAttribute('data-problem')).toBe('unreachable');
    const exit = screen.getAllByTestId('wf-transition-row').find((r) => r.getAttribute('data-from') === 'CANCELLED')!;
    expect(within(exit).getByTestId('workflow-problem').textContent).toContain('terminal but has exits');
    expect(screen.getByTestId('page-workflow').getAttribute('data-version')).toBe('3');
  });

  it('rolls back to an earlier version', async () => {
    const api = renderAt('/workflow', 'SUPERADMIN', {
      'GET /workflow': () => ({ status: 200, body: WORKFLOW }),
      'GET /workflow/versions': () => ({ status: 200, body: VERSIONS }),
      'GET /webhooks/endpoints': () => ({ status: 200, body: { items: [], count: 0 } }),
      'POST /workflow/rollback': () => ({ status: 200, body: { ...WORKFLOW, version: 5 } }),
    });
    const rows = await screen.findAllByTestId('wf-version-row');
    expect(within(rows[0]).queryByTestId('wf-rollback')).toBeNull();
    fireEvent.click(within(rows[1]).getByTestId('wf-rollback'));
    await waitFor(() => expect(screen.getByTestId('page-workflow').getAttribute('data-version')).toBe('5'));
    expect(api.calls.find((c) => c.url === '/workflow/rollback')?.body).toEqual({ version: 2 });
  });
});

describe('Users, tenants, branding, mailbox', () => {
  it('invites a user and shows the invitation link once', async () => {
    const api = renderAt('/users', 'SUPERADMIN', {
      'GET /users': () => ({ status: 200, body: { items: [{ id: 'u1', email: 'someone@example.com', name: 'Me', role: 'SUPERADMIN', active: true, tenant_id: 'demo', created_at: '2026-11-30T00:00:00Z', invited: false }] } }),
      'POST /users': () => ({ status: 201, body: { id: 'u2', email: 'new@example.com', name: 'New', role: 'USER', active: true, tenant_id: 'demo', created_at: '2026-11-30T00:00:00Z', invited: true, invitation_token: 'inv-tok' } }),
      'PATCH /users/u1': () => ({ status: 200, body: {} }),
    });
    await screen.findByTestId('users-table');
    fireEvent.change(screen.getByTestId('invite-email'), { target: { value: 'new@example.com' } });
    fireEvent.change(screen.getByTestId('invite-name'), { target: { value: 'New' } });
    fireEvent.click(screen.getByTestId('invite-submit'));
    const link = await screen.findByTestId('once-link-url');
    expect(link.textContent).toMatch(/\/app\/accept-invitation\?token=inv-tok$/);
    expect(api.calls.find((c) => c.method === 'POST' && c.url === '/users')?.body).toEqual({ email: 'new@example.com', name: 'New', role: 'USER' });
    fireEvent.click(screen.getByTestId('once-link-close'));
    expect(screen.queryByTestId('once-link')).toBeNull();
  });

  it('deactivates with PATCH active=false and shows a reset link once', async () => {
    const api = renderAt('/users', 'SUPERADMIN', {
      'GET /users': () => ({ status: 200, body: { items: [{ id: 'u2', email: 'other@example.com', name: 'Other', role: 'CUSTOMER', active: true, tenant_id: 'demo', created_at: '2026-11-30T00:00:00Z', invited: false }] } }),
      'PATCH /users/u2': () => ({ status: 200, body: {} }),
      'POST /users/u2/reset-password': () => ({ status: 201, body: { user_id: 'u2', reset_token: 'rs-tok', expires_at: '2026-11-30T01:00:00Z' } }),
    });
    const row = await screen.findByTestId('user-row');
    fireEvent.click(within(row).getByTestId('user-reset'));
    expect((await screen.findByTestId('once-link-url')).textContent).toMatch(/\/portal\/demo\/accept\?token=rs-tok$|\/portal\/[^/]+\/accept\?token=rs-tok$/);
    fireEvent.click(within(row).getByTestId('user-deactivate'));
    await waitFor(() => expect(api.calls.find((c) => c.method === 'PATCH')?.body).toEqual({ active: false }));
    expect(api.calls.some((c) => c.method === 'DELETE')).toBe(false);
  });

  it('creates and suspends tenants', async () => {
    const api = renderAt('/tenants', 'PLATFORM_OWNER', {
      'GET /tenants': () => ({ status: 200, body: { items: [{ id: 'demo', name: 'Demo', slug: 'demo', status: 'ACTIVE', admin_email: 'admin@example.com', created_at: '2026-11-30T00:00:00Z' }] } }),
      'POST /tenants': () => ({ status: 201, body: { id: 't2', name: 'Acme', slug: 'acme', status: 'ACTIVE', admin_email: 'boss@acme.test', created_at: '2026-11-30T00:00:00Z', invitation_token: 't-tok' } }),
      'PATCH /tenants/demo': () => ({ status: 200, body: {} }),
    });
    await screen.findByTestId('tenants-table');
    fireEvent.change(screen.getByTestId('tenant-name'), { target: { value: 'Acme' } });
    fireEvent.change(screen.getByTestId('tenant-slug'), { target: { value: '-bad' } });
    expect((screen.getByTestId('tenant-submit') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId('tenant-slug'), { target: { value: 'acme' } });
    fireEvent.change(screen.getByTestId('tenant-admin-email'), { target: { value: 'boss@acme.test' } });
    fireEvent.click(screen.getByTestId('tenant-submit'));
    expect((await screen.findByTestId('once-link-url')).textContent).toContain('token=t-tok');
    fireEvent.click(screen.getByTestId('tenant-suspend'));
    await waitFor(() => expect(api.calls.find((c) => c.method === 'PATCH')?.body).toEqual({ status: 'SUSPENDED' }));
  });

  it('previews the branding live and saves it', async () => {
    const api = renderAt('/branding', 'SUPERADMIN', {
      'GET /branding': () => ({ status: 200, body: { shop_name: 'Demo', primary_color: '#2f6fed', accent_color: '#141b2d' } }),
      'PUT /branding': (init) => ({ status: 200, body: JSON.parse(String(init.body)) }),
    });
    await screen.findByTestId('branding-form');
    fireEvent.change(screen.getByTestId('branding-shop-name'), { target: { value: 'Demo Outfitters' } });
    fireEvent.change(screen.getByTestId('branding-primary'), { target: { value: '#0a7d5a' } });
    expect(screen.getByTestId('preview-shop-name').textContent).toBe('Demo Outfitters');
    expect(screen.getByTestId('branding-preview').getAttribute('data-primary')).toBe('#0a7d5a');
    fireEvent.click(screen.getByTestId('branding-save'));
    await waitFor(() => expect(api.calls.find((c) => c.method === 'PUT')?.body).toMatchObject({ shop_name: 'Demo Outfitters', primary_color: '#0a7d5a' }));
  });

  it('shows the local mailbox with the HTML in a sandboxed frame', async () => {
    renderAt('/mailbox', 'SUPERADMIN', {
      'GET /local/mailbox': () => ({ status: 200, body: { messages: [{ id: 'm1', to: 'c@example.com', from: 'Demo <shop@example.com>', subject: 'Your order shipped', html: '<p>Shipped</p><script>alert(1)</script>', text: 'Shipped', sent_at: '2026-11-30T00:00:00Z' }] } }),
    });
    const row = await screen.findByTestId('mail-row');
    expect(row.getAttribute('data-subject')).toBe('Your order shipped');
    const frame = screen.getByTestId('mail-html') as HTMLIFrameElement;
    expect(frame.getAttribute('sandbox')).toBe('');
    expect(frame.getAttribute('srcdoc')).toContain('Shipped');
  });
});
