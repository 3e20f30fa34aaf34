// The order's returns (GET /orders/{id}/returns) on the order page, and "Create return" for staff
// while the order has delivered or picked-up units left to return.

import { useState } from 'react';
import { Link } from 'react-router-dom';
import type { Order } from '../../api';
import { returns } from '../../api/returns';
import { count, dateTime, humanize, money } from '../../format';
import { useLoad } from '../../lib/hooks';
import { anyReturnable, MAY_HAVE_RETURNS, RETURNABLE_PHASES, returnable } from '../../lib/returns';
import { useNotify } from '../../notify';
import { ReturnRequestForm } from '../returns/ReturnRequestForm';
import { Badge, Empty, LoadError, Loading } from '../ui';

export function OrderReturns({ order, onChanged }: { order: Order; onChanged: () => void }) {
  const asked = MAY_HAVE_RETURNS.has(order.status);
  const list = useLoad(() => (asked ? returns.ofOrder(order.id) : Promise.resolve(null)), [order.id, order.version, asked]);
  const notify = useNotify();
  const [open, setOpen] = useState(false);
  const items = list.data?.items ?? [];
  const limits = returnable(order, items);
  const mayCreate = RETURNABLE_PHASES.has(order.status) && list.data !== null && anyReturnable(limits);

  if (!asked) {
    return <div className="muted" data-testid="order-returns" data-state="not-delivered">Returns are possible once the order has been delivered or picked up.</div>;
  }
  return (
    <div data-testid="order-returns">
      <LoadError error={list.error} what="the order's returns" />
      {!list.data && list.loading && <Loading what="returns" />}
      {list.data && !items.length && <Empty>No returns.</Empty>}
      {items.length > 0 && (
        <table className="table table-compact">
          <thead><tr><th>RMA</th><th>Status</th><th>Resolution</th><th className="num">Units</th><th className="num">Refund</th><th>Requested</th></tr></thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} data-testid="order-return-row" data-return-id={r.id} data-status={r.status}>
                <td><Link to={`/returns/${encodeURIComponent(r.id)}`} className="mono" data-testid="order-return-link">{r.rma_number}</Link></td>
                <td><Badge value={r.status} /></td>
                <td>{humanize(r.resolution)}</td>
                <td className="num">{count(r.lines.reduce((n, l) => n + l.quantity, 0))}</td>
                <td className="num">{r.refund ? money(r.refund.amount, r.refund.currency) : '—'}</td>
                <td className="small">{dateTime(r.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mayCreate && !open && (
        <div className="actions-row">
          <button type="button" className="btn" onClick={() => setOpen(true)} data-testid="order-create-return">Create return</button>
        </div>
      )}
      {mayCreate && open && (
        <ReturnRequestForm
          order={order}
          limits={limits}
          onCancel={() => setOpen(false)}
          onCreated={(r) => {
            notify.notice(`Return ${r.rma_number} created (${humanize(r.status)})`);
            setOpen(false);
            void list.reload();
            onChanged();
          }}
        />
      )}
    </div>
  );
}
