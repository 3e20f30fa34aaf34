// Inventory by SKU (GET /inventory/products) and by node (GET /inventory), low stock highlighted,
// with the adjust and transfer forms (SUPERADMIN).

import { Fragment, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { inventory, type InventoryItem, type ProductStock } from '../api';
import { useAuth } from '../auth';
import { AdjustForm, TransferForm, type StockRef } from '../components/StockForms';
import { Badge, Empty, LoadError, Loading, PageHeader, Pager, Panel, ReadOnlyNote, Tabs } from '../components/ui';
import { count } from '../format';
import { useCursorPager, useDebounced, useLoad } from '../lib/hooks';
import { useAction } from '../notify';
import { useNodes } from '../lib/nodes';

type View = 'sku' | 'node';
const PAGE = 50;

export default function Inventory() {
  const { can } = useAuth();
  const [params] = useSearchParams();
  const [view, setView] = useState<View>('sku');
  const [searchText, setSearchText] = useState('');
  const [nodeId, setNodeId] = useState('');
  const [lowOnly, setLowOnly] = useState(params.get('low') === '1');
  const [adjustTarget, setAdjustTarget] = useState<StockRef | null>(null);
  const searchTerm = useDebounced(searchText.trim(), 300);
  const nodeIndex = useNodes();
  const pager = useCursorPager();
  const key = `${view}|${searchTerm}|${nodeId}|${lowOnly}`;
  useEffect(() => pager.reset(), [key]); // back to the first page when the filters change

  const bySku = useLoad(
    () => (view === 'sku' ? inventory.products({ search: searchTerm, node_id: nodeId, low_stock: lowOnly || undefined, limit: PAGE, cursor: pager.cursor }) : Promise.resolve(null)),
    [key, pager.cursor],
  );
  const byNode = useLoad(
    () => (view === 'node' ? inventory.list({ node_id: nodeId, sku: searchTerm || undefined, low_stock: lowOnly || undefined, limit: PAGE, cursor: pager.cursor }) : Promise.resolve(null)),
    [key, pager.cursor],
  );
  const current = view === 'sku' ? bySku : byNode;
  const nextCursor = current.data?.next_cursor ?? null;
  const reload = () => {
    void bySku.reload();
    void byNode.reload();
  };

  return (
    <div className="page" data-testid="page-inventory">
      <PageHeader title="Inventory" subtitle="Stock per SKU across nodes; rows below their reorder level are highlighted." actions={<Link to="/inventory/alerts" className="btn" data-testid="inventory-alerts-link">Stock alerts</Link>} />
      <Panel>
        <div className="filters">
          <input
            type="search"
            className="search-input"
            placeholder={view === 'sku' ? 'Search SKU or product name…' : 'Exact SKU…'}
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
            aria-label="Search stock"
            data-testid="inventory-search"
          />
          <select value={nodeId} onChange={(e) => setNodeId(e.target.value)} aria-label="Node" data-testid="inventory-node">
            <option value="">All nodes</option>
            {(nodeIndex.data ?? []).map((n) => <option key={n.id} value={n.id}>{n.code} · {n.name}</option>)}
          </select>
          <label className="checkbox"><input type="checkbox" checked={lowOnly} onChange={(e) => setLowOnly(e.target.checked)} data-testid="inventory-low-only" /> Low stock only</label>
        </div>
      </Panel>

      <Panel
        title={<Tabs tabs={[{ key: 'sku', label: 'By SKU' }, { key: 'node', label: 'By node' }]} active={view} onChange={setView} testid="inventory-tabs" />}
        testid="inventory-table-panel"
      >
        <LoadError error={current.error} what="stock" />
        {view === 'sku' && bySku.error?.status === 404 && (
          <button type="button" className="btn btn-small" onClick={() => setView('node')} data-testid="inventory-show-by-node">Show stock by node instead</button>
        )}
        {current.loading && !current.data && <Loading what="stock" />}
        {view === 'sku' && bySku.data && <SkuTable rows={bySku.data.items} onAdjust={can.admin ? setAdjustTarget : undefined} onChanged={reload} />}
        {view === 'node' && byNode.data && (
          <NodeTable rows={byNode.data.items} nodeName={nodeIndex.name} onAdjust={can.admin ? setAdjustTarget : undefined} />
        )}
        <Pager testid="inventory-pager" page={pager.page} hasPrev={pager.hasPrev} hasNext={Boolean(nextCursor)} onPrev={pager.prev} onNext={() => pager.next(nextCursor)} />
      </Panel>

      {can.admin ? (
        <div className="grid-2">
          <Panel title="Adjust stock">
            <AdjustForm nodes={nodeIndex.data ?? []} target={adjustTarget} onDone={reload} />
          </Panel>
          <Panel title="Transfer between nodes">
            <TransferForm nodes={nodeIndex.data ?? []} onDone={reload} />
          </Panel>
        </div>
      ) : (
        <ReadOnlyNote>Adjusting and transferring stock needs a SUPERADMIN.</ReadOnlyNote>
      )}
    </div>
  );
}

function SkuTable({ rows, onAdjust, onChanged }: { rows: ProductStock[]; onAdjust?: (ref: StockRef) => void; onChanged: () => void }) {
  const [open, setOpen] = useState<string | null>(null);
  if (!rows.length) return <Empty>No stock matches.</Empty>;
  return (
    <table className="table" data-testid="inventory-sku-table">
      <thead>
        <tr><th>SKU</th><th>Product</th><th className="num">On hand</th><th className="num">Reserved</th><th className="num">Available</th><th className="num">Nodes</th><th>Stock</th></tr>
      </thead>
      <tbody>
        {rows.map((p) => (
          <Fragment key={p.sku}>
            <tr className={p.low_stock ? 'low-stock' : ''} data-testid="inventory-row" data-sku={p.sku} data-low-stock={p.low_stock}>
              <td>
                <button type="button" className="btn btn-ghost btn-small mono" onClick={() => setOpen(open === p.sku ? null : p.sku)} aria-expanded={open === p.sku}>
                  {open === p.sku ? '▾' : '▸'} {p.sku}
                </button>
              </td>
              <td>{p.name}<div className="muted small">{p.category}</div></td>
              <td className="num">{count(p.total_on_hand)}</td>
              <td className="num">{count(p.total_reserved)}</td>
              <td className="num" data-testid="inventory-available">{count(p.total_available)}</td>
              <td className="num">{p.nodes.length}</td>
              <td>{p.low_stock ? <Badge value="LOW_STOCK" label="Low stock" tone="warn" /> : <Badge value="OK" label="OK" tone="ok" />}</td>
            </tr>
            {open === p.sku &&
              p.nodes.map((n) => (
                <tr key={`${p.sku}|${n.node_id}`} className={n.low_stock ? 'low-stock' : ''} data-testid="inventory-node-row" data-item-id={n.item_id}>
                  <td />
                  <td className="small">{n.node_name}</td>
                  <td className="num">{count(n.on_hand)}</td>
                  <td className="num">{count(n.reserved)}</td>
                  <td className="num">{count(n.available)}</td>
                  <td className="num small muted">reorder at {count(n.reorder_level)}</td>
                  <td>{onAdjust && <button type="button" className="btn btn-small" onClick={() => onAdjust({ node_id: n.node_id, sku: p.sku })} data-testid="inventory-adjust-row">Adjust</button>}</td>
                </tr>
              ))}
            {open === p.sku && onAdjust && (
              <tr>
                <td />
                <td colSpan={6}><ReorderLevel sku={p.sku} current={p.reorder_level ?? p.nodes[0]?.reorder_level ?? 0} onDone={onChanged} /></td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}

function NodeTable({ rows, nodeName, onAdjust }: { rows: InventoryItem[]; nodeName: (id: string) => string; onAdjust?: (ref: StockRef) => void }) {
  if (!rows.length) return <Empty>No stock matches.</Empty>;
  return (
    <table className="table" data-testid="inventory-node-table">
      <thead>
        <tr><th>Node</th><th>SKU</th><th>Product</th><th className="num">On hand</th><th className="num">Reserved</th><th className="num">Available</th><th className="num">Reorder at</th><th /></tr>
      </thead>
      <tbody>
        {rows.map((i) => (
          <tr key={i.id} className={i.low_stock ? 'low-stock' : ''} data-testid="inventory-row" data-sku={i.sku} data-item-id={i.id} data-low-stock={i.low_stock}>
            <td className="small">{nodeName(i.node_id)}</td>
            <td className="mono">{i.sku}</td>
            <td>{i.product_name ?? '—'}</td>
            <td className="num">{count(i.on_hand)}</td>
            <td className="num">{count(i.reserved)}</td>
            <td className="num" data-testid="inventory-available">{count(i.available)}</td>
            <td className="num">{count(i.reorder_level)}</td>
            <td>{onAdjust && <button type="button" className="btn btn-small" onClick={() => onAdjust({ node_id: i.node_id, sku: i.sku })} data-testid="inventory-adjust-row">Adjust</button>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** PATCH /inventory/products/{sku}: one reorder level for the SKU at every node (SUPERADMIN). */
function ReorderLevel({ sku, current, onDone }: { sku: string; current: number; onDone: () => void }) {
  const { run, busy } = useAction();
  const [level, setLevel] = useState(String(current));
  async function save() {
    if (await run('Set reorder level', () => inventory.patchProduct(sku, { reorder_level: Number(level) }), `Reorder level of ${sku} set to ${level} at every node`)) onDone();
  }
  return (
    <span className="inline-field small">
      Reorder level at every node
      <input type="number" min={0} value={level} onChange={(e) => setLevel(e.target.value)} style={{ width: 90 }} aria-label={`Reorder level of ${sku}`} />
      <button type="button" className="btn btn-small" disabled={busy} onClick={save}>Save</button>
    </span>
  );
}
