// A Shopify connector's stock sync (issue 13): which Shopify location each node's stock goes to
// (config.location_map), the sync_inventory switch (both saved with PATCH /connectors/{id}), and
// the sync's state: pending pushes, the last push, the last nightly reconciliation with what it
// corrected, and "Reconcile now".

import { useState, type FormEvent } from 'react';
import type { Connector } from '../../api';
import { stockSync, type StockSyncChange } from '../../api/alerts';
import { Badge, Empty, LoadError, Loading, Panel } from '../../components/ui';
import { count, dateTime } from '../../format';
import { useLoad } from '../../lib/hooks';
import { useNodes } from '../../lib/nodes';
import { useAction } from '../../notify';

function mapOf(config: Record<string, unknown>): Record<string, string> {
  const raw = config.location_map;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]));
}

export function StockSync({ connector, onSaved }: { connector: Connector; onSaved: () => void }) {
  return (
    <Panel title={`Stock sync of ${connector.name}`} testid="stock-sync" actions={<span className="muted small">available quantities pushed to Shopify locations</span>}>
      <div className="grid-2">
        <LocationMap connector={connector} onSaved={onSaved} />
        <SyncStatus connectorId={connector.id} />
      </div>
    </Panel>
  );
}

function LocationMap({ connector, onSaved }: { connector: Connector; onSaved: () => void }) {
  const nodes = useNodes();
  const { run, busy } = useAction();
  const stored = mapOf(connector.config);
  const [map, setMap] = useState<Record<string, string>>(stored);
  const [enabled, setEnabled] = useState(connector.config.sync_inventory === true);
  const known = new Set((nodes.data ?? []).map((n) => n.id));
  const unknown = Object.keys(map).filter((id) => !known.has(id));

  async function save(e: FormEvent) {
    e.preventDefault();
    const location_map = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v));
    const done = await run('Save stock sync', () => stockSync.configure(connector.id, { location_map, sync_inventory: enabled }), 'Stock sync settings saved');
    if (done) onSaved();
  }

  return (
    <form onSubmit={save} data-testid="location-map-form">
      <h3 className="sub">Locations</h3>
      <label className="checkbox">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} data-testid="sync-inventory" /> Push available stock to Shopify (sync_inventory)
      </label>
      <LoadError error={nodes.error} what="the nodes" />
      {!nodes.data && nodes.loading && <Loading what="the nodes" />}
      {nodes.data && (
        <table className="table table-compact" data-testid="location-map">
          <thead><tr><th>Node</th><th>Shopify location id</th></tr></thead>
          <tbody>
            {nodes.data.map((n) => (
              <tr key={n.id} data-testid="location-map-row" data-node-id={n.id}>
                <td className="small">{n.code} · {n.name}</td>
                <td>
                  <input
                    value={map[n.id] ?? ''}
                    placeholder="not pushed"
                    onChange={(e) => setMap((m) => ({ ...m, [n.id]: e.target.value }))}
                    aria-label={`Shopify location of ${n.code}`}
                    data-testid={`location-${n.code}`}
                  />
                </td>
              </tr>
            ))}
            {unknown.map((id) => (
              <tr key={id} data-testid="location-map-row" data-node-id={id}>
                <td className="small mono">{id} <span className="muted">(not a node now)</span></td>
                <td>
                  <input value={map[id]} onChange={(e) => setMap((m) => ({ ...m, [id]: e.target.value }))} aria-label={`Shopify location of ${id}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="muted small">A location id is Shopify&apos;s number or gid (gid://shopify/Location/…); a node without one is not pushed.</div>
      <button type="submit" className="btn btn-primary" disabled={busy} data-testid="location-map-save">Save</button>
    </form>
  );
}

function changeText(c: StockSyncChange): string {
  const where = [c.sku, c.location].filter(Boolean).join(' @ ');
  const move = 'cirrus' in c ? `${c.shopify_before ?? 'not stocked'} → ${c.cirrus ?? '—'}` : '';
  return [where, move].filter(Boolean).join(': ') || JSON.stringify(c);
}

function SyncStatus({ connectorId }: { connectorId: string }) {
  const status = useLoad(() => stockSync.status(connectorId), [connectorId], 10_000);
  const { run, busy } = useAction();
  const s = status.data;
  async function reconcile() {
    const done = await run('Reconcile now', () => stockSync.reconcile(connectorId).then(() => true), 'Reconciliation started: Shopify is compared with Cirrus now');
    if (done) void status.reload();
  }
  return (
    <div data-testid="stock-sync-status">
      <h3 className="sub">Status</h3>
      <LoadError error={status.error} what="the stock sync status" />
      {!s && status.loading && <Loading what="the stock sync status" />}
      {s && (
        <>
          <dl className="kv">
            <div className="kv-row"><dt>Sync</dt><dd>{s.enabled ? <Badge value="ACTIVE" label="on" testid="stock-sync-enabled" /> : <Badge value="INACTIVE" label="off" testid="stock-sync-enabled" />}</dd></div>
            <div className="kv-row"><dt>Locations</dt><dd>{count(s.locations.length)}</dd></div>
            <div className="kv-row"><dt>Pending pushes</dt><dd data-testid="stock-sync-pending">{count(s.pending)}</dd></div>
            <div className="kv-row"><dt>Last push</dt><dd data-testid="stock-sync-last-push">{s.last_push_at ? dateTime(s.last_push_at) : 'never'}</dd></div>
            <div className="kv-row">
              <dt>Last reconciliation</dt>
              <dd data-testid="stock-sync-last-reconciliation">
                {s.last_reconciliation ? `${dateTime(s.last_reconciliation.at)}: ${count(s.last_reconciliation.checked)} checked, ${count(s.last_reconciliation.corrected)} corrected` : 'never'}
              </dd>
            </div>
          </dl>
          {s.last_reconciliation && (s.last_reconciliation.changes.length ? (
            <ul className="small" data-testid="stock-sync-changes">
              {s.last_reconciliation.changes.slice(0, 50).map((c, i) => <li key={i} data-testid="stock-sync-change">{changeText(c)}</li>)}
            </ul>
          ) : <Empty>The last reconciliation changed nothing.</Empty>)}
        </>
      )}
      <button type="button" className="btn" disabled={busy} onClick={() => void reconcile()} data-testid="stock-sync-reconcile">Reconcile now</button>
    </div>
  );
}
