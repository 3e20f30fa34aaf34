// Webhook endpoints (create, activate/deactivate, rotate secret, test, delete) and the delivery log
// (filter by endpoint and state, paged, retry).

import { useEffect, useState, type FormEvent } from 'react';
import { webhooks, type WebhookEndpoint } from '../../api';
import { Badge, Empty, Field, LoadError, Loading, Pager, Panel } from '../../components/ui';
import { dateTime, shortId } from '../../format';
import { useCursorPager, useLoad } from '../../lib/hooks';
import { useAction } from '../../notify';

const STATES = ['PENDING', 'RETRYING', 'DELIVERED', 'DEAD'];
// What an endpoint may subscribe to: the server's SUBSCRIBABLE_EVENT_TYPES (oms.domain.events)
const EVENT_TYPES = [
  '*', 'order.created', 'order.confirmed', 'order.sourcing', 'order.sourced', 'order.backordered', 'order.picking', 'order.packing',
  'order.packed', 'order.ready_for_pickup', 'order.shipped', 'order.partially_shipped', 'order.out_for_delivery', 'order.delivered',
  'order.partially_delivered', 'order.picked_up', 'order.cancelled', 'order.failed', 'order.partially_returned', 'order.returned',
  'order.refunded', 'return.requested', 'return.approved', 'return.rejected', 'return.received', 'order.status_changed',
  'order.updated', 'exception.created', 'exception.resolved', 'inventory.low_stock', 'inventory.out_of_stock', 'inventory.restocked',
];

export default function Webhooks() {
  const endpoints = useLoad(() => webhooks.endpoints(), []);
  const { run, busy } = useAction();
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);
  const [editing, setEditing] = useState<WebhookEndpoint | null>(null);

  async function act<T>(label: string, fn: () => Promise<T>, done: string) {
    const result = await run(label, fn, done);
    if (result !== undefined) void endpoints.reload();
    return result;
  }

  return (
    <>
      <Panel title="Endpoints" testid="webhook-endpoints">
        <LoadError error={endpoints.error} what="webhook endpoints" />
        {endpoints.loading && !endpoints.data && <Loading />}
        {secret && (
          <div className="secret" data-testid="webhook-secret">
            Signing secret of {shortId(secret.id)} (shown once, keep it now): <code>{secret.secret}</code>{' '}
            <button type="button" className="btn btn-small" onClick={() => setSecret(null)}>Hide</button>
          </div>
        )}
        {endpoints.data && !endpoints.data.items.length && <Empty>No endpoints yet.</Empty>}
        {endpoints.data && endpoints.data.items.length > 0 && (
          <table className="table">
            <thead><tr><th>URL</th><th>Events</th><th>Signature</th><th>Active</th><th /></tr></thead>
            <tbody>
              {endpoints.data.items.map((ep: WebhookEndpoint) => (
                <tr key={ep.id} data-testid="webhook-row">
                  <td className="mono small">{ep.url}{ep.description && <div className="muted">{ep.description}</div>}</td>
                  <td className="small">{ep.event_types.join(', ')}</td>
                  <td className="small">{ep.signature_version ?? '—'}</td>
                  <td><Badge value={ep.active ? 'ACTIVE' : 'INACTIVE'} /></td>
                  <td className="nowrap">
                    <button type="button" className="btn btn-small" disabled={busy} onClick={() => act('Update endpoint', () => webhooks.update(ep.id, { active: !ep.active }), ep.active ? 'Endpoint deactivated' : 'Endpoint activated')}>
                      {ep.active ? 'Deactivate' : 'Activate'}
                    </button>{' '}
                    <button type="button" className="btn btn-small" onClick={() => setEditing(ep)} data-testid="webhook-edit">Edit</button>{' '}
                    <button type="button" className="btn btn-small" disabled={busy} onClick={() => act('Test endpoint', () => webhooks.test(ep.id), 'Test event queued')} data-testid="webhook-test">Test</button>{' '}
                    <button type="button" className="btn btn-small" disabled={busy} onClick={async () => {
                      const r = await act('Rotate secret', () => webhooks.rotate(ep.id), 'Secret rotated');
                      if (r && typeof r.secret === 'string') setSecret({ id: ep.id, secret: r.secret });
                    }}>Rotate secret</button>{' '}
                    <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => window.confirm(`Delete ${ep.url}?`) && act('Delete endpoint', () => webhooks.remove(ep.id).then(() => true), 'Endpoint deleted')}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <EndpointForm
          key={editing?.id ?? 'new'}
          editing={editing}
          onDone={(ep) => {
            if (ep.secret) setSecret({ id: ep.id, secret: ep.secret });
            setEditing(null);
            void endpoints.reload();
          }}
          onCancel={() => setEditing(null)}
        />
      </Panel>
      <Deliveries endpoints={endpoints.data?.items ?? []} />
    </>
  );
}

function EndpointForm({ editing, onDone, onCancel }: { editing: WebhookEndpoint | null; onDone: (ep: WebhookEndpoint) => void; onCancel: () => void }) {
  const { run, busy } = useAction();
  const [url, setUrl] = useState(editing?.url ?? '');
  const [types, setTypes] = useState<string[]>(editing?.event_types ?? ['*']);
  const [description, setDescription] = useState(editing?.description ?? '');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const fields = { url: url.trim(), event_types: types, description: description.trim() || undefined };
    const ep = editing
      ? await run('Update endpoint', () => webhooks.update(editing.id, fields), 'Endpoint updated')
      : await run('Create endpoint', () => webhooks.create(fields), 'Endpoint created');
    if (ep) {
      setUrl('');
      setDescription('');
      onDone(ep);
    }
  }

  return (
    <form onSubmit={submit} data-testid="webhook-form">
      <h3 className="sub">{editing ? `Edit ${editing.url}` : 'New endpoint'}</h3>
      <div className="row">
        <Field label="URL"><input required type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/oms" data-testid="webhook-url" /></Field>
        <Field label="Description"><input value={description} onChange={(e) => setDescription(e.target.value)} /></Field>
      </div>
      <Field label="Events" hint="* is every event; ctrl/cmd-click to choose several">
        <select multiple size={5} value={types} onChange={(e) => setTypes([...e.target.selectedOptions].map((o) => o.value))} data-testid="webhook-events">
          {EVENT_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </Field>
      <button type="submit" className="btn btn-primary" disabled={busy || !types.length} data-testid="webhook-create">{editing ? 'Save endpoint' : 'Create endpoint'}</button>
      {editing && <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>}
    </form>
  );
}

function Deliveries({ endpoints }: { endpoints: WebhookEndpoint[] }) {
  const [endpointId, setEndpointId] = useState('');
  const [state, setState] = useState('');
  const pager = useCursorPager();
  useEffect(() => pager.reset(), [endpointId, state]); // back to the first page when the filters change
  const log = useLoad(() => webhooks.deliveries({ endpoint_id: endpointId, status: state, limit: 25, cursor: pager.cursor }), [endpointId, state, pager.cursor], 10000);
  const { run, busy } = useAction();

  return (
    <Panel
      title="Delivery log"
      testid="webhook-deliveries"
      actions={
        <>
          <select value={endpointId} onChange={(e) => setEndpointId(e.target.value)} aria-label="Endpoint">
            <option value="">All endpoints</option>
            {endpoints.map((ep) => <option key={ep.id} value={ep.id}>{ep.url}</option>)}
          </select>
          <select value={state} onChange={(e) => setState(e.target.value)} aria-label="State" data-testid="delivery-state">
            <option value="">Any state</option>
            {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </>
      }
    >
      <LoadError error={log.error} what="deliveries" />
      {log.data && !log.data.items.length && <Empty>No deliveries.</Empty>}
      {log.data && log.data.items.length > 0 && (
        <table className="table table-compact">
          <thead><tr><th>Delivery</th><th>Event</th><th>State</th><th className="num">Attempts</th><th>Last answer</th><th>Next retry</th><th>Created</th><th /></tr></thead>
          <tbody>
            {log.data.items.map((d) => (
              <tr key={d.id} data-testid="delivery-row" data-state={d.state}>
                <td className="mono small">{d.id}<div className="muted">{d.url}</div></td>
                <td className="small">{d.event_type}</td>
                <td><Badge value={d.state} /></td>
                <td className="num">{d.attempt_count ?? d.attempts?.length ?? 0}</td>
                <td className="small">{d.last_status_code ?? ''} {d.last_error ?? ''}</td>
                <td className="small">{d.next_retry_at ? dateTime(d.next_retry_at) : '—'}</td>
                <td className="small">{dateTime(d.created_at)}</td>
                <td>
                  {d.state !== 'DELIVERED' && (
                    <button type="button" className="btn btn-small" disabled={busy} onClick={async () => { if (await run('Retry delivery', () => webhooks.retry(d.id), 'Delivery queued again')) void log.reload(); }} data-testid="delivery-retry">
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager testid="deliveries-pager" page={pager.page} hasPrev={pager.hasPrev} hasNext={Boolean(log.data?.next_cursor)} onPrev={pager.prev} onNext={() => pager.next(log.data?.next_cursor)} />
    </Panel>
  );
}
