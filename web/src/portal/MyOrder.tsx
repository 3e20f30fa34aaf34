// One of the customer's orders: status, lines, address, the timeline (GET /orders/{id}/timeline:
// status changes with the tenant's codes, shipments with carrier and tracking), and cancel while
// the status allows it (a 409 means it moved on meanwhile: said in words, the order reloaded).

import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { shop, type OrderTimeline, type TimelineEntry, type TimelineShipment } from '../api/tenancy';
import { StatusBadge } from '../components/StatusBadge';
import { Empty, LoadError, Loading, Panel } from '../components/ui';
import { dateTime, money } from '../format';
import { CANCELLABLE } from '../lib/fulfilment';
import { useLoad } from '../lib/hooks';
import { useAction, useNotify } from '../notify';
import { toApiError } from '../api';
import { usePortalPath } from './PortalApp';
import { PortalOrderReturns } from './MyReturns';

const FINAL = new Set(['DELIVERED', 'PICKED_UP', 'CANCELLED', 'PARTIALLY_RETURNED', 'RETURNED', 'REFUNDED']);

/** The status changes and the shipments of a timeline, whatever list it names them in. */
export function timelineParts(t: OrderTimeline | null): { changes: TimelineEntry[]; shipments: TimelineShipment[] } {
  if (!t) return { changes: [], shipments: [] };
  const all = [...(t.statuses ?? []), ...(t.events ?? []), ...(t.status_changes ?? []), ...(t.items ?? [])];
  const changes = all.filter((e) => !e.type || /status/i.test(e.type));
  const shipments: TimelineShipment[] = [...(t.shipments ?? [])];
  for (const e of all) {
    if (e.type && /ship/i.test(e.type) && e.tracking_number && !shipments.some((s) => s.tracking_number === e.tracking_number)) {
      shipments.push({ carrier: e.carrier ?? '', tracking_number: e.tracking_number, shipped_at: e.at });
    }
  }
  return { changes, shipments };
}

export default function MyOrder() {
  const { orderId = '' } = useParams();
  const to = usePortalPath();
  const order = useLoad(() => shop.order(orderId), [orderId], 5000);
  const timeline = useLoad(() => shop.timeline(orderId), [orderId], 5000);
  const { run, busy } = useAction();
  const notify = useNotify();
  const [confirming, setConfirming] = useState(false);
  const o = order.data;
  const { changes, shipments } = timelineParts(timeline.data);

  async function cancel() {
    setConfirming(false);
    try {
      await run('Cancel the order', async () => {
        try {
          return await shop.cancel(orderId);
        } catch (e) {
          const err = toApiError(e);
          if (err.status === 409) notify.notice('This order can no longer be cancelled: it has moved on.');
          throw err;
        }
      }, 'Order cancelled');
    } finally {
      await Promise.all([order.reload(), timeline.reload()]);
    }
  }

  if (order.error && !o) return <LoadError error={order.error} what="the order" />;
  if (!o) return <Loading what="the order" />;
  const mayCancel = CANCELLABLE.has(o.status) && !FINAL.has(o.status);
  return (
    <div className="grid-2" data-testid="page-portal-order" data-order-id={o.id} data-status={o.status} data-status-code={o.status_code ?? o.status}>
      <Panel
        title={<>Order {o.order_number}</>}
        actions={<Link to={to('/orders')} data-testid="back-to-orders">All my orders</Link>}
      >
        <div className="big-status"><StatusBadge phase={o.status} code={o.status_code} testid="portal-order-status" /></div>
        <p className="muted small">Placed {dateTime(o.created_at)}</p>
        <table className="table table-compact" data-testid="portal-order-lines">
          <tbody>
            {(o.line_items ?? []).map((l) => (
              <tr key={l.line_number}><td>{l.product_name ?? l.sku}</td><td className="num">× {l.quantity}</td><td className="num">{money(l.line_total, o.currency)}</td></tr>
            ))}
          </tbody>
        </table>
        <div data-testid="portal-order-total"><strong>Total {money(o.total_amount, o.currency)}</strong></div>
        {o.shipping_address && (
          <p className="small">Ship to {o.shipping_address.address1}, {o.shipping_address.city} {o.shipping_address.state ?? ''} {o.shipping_address.postal_code ?? ''}, {o.shipping_address.country}</p>
        )}
        {mayCancel && (
          <div className="row">
            {!confirming ? (
              <button type="button" className="btn btn-danger" disabled={busy} onClick={() => setConfirming(true)} data-testid="portal-cancel">Cancel this order</button>
            ) : (
              <>
                <span>Cancel order {o.order_number}?</span>
                <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void cancel()} data-testid="portal-cancel-confirm">Yes, cancel it</button>
                <button type="button" className="btn" onClick={() => setConfirming(false)} data-testid="portal-cancel-keep">Keep it</button>
              </>
            )}
          </div>
        )}
        {Number(o.refunded_amount ?? 0) > 0 && <div className="small" data-testid="portal-order-refunded">Refunded {money(o.refunded_amount, o.currency)}</div>}
      </Panel>
      <Panel title="Timeline" testid="portal-timeline">
        <LoadError error={timeline.error} what="the timeline" />
        {changes.length === 0 && !timeline.error ? (
          timeline.loading ? <Loading /> : <Empty>Nothing yet.</Empty>
        ) : (
          <ol className="timeline">
            {changes.map((c, i) => {
              const phase = c.phase ?? c.status ?? null;
              return (
                <li key={`${c.at}-${i}`} className="timeline-item" data-testid="portal-timeline-item" data-code={c.status_code ?? phase ?? ''} data-phase={phase ?? ''}>
                  <span className="timeline-dot" aria-hidden="true" />
                  <div>
                    <StatusBadge phase={phase} code={c.status_code} /> <span className="muted small">{dateTime(c.at)}</span>
                  </div>
                </li>
              );
            })}
          </ol>
        )}
        <h3 className="sub">Tracking</h3>
        {shipments.length === 0 ? (
          <Empty>Not shipped yet.</Empty>
        ) : (
          <ul data-testid="portal-tracking">
            {shipments.map((s) => (
              <li key={s.tracking_number} data-testid="tracking-row" data-carrier={s.carrier} data-tracking={s.tracking_number}>
                {s.carrier} <code>{s.tracking_number}</code>
                {s.shipped_at && <span className="muted small"> · shipped {dateTime(s.shipped_at)}</span>}
                {s.delivered_at && <span className="muted small"> · delivered {dateTime(s.delivered_at)}</span>}
              </li>
            ))}
          </ul>
        )}
      </Panel>
      <PortalOrderReturns order={o} onChanged={() => void order.reload()} />
    </div>
  );
}
