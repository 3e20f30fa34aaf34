// One return: its lines with reasons and what was received, the decisions (approve / reject with
// a reason), receiving at a node (quantity and condition per line), the refund with a confirm step
// and the server's breakdown, links to the order and to the exchange order. A failed action shows
// the server's message with what its code means (over_receipt, return_not_pending, not_received…).

import { useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { newIdempotencyKey, toApiError, type ApiError } from '../../api';
import { returnPolicy, returns, RECEIPT_CONDITIONS, type ReceiptCondition, type Refund, type Return } from '../../api/returns';
import { ReturnError } from '../../components/returns/ReturnError';
import { Badge, Field, LoadError, Loading, PageHeader, Panel } from '../../components/ui';
import { dateTime, humanize, money } from '../../format';
import { useLoad } from '../../lib/hooks';
import { useNodes } from '../../lib/nodes';
import { actionsFor, outstanding, received } from '../../lib/returns';
import { useNotify } from '../../notify';

export default function ReturnDetail() {
  const { returnId = '' } = useParams();
  const ret = useLoad(() => returns.get(returnId), [returnId]);
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  /** Run an action on the return: its answer replaces the return; an error shows in place and in the banner. */
  async function act(context: string, fn: () => Promise<Return>, done: (r: Return) => string): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      const r = await fn();
      ret.setData(r);
      notify.notice(done(r));
      return true;
    } catch (e) {
      const err = toApiError(e);
      setError(err);
      notify.error(err, context);
      if (err.status === 409) void ret.reload(); // it moved on meanwhile: show where it is
      return false;
    } finally {
      setBusy(false);
    }
  }

  const r = ret.data;
  if (!r) {
    return (
      <div className="page" data-testid="page-return-detail">
        <PageHeader title="Return" subtitle={<Link to="/returns">← Returns</Link>} />
        <LoadError error={ret.error} what="the return" />
        {ret.loading && <Loading what="the return" />}
      </div>
    );
  }
  const can = actionsFor(r);
  const currency = r.refund?.currency ?? r.store_credit?.currency ?? 'USD';

  return (
    <div className="page" data-testid="page-return-detail" data-return-id={r.id} data-status={r.status}>
      <PageHeader
        title={`Return ${r.rma_number}`}
        subtitle={
          <>
            <Link to="/returns">← Returns</Link> · order{' '}
            <Link to={`/orders/${encodeURIComponent(r.order_id)}`} data-testid="return-order-link">{r.order_number ?? r.order_id}</Link>
            {r.exchange_order_id && (
              <> · exchange order <Link to={`/orders/${encodeURIComponent(r.exchange_order_id)}`} data-testid="return-exchange-link">{r.exchange_order_id}</Link></>
            )}
          </>
        }
        actions={<span className="big-status"><Badge value={r.status} testid="return-status" /></span>}
      />
      <ReturnError error={error} />
      <div className="grid-2">
        <Panel title="Lines" testid="return-lines">
          <table className="table table-compact">
            <thead><tr><th>SKU</th><th>Product</th><th className="num">Qty</th><th>Reason</th><th className="num">Unit</th><th className="num">Sellable</th><th className="num">Damaged</th></tr></thead>
            <tbody>
              {r.lines.map((l) => (
                <tr key={l.sku} data-testid="return-line" data-sku={l.sku} data-received={received(l)}>
                  <td className="mono">{l.sku}</td><td>{l.product_name ?? '—'}</td><td className="num">{l.quantity}</td>
                  <td>{humanize(l.reason)}</td><td className="num">{money(l.unit_price, currency)}</td>
                  <td className="num">{l.received_sellable ?? 0}</td><td className="num">{l.received_damaged ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {r.exchange_lines && r.exchange_lines.length > 0 && (
            <div className="small" data-testid="return-exchange-lines">Exchange for: {r.exchange_lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ')}</div>
          )}
          <dl className="kv">
            <div className="kv-row"><dt>Resolution</dt><dd>{humanize(r.resolution)}</dd></div>
            <div className="kv-row"><dt>Customer</dt><dd>{r.customer_email ?? '—'}</dd></div>
            {r.note && <div className="kv-row"><dt>Note</dt><dd>{r.note}</dd></div>}
            <div className="kv-row"><dt>Requested</dt><dd>{dateTime(r.created_at)}{r.requested_by ? ` by ${r.requested_by}` : ''}</dd></div>
            {r.decided_by && <div className="kv-row"><dt>Decided</dt><dd>{r.decided_by}{r.decision_note ? ` · ${r.decision_note}` : ''}</dd></div>}
            {r.received_at && <div className="kv-row"><dt>Received</dt><dd>{dateTime(r.received_at)}</dd></div>}
          </dl>
        </Panel>
        <Panel title="Refund" testid="return-refund-panel">
          {r.refund ? <RefundBreakdown refund={r.refund} /> : r.store_credit ? (
            <div data-testid="return-store-credit">Store credit of <strong>{money(r.store_credit.amount, r.store_credit.currency)}</strong> issued.</div>
          ) : can.refund ? (
            <RefundStep
              credit={r.resolution === 'STORE_CREDIT'}
              busy={busy}
              onRefund={() => act(r.resolution === 'STORE_CREDIT' ? 'Issue store credit' : 'Refund the return', () => returns.refund(r.id), (x) =>
                x.store_credit ? `Store credit of ${money(x.store_credit.amount, x.store_credit.currency)} issued` : `Refunded ${money(x.refund?.amount, x.refund?.currency)}`)}
            />
          ) : (
            <div className="muted">
              {r.resolution === 'EXCHANGE'
                ? 'An exchange is settled by its replacement order once every unit has arrived.'
                : `${r.resolution === 'REFUND' ? 'A refund' : 'A store credit'} is possible once units have been received.`}
            </div>
          )}
        </Panel>
      </div>

      {can.decide && (
        <Panel title="Decide" testid="return-decide">
          <Decide busy={busy}
            onApprove={(note) => act('Approve the return', () => returns.approve(r.id, note), () => 'Return approved')}
            onReject={(reason) => act('Reject the return', () => returns.reject(r.id, reason), () => 'Return rejected')} />
        </Panel>
      )}
      {can.receive && (
        <Panel title="Receive units" testid="return-receive">
          <ReceiveForm
            key={r.lines.map((l) => `${l.sku}:${received(l)}`).join('|')}
            ret={r}
            busy={busy}
            onReceive={(body, key) => act('Receive units', () => returns.receive(r.id, body, key), (x) => `Received: ${humanize(x.status)}`)}
          />
        </Panel>
      )}
    </div>
  );
}

function Decide({ busy, onApprove, onReject }: { busy: boolean; onApprove: (note?: string) => Promise<boolean>; onReject: (reason: string) => Promise<boolean> }) {
  const [note, setNote] = useState('');
  const [reason, setReason] = useState('');
  return (
    <div className="row">
      <Field label="Approval note (optional)"><input value={note} onChange={(e) => setNote(e.target.value)} data-testid="return-approve-note" /></Field>
      <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void onApprove(note.trim() || undefined)} data-testid="return-approve">Approve</button>
      <Field label="Reason to reject"><input value={reason} onChange={(e) => setReason(e.target.value)} data-testid="return-reject-reason" /></Field>
      <button type="button" className="btn btn-danger" disabled={busy || !reason.trim()} onClick={() => void onReject(reason.trim())} data-testid="return-reject">Reject</button>
    </div>
  );
}

type Receipt = { node_id: string; lines: { sku: string; quantity: number; condition: ReceiptCondition }[] };

function ReceiveForm({ ret, busy, onReceive }: { ret: Return; busy: boolean; onReceive: (body: Receipt, idempotencyKey: string) => Promise<boolean> }) {
  const nodes = useNodes();
  // the same receipt sent again (a retry) carries the same key, so it takes effect once
  const sent = useRef<{ body: string; key: string } | null>(null);
  const [nodeId, setNodeId] = useState('');
  const [qty, setQty] = useState<Record<string, string>>(() => Object.fromEntries(ret.lines.map((l) => [l.sku, String(outstanding(l))])));
  const [cond, setCond] = useState<Record<string, ReceiptCondition>>({});
  const lines = ret.lines
    .map((l) => ({ sku: l.sku, quantity: Number(qty[l.sku] ?? 0), condition: cond[l.sku] ?? 'SELLABLE' }))
    .filter((l) => Number.isInteger(l.quantity) && l.quantity > 0);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!nodeId || !lines.length) return;
    const body: Receipt = { node_id: nodeId, lines };
    const text = JSON.stringify(body);
    if (sent.current?.body !== text) sent.current = { body: text, key: newIdempotencyKey() };
    await onReceive(body, sent.current.key);
  }

  return (
    <form onSubmit={submit} data-testid="return-receive-form">
      <Field label="Received at node">
        <select required value={nodeId} onChange={(e) => setNodeId(e.target.value)} data-testid="receive-node">
          <option value="">Choose a node…</option>
          {(nodes.data ?? []).map((n) => <option key={n.id} value={n.id}>{n.code} · {n.name}</option>)}
        </select>
      </Field>
      <LoadError error={nodes.error} what="the nodes" />
      <table className="table table-compact">
        <thead><tr><th>SKU</th><th className="num">Expected</th><th className="num">Received now</th><th>Condition</th></tr></thead>
        <tbody>
          {ret.lines.map((l) => (
            <tr key={l.sku} data-testid="receive-line" data-sku={l.sku}>
              <td className="mono">{l.sku}</td>
              <td className="num">{outstanding(l)}</td>
              <td className="num"><input type="number" min={0} step={1} style={{ width: 80 }} value={qty[l.sku] ?? ''} onChange={(e) => setQty((q) => ({ ...q, [l.sku]: e.target.value }))} aria-label={`Units of ${l.sku} received`} data-testid={`receive-qty-${l.sku}`} /></td>
              <td>
                <select value={cond[l.sku] ?? 'SELLABLE'} onChange={(e) => setCond((c) => ({ ...c, [l.sku]: e.target.value as ReceiptCondition }))} aria-label={`Condition of ${l.sku}`} data-testid={`receive-condition-${l.sku}`}>
                  {RECEIPT_CONDITIONS.map((c) => <option key={c} value={c}>{c === 'SELLABLE' ? 'Sellable (back on hand)' : 'Damaged (written off)'}</option>)}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="submit" className="btn btn-primary" disabled={busy || !nodeId || !lines.length} data-testid="receive-submit">Receive</button>
    </form>
  );
}

/** The refund is computed by the server from the received units and the policy: a confirm step first. */
function RefundStep({ busy, credit, onRefund }: { busy: boolean; credit: boolean; onRefund: () => Promise<boolean> }) {
  const [confirming, setConfirming] = useState(false);
  const policy = useLoad(() => (confirming ? returnPolicy.get() : Promise.resolve(null)), [confirming]);
  const what = credit ? 'store credit' : 'refund';
  if (!confirming) {
    return <button type="button" className="btn btn-primary" disabled={busy} onClick={() => setConfirming(true)} data-testid="return-refund">{credit ? 'Issue store credit…' : 'Refund…'}</button>;
  }
  const p = policy.data;
  return (
    <div data-testid="refund-confirm">
      <p>
        {credit ? 'Credit' : 'Refund'} the received units at their paid price, less the order&apos;s discount pro-rated
        {p ? <>, a restocking fee of {p.restocking_fee_percent}% for {p.restocking_fee_reasons.map(humanize).join(', ') || 'no reason'}; shipping: {humanize(p.refund_shipping)}</> : null}.
        The server computes the amount; a {what} cannot be undone.
      </p>
      <div className="actions-row">
        <button type="button" className="btn btn-primary" disabled={busy} onClick={async () => { if (await onRefund()) setConfirming(false); }} data-testid="return-refund-confirm">{credit ? 'Issue credit now' : 'Refund now'}</button>
        <button type="button" className="btn" onClick={() => setConfirming(false)} data-testid="return-refund-cancel">Not now</button>
      </div>
    </div>
  );
}

export function RefundBreakdown({ refund }: { refund: Refund }) {
  const c = refund.currency;
  const rows: [string, string, string][] = [
    ['items', 'Items', refund.items_amount],
    ['discount', 'Discount', refund.discount],
    ['tax', 'Tax', refund.tax],
    ['shipping', 'Shipping', refund.shipping],
    ['restocking-fee', 'Restocking fee', refund.restocking_fee],
  ];
  return (
    <div data-testid="refund-breakdown" data-amount={refund.amount}>
      <table className="table table-compact">
        <tbody>
          {rows.map(([key, label, value]) => (
            <tr key={key}><td>{label}</td><td className="num" data-testid={`refund-${key}`}>{money(value, c)}</td></tr>
          ))}
        </tbody>
        <tfoot>
          <tr><td><strong>Total refunded</strong></td><td className="num strong" data-testid="refund-total">{money(refund.amount, c)}</td></tr>
        </tfoot>
      </table>
      {refund.lines.length > 0 && (
        <table className="table table-compact" data-testid="refund-lines">
          <thead><tr><th>SKU</th><th className="num">Qty</th><th className="num">Amount</th></tr></thead>
          <tbody>{refund.lines.map((l) => <tr key={l.sku}><td className="mono">{l.sku}</td><td className="num">{l.quantity}</td><td className="num">{money(l.amount, c)}</td></tr>)}</tbody>
        </table>
      )}
      <div className="muted small">
        Refunded {dateTime(refund.created_at)}
        {refund.channel_status ? <> · in the sales channel: <Badge value={refund.channel_status} testid="refund-channel-status" /></> : null}
      </div>
    </div>
  );
}
