// "Return items": the order's lines with how many may still come back (delivered minus received
// back minus open returns), a quantity and a reason each, the resolution and a note. Shared by the
// order page (staff) and the portal (the customer's own order); POST /orders/{id}/returns with an
// Idempotency-Key, so a retried click makes one return.

import { useState, type FormEvent } from 'react';
import { newIdempotencyKey, toApiError, type ApiError, type Order } from '../../api';
import { returns, RETURN_REASONS, RETURN_RESOLUTIONS, type Return, type ReturnReason, type ReturnResolution } from '../../api/returns';
import { humanize } from '../../format';
import { Field } from '../ui';
import { ReturnError } from './ReturnError';

export function ReturnRequestForm({ order, limits, onCreated, onCancel }: {
  order: Order;
  /** per SKU: how many units may still be returned */
  limits: Record<string, number>;
  onCreated: (r: Return) => void;
  onCancel?: () => void;
}) {
  const lines = (order.line_items ?? []).filter((l) => (limits[l.sku] ?? 0) > 0);
  const [qty, setQty] = useState<Record<string, string>>({});
  const [reason, setReason] = useState<Record<string, ReturnReason>>({});
  const [resolution, setResolution] = useState<ReturnResolution>('REFUND');
  const [note, setNote] = useState('');
  const [key, setKey] = useState(newIdempotencyKey);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const chosen = lines
    .map((l) => ({ sku: l.sku, quantity: Number(qty[l.sku] ?? 0), reason: reason[l.sku] ?? 'NO_LONGER_NEEDED' }))
    .filter((l) => Number.isInteger(l.quantity) && l.quantity > 0);
  const tooMany = lines.some((l) => Number(qty[l.sku] ?? 0) > (limits[l.sku] ?? 0));

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!chosen.length || tooMany) return;
    setBusy(true);
    setError(null);
    try {
      const created = await returns.create(order.id, { lines: chosen, resolution, ...(note.trim() ? { note: note.trim() } : {}) }, key);
      setKey(newIdempotencyKey());
      setQty({});
      setNote('');
      onCreated(created);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  }

  if (!lines.length) return <div className="muted small" data-testid="return-nothing">Nothing of this order can be returned now.</div>;
  return (
    <form onSubmit={submit} data-testid="return-form">
      <table className="table table-compact">
        <thead><tr><th>Item</th><th className="num">Returnable</th><th className="num">Return</th><th>Reason</th></tr></thead>
        <tbody>
          {lines.map((l) => (
            <tr key={l.line_number} data-testid="return-form-line" data-sku={l.sku} data-max={limits[l.sku]}>
              <td>{l.product_name ?? l.sku} <span className="muted small mono">{l.sku}</span></td>
              <td className="num">{limits[l.sku]}</td>
              <td className="num">
                <input
                  type="number" min={0} max={limits[l.sku]} step={1} style={{ width: 80 }}
                  value={qty[l.sku] ?? ''} placeholder="0"
                  onChange={(e) => setQty((q) => ({ ...q, [l.sku]: e.target.value }))}
                  aria-label={`Units of ${l.sku} to return`} data-testid={`return-qty-${l.sku}`}
                />
              </td>
              <td>
                <select value={reason[l.sku] ?? 'NO_LONGER_NEEDED'} onChange={(e) => setReason((r) => ({ ...r, [l.sku]: e.target.value as ReturnReason }))} aria-label={`Reason for ${l.sku}`} data-testid={`return-reason-${l.sku}`}>
                  {RETURN_REASONS.map((r) => <option key={r} value={r}>{humanize(r)}</option>)}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {tooMany && <div className="small text-bad" data-testid="return-too-many">A quantity is above what may still be returned.</div>}
      <div className="row">
        <Field label="Resolution">
          <select value={resolution} onChange={(e) => setResolution(e.target.value as ReturnResolution)} data-testid="return-resolution">
            {RETURN_RESOLUTIONS.map((r) => <option key={r} value={r}>{r === 'EXCHANGE' ? 'Exchange for the same items' : humanize(r)}</option>)}
          </select>
        </Field>
        <Field label="Note (optional)"><input value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} data-testid="return-note" /></Field>
      </div>
      <ReturnError error={error} />
      <div className="actions-row">
        <button type="submit" className="btn btn-primary" disabled={busy || !chosen.length || tooMany} data-testid="return-submit">Request return</button>
        {onCancel && <button type="button" className="btn" onClick={onCancel} data-testid="return-form-cancel">Close</button>}
      </div>
    </form>
  );
}
