// For a tenant without a warehouse system: the warehouse and carrier steps as buttons, each sending
// the callback an integration would send (POST /orders/{id}/fulfillment-events). SUPERADMIN only.

import { useState } from 'react';
import { newIdempotencyKey, orders, type FulfilmentEventType, type Order } from '../../api';
import { applicable, progress, stepsFor } from '../../lib/fulfilment';
import { useAction } from '../../notify';

const CARRIERS = ['UPS', 'FedEx', 'USPS', 'DHL'];

export function FulfilmentSteps({ order, onChanged }: { order: Order; onChanged: () => void }) {
  const { run, busy } = useAction();
  const [carrier, setCarrier] = useState('UPS');
  const [tracking, setTracking] = useState('');
  const [nodeId, setNodeId] = useState('');
  const steps = stepsFor(order.fulfillment_type);
  const now = new Set(applicable(order.status, order.fulfillment_type));
  const done = progress(order.status, order.fulfillment_type);
  const shippingNodes = [...new Map(order.allocations.filter((a) => a.state === 'RESERVED' || a.state === 'EXPIRED').map((a) => [a.node_id, a.node_code ?? a.node_id]))];

  async function send(type: FulfilmentEventType) {
    const event = {
      type,
      event_id: `ui-${newIdempotencyKey()}`,
      ...(type === 'SHIPPED' ? { carrier: carrier.trim(), tracking_number: tracking.trim() } : {}),
      ...(type === 'SHIPPED' && nodeId ? { node_id: nodeId } : {}),
    };
    const result = await run(`Send ${type}`, () => orders.fulfilment(order.id, event), (r) =>
      r.applied ? `${type} applied: the order is ${r.status}` : r.duplicate ? `${type} was already applied` : `${type} accepted: it applies shortly`,
    );
    if (result) {
      if (type === 'SHIPPED') setTracking('');
      onChanged();
      if (!result.applied) window.setTimeout(onChanged, 1500);
    }
  }

  return (
    <div className="steps" data-testid="fulfilment-steps">
      <ol className="stepper">
        {steps.map((s, i) => {
          const enabled = now.has(s.type);
          const needs = s.needsTracking && (!carrier.trim() || !tracking.trim());
          return (
            <li key={s.type} className={`step ${i <= done ? 'step-done' : ''} ${enabled ? 'step-next' : ''}`}>
              <button
                type="button"
                className={`btn ${enabled ? 'btn-primary' : ''}`}
                disabled={!enabled || busy || Boolean(needs)}
                onClick={() => send(s.type)}
                data-testid={`fulfil-${s.type}`}
                title={enabled ? (needs ? 'Enter the carrier and tracking number first' : `Send ${s.type}`) : i <= done ? 'Done' : 'Not the next step'}
              >
                {i <= done ? '✓ ' : ''}
                {s.label}
              </button>
            </li>
          );
        })}
      </ol>
      {steps.some((s) => s.needsTracking) && (
        <div className="row">
          <label className="field">
            <span className="field-label">Carrier</span>
            <input list="carriers" value={carrier} onChange={(e) => setCarrier(e.target.value)} data-testid="fulfil-carrier" />
            <datalist id="carriers">{CARRIERS.map((c) => <option key={c} value={c} />)}</datalist>
          </label>
          <label className="field">
            <span className="field-label">Tracking number</span>
            <input value={tracking} onChange={(e) => setTracking(e.target.value)} data-testid="fulfil-tracking" />
          </label>
          {shippingNodes.length > 1 && (
            <label className="field">
              <span className="field-label">Shipping node</span>
              <select value={nodeId} onChange={(e) => setNodeId(e.target.value)} data-testid="fulfil-node">
                <option value="">All nodes at once</option>
                {shippingNodes.map(([id, code]) => <option key={id} value={id}>{code}</option>)}
              </select>
            </label>
          )}
        </div>
      )}
      {!now.size && <p className="muted small">No warehouse or carrier step applies to an order that is {order.status.toLowerCase().replace(/_/g, ' ')}.</p>}
    </div>
  );
}
