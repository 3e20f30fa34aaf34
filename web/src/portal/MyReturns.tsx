// The customer's returns: "My returns" (GET /returns answers only their own), and on one of their
// delivered orders the returns of that order with "Return items" (lines and quantities up to what
// may still come back, a reason each, refund / exchange / store credit). The customer sees the
// status, the items and the refund; never nodes or the staff's fields.

import { useState } from 'react';
import { Link } from 'react-router-dom';
import type { Order } from '../api';
import { returns, type Return } from '../api/returns';
import { ReturnRequestForm } from '../components/returns/ReturnRequestForm';
import { Badge, Empty, LoadError, Loading, Pager, Panel } from '../components/ui';
import { dateTime, humanize, money } from '../format';
import { useCursorPager, useLoad } from '../lib/hooks';
import { anyReturnable, MAY_HAVE_RETURNS, RETURNABLE_PHASES, returnable } from '../lib/returns';
import { useNotify } from '../notify';
import { usePortalPath } from './PortalApp';

const units = (r: Return) => r.lines.reduce((n, l) => n + l.quantity, 0);

function ReturnSummary({ r }: { r: Return }) {
  return (
    <span className="small">
      {r.lines.map((l) => `${l.quantity} × ${l.product_name ?? l.sku} (${humanize(l.reason).toLowerCase()})`).join(', ')}
      {r.refund && <> · refunded <strong data-testid="portal-return-refund">{money(r.refund.amount, r.refund.currency)}</strong></>}
      {r.store_credit && <> · store credit <strong>{money(r.store_credit.amount, r.store_credit.currency)}</strong></>}
    </span>
  );
}

/** On the customer's order page: its returns, and "Return items" while something may come back. */
export function PortalOrderReturns({ order, onChanged }: { order: Order; onChanged: () => void }) {
  const asked = MAY_HAVE_RETURNS.has(order.status);
  const list = useLoad(() => (asked ? returns.ofOrder(order.id) : Promise.resolve(null)), [order.id, order.version, asked]);
  const notify = useNotify();
  const [open, setOpen] = useState(false);
  const items = list.data?.items ?? [];
  const limits = returnable(order, items);
  const mayReturn = RETURNABLE_PHASES.has(order.status) && list.data !== null && anyReturnable(limits);
  if (!asked || (!RETURNABLE_PHASES.has(order.status) && !items.length)) return null;
  return (
    <Panel title="Returns" testid="portal-order-returns">
      <LoadError error={list.error} what="your returns" />
      {!list.data && list.loading && <Loading />}
      {list.data && !items.length && <Empty>No returns for this order.</Empty>}
      {items.length > 0 && (
        <ul className="plain-list">
          {items.map((r) => (
            <li key={r.id} data-testid="portal-return-row" data-return-id={r.id} data-status={r.status}>
              <strong>{r.rma_number}</strong> <Badge value={r.status} testid="portal-return-status" /> {humanize(r.resolution)} · <ReturnSummary r={r} />
            </li>
          ))}
        </ul>
      )}
      {mayReturn && !open && (
        <button type="button" className="btn" onClick={() => setOpen(true)} data-testid="portal-return-items">Return items</button>
      )}
      {mayReturn && open && (
        <ReturnRequestForm
          order={order}
          limits={limits}
          onCancel={() => setOpen(false)}
          onCreated={(r) => {
            notify.notice(`Return ${r.rma_number} requested: ${humanize(r.status)}`);
            setOpen(false);
            void list.reload();
            onChanged();
          }}
        />
      )}
    </Panel>
  );
}

export default function MyReturns() {
  const pager = useCursorPager();
  const list = useLoad(() => returns.list({ limit: 25, cursor: pager.cursor }), [pager.cursor]);
  const to = usePortalPath();
  const rows = list.data?.items ?? [];
  return (
    <Panel title="My returns" testid="page-portal-returns">
      <LoadError error={list.error} what="your returns" />
      {list.loading && !list.data ? (
        <Loading what="your returns" />
      ) : rows.length === 0 ? (
        <Empty>No returns. You can return items of a delivered order from its page.</Empty>
      ) : (
        <table className="table" data-testid="my-returns">
          <thead><tr><th>Return</th><th>Order</th><th>Requested</th><th>Status</th><th>Resolution</th><th className="num">Units</th><th>Items</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="my-return-row" data-return-id={r.id} data-status={r.status}>
                <td className="mono">{r.rma_number}</td>
                <td><Link to={to(`/orders/${encodeURIComponent(r.order_id)}`)} data-testid="my-return-order">{r.order_number ?? 'the order'}</Link></td>
                <td>{dateTime(r.created_at)}</td>
                <td><Badge value={r.status} testid="my-return-status" /></td>
                <td>{humanize(r.resolution)}</td>
                <td className="num">{units(r)}</td>
                <td><ReturnSummary r={r} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={pager.page} hasPrev={pager.hasPrev} hasNext={Boolean(list.data?.next_cursor)} onPrev={pager.prev} onNext={() => pager.next(list.data?.next_cursor)} testid="my-returns-pager" />
    </Panel>
  );
}
