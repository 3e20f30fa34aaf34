// Stock alerts (GET /inventory/alerts): low-stock and out-of-stock items per node, raised from the
// stock change stream or the hourly scan, with state and kind filters and cursor pages.

import { useEffect } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { ALERT_KINDS, ALERT_STATES, alerts } from '../../api/alerts';
import { Badge, Empty, LoadError, Loading, PageHeader, Pager, Panel } from '../../components/ui';
import { count, dateTime, humanize } from '../../format';
import { useCursorPager, useLoad } from '../../lib/hooks';
import { useNodes } from '../../lib/nodes';

const PAGE_SIZE = 50;

export default function StockAlerts() {
  const [params, setParams] = useSearchParams();
  const state = params.get('state') ?? 'OPEN';
  const kind = params.get('kind') ?? '';
  const nodeId = params.get('node_id') ?? '';
  const pager = useCursorPager();
  const nodeIndex = useNodes();
  useEffect(() => pager.reset(), [state, kind, nodeId]);
  const list = useLoad(
    () => alerts.list({ state: state || undefined, kind: kind || undefined, node_id: nodeId || undefined, limit: PAGE_SIZE, cursor: pager.cursor }),
    [state, kind, nodeId, pager.cursor],
    60_000,
  );

  function setParam(name: string, value: string) {
    const next = new URLSearchParams(params);
    next.set(name, value);
    if (!value && name !== 'state') next.delete(name);
    setParams(next, { replace: true });
  }

  const items = list.data?.items ?? [];
  const counts = list.data?.counts;
  return (
    <div className="page" data-testid="page-inventory-alerts">
      <PageHeader
        title="Stock alerts"
        subtitle={<><Link to="/inventory">← Inventory</Link> · items at or below their reorder level, per node</>}
        actions={counts ? (
          <span data-testid="alert-counts" data-low-stock={counts.low_stock} data-out-of-stock={counts.out_of_stock}>
            <Badge value="LOW_STOCK" label={`${count(counts.low_stock)} low`} />{' '}
            <Badge value="OUT_OF_STOCK" label={`${count(counts.out_of_stock)} out of stock`} />
          </span>
        ) : undefined}
      />
      <Panel testid="alerts-panel">
        <div className="filters">
          <select value={state} onChange={(e) => setParam('state', e.target.value)} aria-label="State" data-testid="alerts-filter-state">
            <option value="">Any state</option>
            {ALERT_STATES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
          </select>
          <select value={kind} onChange={(e) => setParam('kind', e.target.value)} aria-label="Kind" data-testid="alerts-filter-kind">
            <option value="">Any kind</option>
            {ALERT_KINDS.map((k) => <option key={k} value={k}>{humanize(k)}</option>)}
          </select>
          <select value={nodeId} onChange={(e) => setParam('node_id', e.target.value)} aria-label="Node" data-testid="alerts-filter-node">
            <option value="">All nodes</option>
            {(nodeIndex.data ?? []).map((n) => <option key={n.id} value={n.id}>{n.code} · {n.name}</option>)}
          </select>
        </div>
        <LoadError error={list.error} what="stock alerts" />
        {!list.data && list.loading && <Loading what="stock alerts" />}
        {list.data && !items.length && <Empty>No alerts match.</Empty>}
        {items.length > 0 && (
          <table className="table" data-testid="alerts-table">
            <thead><tr><th>Kind</th><th>SKU</th><th>Product</th><th>Node</th><th className="num">Available</th><th className="num">Reorder at</th><th>State</th><th>Raised</th><th>Resolved</th></tr></thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-testid="alert-row" data-kind={a.kind} data-state={a.state} data-sku={a.sku}>
                  <td><Badge value={a.kind} /></td>
                  <td className="mono">{a.sku}</td>
                  <td>{a.product_name ?? '—'}</td>
                  <td className="small">{a.node_code ?? nodeIndex.name(a.node_id)}</td>
                  <td className="num">{count(a.available)}</td>
                  <td className="num">{count(a.reorder_level)}</td>
                  <td><Badge value={a.state} /></td>
                  <td className="small">{dateTime(a.raised_at)}{a.source ? <span className="muted"> · {a.source}</span> : null}</td>
                  <td className="small">{a.resolved_at ? dateTime(a.resolved_at) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager testid="alerts-pager" page={pager.page} hasPrev={pager.hasPrev} hasNext={Boolean(list.data?.next_cursor)} onPrev={pager.prev} onNext={() => pager.next(list.data?.next_cursor)} />
      </Panel>
    </div>
  );
}
