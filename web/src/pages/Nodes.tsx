// Nodes: today's capacity use per node (GET /nodes, GET /nodes/{id}/capacity); a SUPERADMIN
// changes a node's status and daily capacity.

import { useState } from 'react';
import { nodes as nodesApi, type Node, type NodeCapacity } from '../api';
import { useAuth } from '../auth';
import { Badge, Bar, LoadError, Loading, PageHeader, Panel } from '../components/ui';
import { count, humanize, pctValue } from '../format';
import { useLoad } from '../lib/hooks';
import { forgetNodes } from '../lib/nodes';
import { useAction } from '../notify';

const STATUSES = ['ACTIVE', 'INACTIVE', 'MAINTENANCE', 'CLOSED'];

export default function Nodes() {
  const { can } = useAuth();
  const list = useLoad(() => nodesApi.list(), [], 15000);
  const ids = (list.data?.items ?? []).map((n) => n.id).join(',');
  const capacity = useLoad(async () => {
    const items = list.data?.items ?? [];
    const answers = await Promise.all(items.map((n) => nodesApi.capacity(n.id)));
    return new Map(answers.map((c) => [c.node_id, c]));
  }, [ids, list.data]);

  const rows = [...(list.data?.items ?? [])].sort((a, b) => a.code.localeCompare(b.code));
  return (
    <div className="page" data-testid="page-nodes">
      <PageHeader title="Nodes" subtitle="Distribution centres, stores and dark stores; the bars are today's orders against daily capacity." />
      <Panel>
        <LoadError error={list.error} what="the nodes" />
        <LoadError error={capacity.error} what="capacity" />
        {list.loading && !list.data && <Loading what="nodes" />}
        {rows.length > 0 && (
          <table className="table" data-testid="nodes-table">
            <thead>
              <tr><th>Node</th><th>Type</th><th>Status</th><th>Capabilities</th><th style={{ width: '32%' }}>Capacity today</th><th className="num">Cost ×</th>{can.admin && <th />}</tr>
            </thead>
            <tbody>
              {rows.map((n) => (
                <NodeRow key={n.id} node={n} capacity={capacity.data?.get(n.id)} admin={can.admin} onChanged={() => { forgetNodes(); void list.reload(); }} />
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </div>
  );
}

function NodeRow({ node, capacity, admin, onChanged }: { node: Node; capacity?: NodeCapacity; admin: boolean; onChanged: () => void }) {
  const { run, busy } = useAction();
  const [editing, setEditing] = useState(false);
  const [status, setStatus] = useState(node.status);
  const [cap, setCap] = useState(String(node.daily_order_capacity));
  const used = capacity?.current_daily_orders ?? node.current_daily_orders;
  const max = capacity?.daily_order_capacity ?? node.daily_order_capacity;
  const caps = (['can_ship', 'can_pickup', 'can_curbside', 'can_same_day'] as const).filter((c) => node[c]).map((c) => humanize(c.replace('can_', '')));

  async function save() {
    const done = await run('Update node', () => nodesApi.update(node.id, { status, daily_order_capacity: Number(cap) }), `${node.code} updated`);
    if (done) {
      setEditing(false);
      onChanged();
    }
  }

  return (
    <tr data-testid="node-row" data-code={node.code}>
      <td><strong className="mono">{node.code}</strong><div className="small muted">{node.name}</div></td>
      <td className="small">{humanize(node.node_type)}</td>
      <td>
        {editing ? (
          <select value={status} onChange={(e) => setStatus(e.target.value)} aria-label="Status">
            {STATUSES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
          </select>
        ) : (
          <Badge value={node.status} />
        )}
      </td>
      <td className="small">{caps.join(', ') || '—'}</td>
      <td>
        <Bar value={used} max={max} warnAt={0.8} testid="capacity-bar" label={`${count(used)} / ${count(max)} (${pctValue(capacity?.utilization_pct ?? (max ? (used / max) * 100 : 0))})`} />
        {editing && (
          <label className="inline-field small">
            Daily capacity <input type="number" min={0} value={cap} onChange={(e) => setCap(e.target.value)} style={{ width: 100 }} />
          </label>
        )}
      </td>
      <td className="num">{node.shipping_cost_multiplier}</td>
      {admin && (
        <td>
          {editing ? (
            <>
              <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={save}>Save</button>{' '}
              <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(false)}>Cancel</button>
            </>
          ) : (
            <button type="button" className="btn btn-small" onClick={() => setEditing(true)} data-testid="node-edit">Edit</button>
          )}
        </td>
      )}
    </tr>
  );
}
