import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { session } from '../../api';
import { renderAt } from '../../test/renderAt';

const EXC = {
  exception_id: 'e-1', order_ref: 'ext:SO-1001', order_id: null, external_order_id: 'SO-1001', order_number: null, source: 'wms',
  milestone: 'pick_completed', kind: 'late', severity: 'CRITICAL', status: 'OPEN', breach_open: false, policy_id: 'p-1', factor: 1,
  window_minutes: 120, clock_started_at: '2026-11-29T10:00:00Z', deadline: '2026-11-29T12:00:00Z', observed_at: '2026-11-29T15:00:00Z',
  late_minutes: 180, facts: { node: 'DC-1' },
  analysis: {
    label: 'PICK_DELAY', confidence: 0.7, ops_note: 'Pick at DC-1 ran 3 h late; check the wave.', client_note: 'Your order is a little delayed.',
    reasoning: 'pick_completed came 180 min after its deadline', analyst: 'rules', model: null, prompt_version: null, analysed_at: '2026-11-29T15:00:01Z',
  },
  acknowledged_by: null, acknowledged_at: null, resolved_by: null, resolved_at: null, resolution_note: null,
  created_at: '2026-11-29T15:00:00Z', updated_at: '2026-11-29T15:00:00Z', version: 1,
};
const MEDIUM = { ...EXC, exception_id: 'e-2', order_ref: 'o-2', order_id: 'o-2', order_number: 'ORD-2', external_order_id: null, severity: 'MEDIUM', milestone: 'pack_completed', late_minutes: 20, analysis: null };


const RADAR = {
  open_by_severity: { CRITICAL: 1, MEDIUM: 1 }, open_by_label: { PICK_DELAY: 1 },
  at_risk: [{ order_ref: 'o-9', milestone: 'shipped', deadline: '2026-11-30T10:00:00Z', elapsed_pct: 85.2 }], recent: [EXC],
};

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe('SLA radar page', () => {
  it('shows open exceptions by severity and label, the at-risk list and the table, most severe first', async () => {
    renderAt('/radar', 'USER', {
      'GET /sla/radar': () => ({ status: 200, body: RADAR }),
      'GET /exceptions': () => ({ status: 200, body: { items: [MEDIUM, EXC], next_cursor: 'next-1' } }),
    });
    await screen.findByTestId('page-radar');
    const cards = await screen.findAllByTestId('severity-card');
    expect(cards.map((c) => `${c.getAttribute('data-severity')}=${c.getAttribute('data-count')}`)).toEqual(['CRITICAL=1', 'HIGH=0', 'MEDIUM=1', 'LOW=0']);
    expect(screen.getByTestId('label-row').getAttribute('data-label')).toBe('PICK_DELAY');
    expect(screen.getByTestId('at-risk-row').getAttribute('data-order-ref')).toBe('o-9');
    const rows = await screen.findAllByTestId('exception-row');
    expect(rows.map((r) => r.getAttribute('data-severity'))).toEqual(['CRITICAL', 'MEDIUM']);
    expect((screen.getByTestId('exceptions-pager-next') as HTMLButtonElement).disabled).toBe(false);
    expect(screen.getByTestId('nav-radar')).toBeTruthy();
    expect(screen.getByTestId('nav-invoices')).toBeTruthy();
  });

  it('sends the filters and the cursor to GET /exceptions', async () => {
    const api = renderAt('/radar', 'USER', {
      'GET /sla/radar': () => ({ status: 200, body: RADAR }),
      'GET /exceptions': ({ url }) => ({ status: 200, body: { items: [EXC], next_cursor: url.includes('cursor=') ? null : 'c-2' } }),
    });
    await screen.findAllByTestId('exception-row');
    fireEvent.change(screen.getByTestId('exc-filter-severity'), { target: { value: 'CRITICAL' } });
    fireEvent.change(screen.getByTestId('exc-filter-label'), { target: { value: 'PICK_DELAY' } });
    await waitFor(() => expect(api.calls.some((c) => c.url === '/exceptions?limit=25&label=PICK_DELAY&severity=CRITICAL')).toBe(true));
    await waitFor(() => expect((screen.getByTestId('exceptions-pager-next') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId('exceptions-pager-next'));
    await waitFor(() => expect(api.calls.some((c) => c.url === '/exceptions?limit=25&label=PICK_DELAY&severity=CRITICAL&cursor=c-2')).toBe(true));
  });

  it('opens an exception with its analysis, acknowledges it and resolves it with a note', async () => {
    let current: Record<string, unknown> = { ...EXC };
    const api = renderAt('/radar', 'USER', {
      'GET /sla/radar': () => ({ status: 200, body: RADAR }),
      'GET /exceptions': () => ({ status: 200, body: { items: [current], next_cursor: null } }),
      'GET /exceptions/e-1': () => ({ status: 200, body: current }),
      'POST /exceptions/e-1/acknowledge': () => {
        current = { ...current, status: 'ACKNOWLEDGED', acknowledged_by: 'user:someone@example.com', acknowledged_at: '2026-11-29T15:05:00Z' };
        return { status: 200, body: current };
      },
      'POST /exceptions/e-1/resolve': () => {
        current = { ...current, status: 'RESOLVED', resolved_by: 'user:someone@example.com', resolved_at: '2026-11-29T15:10:00Z', resolution_note: 'wave re-released' };
        return { status: 200, body: current };
      },
    });
    fireEvent.click(await screen.findByTestId('exception-open'));
    const drawer = await screen.findByTestId('exception-drawer');
    await within(drawer).findByTestId('exception-analysis');
    expect(within(drawer).getByTestId('analysis-label').getAttribute('data-value')).toBe('PICK_DELAY');
    expect(within(drawer).getByTestId('analysis-confidence').textContent).toContain('70%');
    expect(within(drawer).getByTestId('analysis-analyst').textContent).toContain('rules');
    expect(within(drawer).getByTestId('analysis-ops-note').textContent).toContain('check the wave');
    expect(within(drawer).getByTestId('analysis-client-note').textContent).toBe('Your order is a little delayed.');
    expect(within(drawer).getByTestId('analysis-reasoning').textContent).toContain('180 min');
    expect(within(drawer).getByTestId('exception-timeline-link').getAttribute('href')).toBe('/radar/orders/ext%3ASO-1001');

    fireEvent.click(within(drawer).getByTestId('exception-acknowledge'));
    await waitFor(() => expect(screen.getByTestId('exception-drawer').getAttribute('data-status')).toBe('ACKNOWLEDGED'));
    expect((screen.getByTestId('exception-resolve') as HTMLButtonElement).disabled).toBe(true); // no note yet
    fireEvent.change(screen.getByTestId('resolve-note'), { target: { value: '  wave re-released  ' } });
    fireEvent.click(screen.getByTestId('exception-resolve'));
    await waitFor(() => expect(screen.getByTestId('exception-drawer').getAttribute('data-status')).toBe('RESOLVED'));
    expect(api.calls.find((c) => c.method === 'POST' && c.url === '/exceptions/e-1/resolve')!.body).toEqual({ note: 'wave re-released' });
    expect(screen.getByTestId('resolution').textContent).toContain('wave re-released');
    expect(screen.queryByTestId('exception-resolve')).toBeNull();
  });

  it("draws an order's timeline against its deadlines, late ones marked", async () => {
    renderAt('/radar/orders/ext%3ASO-1001', 'USER', {
      'GET /sla/orders/ext%3ASO-1001/timeline': () => ({
        status: 200,
        body: {
          order_ref: 'ext:SO-1001', policy_id: 'p-1', factor: 1, clock_started_at: '2026-11-29T10:00:00Z', exceptions: [EXC],
          milestones: [
            { milestone: 'order_paid', at: '2026-11-29T10:00:00Z', deadline: null, state: 'met' },
            { milestone: 'pick_completed', at: '2026-11-29T15:00:00Z', deadline: '2026-11-29T12:00:00Z', state: 'late' },
            { milestone: 'pack_completed', at: null, deadline: '2026-11-29T14:00:00Z', state: 'breached' },
          ],
        },
      }),
    });
    const chart = await screen.findByTestId('sla-timeline-chart');
    expect(chart.getAttribute('data-points')).toBe('2');
    const late = chart.querySelector("[data-testid='tl-point'][data-milestone='pick_completed']")!;
    expect(late.getAttribute('data-late')).toBe('true');
    expect(late.querySelector('circle')!.getAttribute('class')).toContain('tl-late');
    expect(chart.querySelector("[data-testid='tl-deadline'][data-milestone='pack_completed']")!.getAttribute('data-missed')).toBe('true');
    expect(screen.getAllByTestId('tl-row').map((r) => r.getAttribute('data-state'))).toEqual(['met', 'late', 'breached']);
    expect(screen.getAllByTestId('exception-row')).toHaveLength(1);
  });

  it('lets a SUPERADMIN edit a policy and a USER only read it', async () => {
    const POLICY = {
      id: 'p-1', name: 'Standard', is_default: true, is_active: true, pick_minutes: 120, pack_minutes: 240, ship_minutes: 1440, delivery_hours: 96,
      warning_pct: 80, critical_pct: 150, multipliers: [{ when: { field: 'weekend', operator: 'EQUALS', value: true }, factor: 1.5 }],
      version: 1, created_at: '2026-11-01T00:00:00Z', updated_at: '2026-11-01T00:00:00Z',
    };
    const api = renderAt('/radar?tab=policies', 'SUPERADMIN', {
      'GET /sla/policies': () => ({ status: 200, body: { items: [POLICY], count: 1 } }),
      'PATCH /sla/policies/p-1': () => ({ status: 200, body: { ...POLICY, pick_minutes: 90, version: 2 } }),
    });
    fireEvent.click(await screen.findByTestId('policy-edit'));
    fireEvent.change(screen.getByTestId('policy-pick'), { target: { value: '90' } });
    fireEvent.click(screen.getByTestId('policy-save'));
    await waitFor(() => expect(api.calls.some((c) => c.method === 'PATCH')).toBe(true));
    const body = api.calls.find((c) => c.method === 'PATCH')!.body as Record<string, unknown>;
    expect(body).toMatchObject({ expected_version: 1, pick_minutes: 90, pack_minutes: 240, warning_pct: 80, multipliers: [{ when: { field: 'weekend', operator: 'EQUALS', value: true }, factor: 1.5 }] });
    await screen.findByTestId('notice-banner');
  });

  it('shows a USER the policies without an edit button', async () => {
    renderAt('/radar?tab=policies', 'USER', {
      'GET /sla/policies': () => ({ status: 200, body: { items: [], count: 0 } }),
    });
    await screen.findByTestId('sla-policies');
    expect(screen.queryByTestId('policy-edit')).toBeNull();
    expect(screen.getByText(/Read only/)).toBeTruthy();
  });
});
