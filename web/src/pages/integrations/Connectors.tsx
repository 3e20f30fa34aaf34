// Sales-channel connectors (Shopify, Amazon): list, create, toggle, test, delete, and each one's
// event log.

import { useState, type FormEvent } from 'react';
import { connectors, type Connector } from '../../api';
import { Badge, Empty, Field, LoadError, Loading, Panel } from '../../components/ui';
import { dateTime, humanize } from '../../format';
import { useLoad } from '../../lib/hooks';
import { useAction } from '../../notify';
import { StockSync } from './StockSync';

const TEMPLATES: Record<string, string> = {
  SHOPIFY: JSON.stringify({ shop_domain: 'mystore.myshopify.com', access_token: 'shpat_…', webhook_secret: '…' }, null, 2),
  AMAZON: JSON.stringify({ seller_id: '', marketplace_ids: ['ATVPDKIKX0DER'], lwa_client_id: '', lwa_client_secret: '', refresh_token: '' }, null, 2),
};

export default function Connectors() {
  const list = useLoad(() => connectors.list(), []);
  const { run, busy } = useAction();
  const [open, setOpen] = useState<string | null>(null);
  const [syncOpen, setSyncOpen] = useState<string | null>(null);
  const syncing = list.data?.items.find((c) => c.id === syncOpen && c.type === 'SHOPIFY');

  async function act<T>(label: string, fn: () => Promise<T>, done: string | ((r: T) => string)) {
    const result = await run(label, fn, done);
    if (result !== undefined) void list.reload();
  }

  return (
    <>
      <Panel title="Connectors" testid="connectors-panel">
        <LoadError error={list.error} what="connectors" />
        {list.loading && !list.data && <Loading />}
        {list.data && !list.data.items.length && <Empty>No connectors.</Empty>}
        {list.data && list.data.items.length > 0 && (
          <table className="table">
            <thead><tr><th>Name</th><th>Type</th><th>Direction</th><th>Status</th><th>Config</th><th /></tr></thead>
            <tbody>
              {list.data.items.map((c: Connector) => (
                <tr key={c.id} data-testid="connector-row" data-connector-id={c.id} data-type={c.type}>
                  <td><strong>{c.name}</strong>{c.webhook_url && <div className="muted small mono">{c.webhook_url}</div>}</td>
                  <td>{c.type}</td>
                  <td className="small">{humanize(c.direction)}</td>
                  <td><Badge value={c.status} />{c.last_error && <div className="small text-bad">{c.last_error}</div>}</td>
                  <td className="small"><code className="json">{JSON.stringify(c.config)}</code></td>
                  <td className="nowrap">
                    <button type="button" className="btn btn-small" disabled={busy} onClick={() => act('Toggle connector', () => connectors.toggle(c.id), (r) => `${r.name} is ${r.status}`)}>Toggle</button>{' '}
                    <button type="button" className="btn btn-small" disabled={busy} onClick={() => act('Test connector', () => connectors.test(c.id), (r) => (r.ok ? 'Connection works' : `Connection failed: ${String(r.error ?? r.detail ?? '')}`))}>Test</button>{' '}
                    <button type="button" className="btn btn-small" onClick={() => setOpen(open === c.id ? null : c.id)} aria-expanded={open === c.id}>Events</button>{' '}
                    {c.type === 'SHOPIFY' && (
                      <><button type="button" className="btn btn-small" onClick={() => setSyncOpen(syncOpen === c.id ? null : c.id)} aria-expanded={syncOpen === c.id} data-testid="connector-stock-sync">Stock sync</button>{' '}</>
                    )}
                    <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => window.confirm(`Delete ${c.name}?`) && act('Delete connector', () => connectors.remove(c.id).then(() => true), 'Connector deleted')}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <ConnectorForm onCreated={() => void list.reload()} />
      </Panel>
      {syncing && <StockSync key={syncing.id} connector={syncing} onSaved={() => void list.reload()} />}
      {open && <ConnectorEvents id={open} name={list.data?.items.find((c) => c.id === open)?.name ?? open} />}
    </>
  );
}

function ConnectorEvents({ id, name }: { id: string; name: string }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const events = useLoad(() => connectors.events(id, cursor), [id, cursor], 10000);
  return (
    <Panel title={`Events of ${name}`} testid="connector-events">
      <LoadError error={events.error} what="connector events" />
      {events.data && !events.data.items.length && <Empty>No events yet.</Empty>}
      {events.data && events.data.items.length > 0 && (
        <table className="table table-compact">
          <thead><tr><th>When</th><th>Type</th><th>OK</th><th>Detail</th></tr></thead>
          <tbody>
            {events.data.items.map((e, i) => (
              <tr key={`${e.at}-${i}`}>
                <td className="small">{dateTime(e.at)}</td>
                <td>{humanize(e.type)}</td>
                <td>{e.ok === undefined ? '—' : <Badge value={e.ok ? 'success' : 'failure'} label={e.ok ? 'ok' : 'failed'} />}</td>
                <td className="small">{[e.detail, e.error].filter(Boolean).join(' · ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="pager">
        <button type="button" className="btn btn-small" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>← Newer</button>
        <button type="button" className="btn btn-small" disabled={!events.data?.next_cursor} onClick={() => setCursors((c) => [...c, events.data?.next_cursor ?? null])}>Older →</button>
      </div>
    </Panel>
  );
}

function ConnectorForm({ onCreated }: { onCreated: () => void }) {
  const { run, busy } = useAction();
  const [type, setType] = useState('SHOPIFY');
  const [name, setName] = useState('');
  const [direction, setDirection] = useState('BIDIRECTIONAL');
  const [config, setConfig] = useState(TEMPLATES.SHOPIFY);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const done = await run('Create connector', () => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(config) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`The config is not valid JSON: ${(err as Error).message}`);
      }
      return connectors.create({ type, name: name.trim(), direction, config: parsed });
    }, 'Connector created');
    if (done) {
      setName('');
      onCreated();
    }
  }

  return (
    <form onSubmit={submit} data-testid="connector-form">
      <h3 className="sub">New connector</h3>
      <div className="row">
        <Field label="Type">
          <select value={type} onChange={(e) => { setType(e.target.value); setConfig(TEMPLATES[e.target.value]); }}>
            <option value="SHOPIFY">Shopify</option>
            <option value="AMAZON">Amazon</option>
          </select>
        </Field>
        <Field label="Name"><input required value={name} onChange={(e) => setName(e.target.value)} /></Field>
        <Field label="Direction">
          <select value={direction} onChange={(e) => setDirection(e.target.value)}>
            {['BIDIRECTIONAL', 'INBOUND', 'OUTBOUND'].map((d) => <option key={d} value={d}>{humanize(d)}</option>)}
          </select>
        </Field>
      </div>
      <Field label="Config (JSON; secrets are stored encrypted and shown masked)"><textarea rows={6} value={config} onChange={(e) => setConfig(e.target.value)} /></Field>
      <button type="submit" className="btn btn-primary" disabled={busy}>Create connector</button>
    </form>
  );
}
