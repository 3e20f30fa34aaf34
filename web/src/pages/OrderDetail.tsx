// One order: status, timeline, audit trail, sourcing trail with its map, reservations, shipments,
// the warehouse/carrier steps (SUPERADMIN) and cancel.

import { lazy, Suspense, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { orders } from '../api';
import { useAuth } from '../auth';
import { AuditTrail } from '../components/order/AuditTrail';
import { FulfilmentSteps } from '../components/order/FulfilmentSteps';
import { OrderReturns } from '../components/order/OrderReturns';
import { SlaLink } from '../components/order/SlaLink';
import { SourcingTrail } from '../components/order/SourcingTrail';
import { Timeline } from '../components/order/Timeline';
import { StatusBadge } from '../components/StatusBadge';
import { Badge, Empty, KeyValues, LoadError, Loading, PageHeader, Panel } from '../components/ui';
import { dateTime, humanize, km, money } from '../format';
import { CANCELLABLE } from '../lib/fulfilment';
import { locate } from '../lib/geo';
import { useLoad } from '../lib/hooks';
import { useNodes } from '../lib/nodes';
import { useAction } from '../notify';

const OrderMap = lazy(() => import('../components/OrderMap'));
const TERMINAL = new Set(['DELIVERED', 'PICKED_UP', 'CANCELLED', 'PARTIALLY_RETURNED', 'RETURNED', 'REFUNDED']);

export default function OrderDetail() {
  const { orderId = '' } = useParams();
  const { me, can } = useAuth();
  const order = useLoad(() => orders.get(orderId), [orderId], 4000);
  const status = order.data?.status;
  const version = order.data?.version ?? 0;
  const decisions = useLoad(() => orders.sourcing(orderId), [orderId, status]);
  const nodeIndex = useNodes();
  const { run, busy } = useAction();
  const [reason, setReason] = useState('');

  if (!order.data) {
    return (
      <div className="page" data-testid="page-order-detail">
        <PageHeader title="Order" subtitle={<Link to="/orders">← Orders</Link>} />
        <LoadError error={order.error} what="the order" />
        {order.loading && <Loading what="the order" />}
      </div>
    );
  }

  const o = order.data;
  const latest = decisions.data?.items[0];
  const chosenIds = new Set(
    o.allocations.length ? o.allocations.map((a) => a.node_id) : (latest?.allocations ?? []).map((a) => a.node_id),
  );
  const mine = me ? o.created_by === `user:${me.email}` : false;
  const mayCancel = CANCELLABLE.has(o.status) && (can.admin || mine);
  const destination = locate(o.shipping_address);
  const pickupNode = o.pickup_node_id ? nodeIndex.byId.get(o.pickup_node_id) : undefined;
  const mapDestination = destination ?? (pickupNode ? { lat: pickupNode.latitude, lon: pickupNode.longitude, approximate: false, label: `pickup at ${pickupNode.code}` } : null);

  async function cancel() {
    const done = await run('Cancel order', () => orders.cancel(o.id, reason.trim() || undefined), 'Order cancelled');
    if (done) {
      setReason('');
      void order.reload();
    }
  }

  async function resource() {
    const done = await run('Source again', () => orders.resource(o.id), 'Sourcing requested again');
    if (done) void order.reload();
  }

  return (
    <div className="page" data-testid="page-order-detail" data-order-id={o.id}>
      <PageHeader
        title={o.order_number}
        subtitle={<><Link to="/orders">← Orders</Link> · created {dateTime(o.created_at)} by {o.created_by}</>}
        actions={
          <>
            <span className="big-status">
              <StatusBadge phase={o.status} code={o.status_code} testid="order-status" />
            </span>
            {!TERMINAL.has(o.status) && <span className="live-dot" title="refreshes every 4 s">live</span>}
            <SlaLink orderId={o.id} version={version} />
          </>
        }
      />
      <LoadError error={order.error} what="the latest state of the order" />

      <div className="grid-2">
        <Panel title="Order">
          <dl className="kv">
            <div className="kv-row"><dt>Customer</dt><dd>{o.customer_name} · {o.customer_email}{o.customer_phone ? ` · ${o.customer_phone}` : ''}</dd></div>
            <div className="kv-row"><dt>Channel</dt><dd>{humanize(o.channel)}{o.external_order_id ? ` · external ${o.external_order_id}` : ''}</dd></div>
            <div className="kv-row"><dt>Fulfilment</dt><dd>{humanize(o.fulfillment_type)}{pickupNode ? ` at ${pickupNode.code}` : ''}</dd></div>
            {o.shipping_address && (
              <div className="kv-row">
                <dt>Ship to</dt>
                <dd>
                  {o.shipping_address.address1}, {o.shipping_address.city} {o.shipping_address.state ?? ''} {o.shipping_address.postal_code ?? ''}, {o.shipping_address.country}
                </dd>
              </div>
            )}
            <div className="kv-row"><dt>Total</dt><dd data-testid="order-total"><strong>{money(o.total_amount, o.currency)}</strong> <span className="muted small">(subtotal {money(o.subtotal, o.currency)}, shipping {money(o.shipping_amount, o.currency)}, tax {money(o.tax_amount, o.currency)}, discount {money(o.discount_amount, o.currency)})</span></dd></div>
            {Number(o.refunded_amount ?? 0) > 0 && (
              <div className="kv-row"><dt>Refunded</dt><dd data-testid="order-refunded">{money(o.refunded_amount, o.currency)}</dd></div>
            )}
            {o.tags.length > 0 && <div className="kv-row"><dt>Tags</dt><dd>{o.tags.map((t) => <span key={t} className="chip">{t}</span>)}</dd></div>}
            {o.notes && <div className="kv-row"><dt>Notes</dt><dd>{o.notes}</dd></div>}
          </dl>
          <table className="table table-compact">
            <thead><tr><th>#</th><th>SKU</th><th>Product</th><th className="num">Qty</th><th className="num">Unit</th><th className="num">Line</th></tr></thead>
            <tbody>
              {o.line_items.map((l) => (
                <tr key={l.line_number}>
                  <td className="muted">{l.line_number}</td><td className="mono">{l.sku}</td><td>{l.product_name ?? '—'}</td>
                  <td className="num">{l.quantity}{o.returned_quantities?.[l.sku] ? <div className="muted small" data-testid="line-returned">{o.returned_quantities[l.sku]} returned</div> : null}</td><td className="num">{money(l.unit_price, o.currency)}</td><td className="num">{money(l.line_total, o.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {(mayCancel || (can.admin && o.status === 'BACKORDERED')) && (
            <div className="actions-row">
              {mayCancel && (
                <>
                  <input placeholder="Reason (optional)" value={reason} onChange={(e) => setReason(e.target.value)} data-testid="cancel-reason" />
                  <button type="button" className="btn btn-danger" disabled={busy} onClick={cancel} data-testid="order-cancel">Cancel order</button>
                </>
              )}
              {can.admin && o.status === 'BACKORDERED' && (
                <button type="button" className="btn" disabled={busy} onClick={resource} data-testid="order-resource">Source again now</button>
              )}
            </div>
          )}
        </Panel>
        <Panel title="Status timeline">
          <Timeline history={o.status_history} />
        </Panel>
      </div>

      {can.admin && (
        <Panel title="Warehouse and carrier steps" actions={<span className="muted small">sends the callbacks an integration would</span>}>
          <FulfilmentSteps order={o} onChanged={() => void order.reload()} />
        </Panel>
      )}

      <Panel title="Returns" testid="order-returns-panel">
        <OrderReturns order={o} onChanged={() => void order.reload()} />
      </Panel>

      <div className="grid-2 grid-map">
        <Panel title="Map" testid="order-map-panel">
          {nodeIndex.data ? (
            <Suspense fallback={<Loading what="the map" />}>
              <OrderMap nodes={nodeIndex.data} candidates={latest?.candidates ?? []} chosenIds={chosenIds} destination={mapDestination} />
            </Suspense>
          ) : (
            <>
              <LoadError error={nodeIndex.error} what="the nodes" />
              {nodeIndex.loading && <Loading what="the nodes" />}
            </>
          )}
        </Panel>
        <Panel title="Reservations and shipments">
          <h3 className="sub">Reservations</h3>
          {o.allocations.length ? (
            <table className="table table-compact" data-testid="order-allocations">
              <thead><tr><th>Node</th><th>SKU</th><th className="num">Qty</th><th>State</th><th className="num">Distance</th></tr></thead>
              <tbody>
                {o.allocations.map((a, i) => (
                  <tr key={`${a.node_id}-${a.sku}-${i}`}>
                    <td className="mono">{a.node_code ?? nodeIndex.name(a.node_id)}</td><td className="mono">{a.sku}</td>
                    <td className="num">{a.quantity}</td><td><Badge value={a.state} /></td><td className="num">{km(a.distance_km)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>No stock reserved.</Empty>
          )}
          <h3 className="sub">Shipments</h3>
          {o.shipments.length ? (
            <table className="table table-compact" data-testid="order-shipments">
              <thead><tr><th>Carrier</th><th>Tracking</th><th>From</th><th>Shipped</th><th>Delivered</th></tr></thead>
              <tbody>
                {o.shipments.map((s) => (
                  <tr key={`${s.carrier}-${s.tracking_number}`} data-testid="shipment-row">
                    <td>{s.carrier}</td><td className="mono">{s.tracking_number}</td><td className="small">{nodeIndex.name(s.node_id)}</td>
                    <td className="small">{dateTime(s.shipped_at)}</td><td className="small">{s.delivered_at ? dateTime(s.delivered_at) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>Not shipped yet.</Empty>
          )}
          {latest && latest.experiment && <KeyValues data={{ experiment: latest.experiment.id, arm: latest.experiment.arm }} />}
        </Panel>
      </div>

      <Panel title="Sourcing decision trail">
        <LoadError error={decisions.error} what="the sourcing decisions" />
        {decisions.data ? <SourcingTrail decisions={decisions.data.items} nodes={nodeIndex.byId} /> : decisions.loading && <Loading />}
      </Panel>

      <Panel title="Audit trail">
        <AuditTrail orderId={o.id} version={version} />
      </Panel>
    </div>
  );
}
