// The stock forms (SUPERADMIN): adjust one node's stock of a SKU (POST /inventory/{item_id}/adjust)
// and transfer between nodes (POST /inventory/transfer).

import { useEffect, useState, type FormEvent } from 'react';
import { catalog, inventory, MANUAL_REASONS, type Node } from '../api';
import { humanize } from '../format';
import { useLoad } from '../lib/hooks';
import { useAction } from '../notify';
import { Field } from './ui';

export interface StockRef {
  node_id: string;
  sku: string;
}

function useSkus(): string[] {
  const products = useLoad(() => catalog.products({ limit: 200 }), []);
  return (products.data?.items ?? []).map((p) => p.sku);
}

export function AdjustForm({ nodes, target, onDone }: { nodes: Node[]; target: StockRef | null; onDone: () => void }) {
  const skus = useSkus();
  const { run, busy } = useAction();
  const [nodeId, setNodeId] = useState('');
  const [sku, setSku] = useState('');
  const [delta, setDelta] = useState('');
  const [reason, setReason] = useState<string>('RECEIVED');
  const [note, setNote] = useState('');

  useEffect(() => {
    if (target) {
      setNodeId(target.node_id);
      setSku(target.sku);
    }
  }, [target]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const change = Number(delta);
    const result = await run(
      'Adjust stock',
      async () => {
        const found = await inventory.list({ node_id: nodeId, sku, limit: 1 });
        const item = found.items[0];
        if (!item) throw new Error(`No stock item for ${sku} at that node; create it first (POST /inventory)`);
        return inventory.adjust(item.id, { delta: change, reason, note: note.trim() || undefined });
      },
      (r) => `Stock of ${sku} adjusted by ${change > 0 ? '+' : ''}${change}: ${r.item.on_hand} on hand, ${r.item.available} available`,
    );
    if (result) {
      setDelta('');
      setNote('');
      onDone();
    }
  }

  return (
    <form onSubmit={submit} data-testid="adjust-form">
      <div className="row">
        <Field label="Node">
          <select required value={nodeId} onChange={(e) => setNodeId(e.target.value)} data-testid="adjust-node">
            <option value="">Choose…</option>
            {nodes.map((n) => <option key={n.id} value={n.id}>{n.code} · {n.name}</option>)}
          </select>
        </Field>
        <Field label="SKU">
          <select required value={sku} onChange={(e) => setSku(e.target.value)} data-testid="adjust-sku">
            <option value="">Choose…</option>
            {(skus.includes(sku) || !sku ? skus : [sku, ...skus]).map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </Field>
      </div>
      <div className="row">
        <Field label="Change" hint="positive adds, negative removes">
          <input required type="number" step={1} value={delta} onChange={(e) => setDelta(e.target.value)} data-testid="adjust-delta" />
        </Field>
        <Field label="Reason">
          <select value={reason} onChange={(e) => setReason(e.target.value)} data-testid="adjust-reason">
            {MANUAL_REASONS.map((r) => <option key={r} value={r}>{humanize(r)}</option>)}
          </select>
        </Field>
      </div>
      <Field label="Note"><input value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} data-testid="adjust-note" /></Field>
      <button type="submit" className="btn btn-primary" disabled={busy} data-testid="adjust-submit">Adjust</button>
    </form>
  );
}

export function TransferForm({ nodes, onDone }: { nodes: Node[]; onDone: () => void }) {
  const skus = useSkus();
  const { run, busy } = useAction();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [sku, setSku] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [note, setNote] = useState('');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const result = await run(
      'Transfer stock',
      () => inventory.transfer({ sku, from_node_id: from, to_node_id: to, quantity: Number(quantity), note: note.trim() || undefined }),
      `Moved ${quantity} × ${sku}`,
    );
    if (result) {
      setNote('');
      onDone();
    }
  }

  return (
    <form onSubmit={submit} data-testid="transfer-form">
      <div className="row">
        <Field label="From">
          <select required value={from} onChange={(e) => setFrom(e.target.value)} data-testid="transfer-from">
            <option value="">Choose…</option>
            {nodes.map((n) => <option key={n.id} value={n.id}>{n.code}</option>)}
          </select>
        </Field>
        <Field label="To">
          <select required value={to} onChange={(e) => setTo(e.target.value)} data-testid="transfer-to">
            <option value="">Choose…</option>
            {nodes.map((n) => <option key={n.id} value={n.id} disabled={n.id === from}>{n.code}</option>)}
          </select>
        </Field>
      </div>
      <div className="row">
        <Field label="SKU">
          <select required value={sku} onChange={(e) => setSku(e.target.value)} data-testid="transfer-sku">
            <option value="">Choose…</option>
            {skus.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </Field>
        <Field label="Quantity">
          <input required type="number" min={1} value={quantity} onChange={(e) => setQuantity(e.target.value)} data-testid="transfer-quantity" />
        </Field>
      </div>
      <Field label="Note"><input value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} /></Field>
      <button type="submit" className="btn btn-primary" disabled={busy} data-testid="transfer-submit">Transfer</button>
    </form>
  );
}
