// The customer's own orders (GET /orders: the API answers only theirs), newest first.

import { Link } from 'react-router-dom';
import { shop } from '../api/tenancy';
import { StatusBadge } from '../components/StatusBadge';
import { Empty, LoadError, Loading, Pager, Panel } from '../components/ui';
import { dateTime, money } from '../format';
import { useCursorPager, useLoad } from '../lib/hooks';
import { usePortalPath } from './PortalApp';

export default function MyOrders() {
  const pager = useCursorPager();
  const list = useLoad(() => shop.orders(pager.cursor), [pager.cursor], 5000);
  const to = usePortalPath();
  const rows = list.data?.items ?? [];
  return (
    <Panel title="My orders" testid="page-portal-orders">
      <LoadError error={list.error} what="your orders" />
      {list.loading && !list.data ? (
        <Loading what="your orders" />
      ) : rows.length === 0 ? (
        <Empty>No orders yet.</Empty>
      ) : (
        <table className="table" data-testid="my-orders">
          <thead>
            <tr><th>Order</th><th>Placed</th><th>Status</th><th className="num">Total</th></tr>
          </thead>
          <tbody>
            {rows.map((o) => (
              <tr key={o.id} data-testid="my-order-row" data-order-id={o.id} data-order-number={o.order_number} data-status={o.status} data-status-code={o.status_code ?? o.status}>
                <td><Link to={to(`/orders/${encodeURIComponent(o.id)}`)} data-testid="my-order-link">{o.order_number}</Link></td>
                <td>{dateTime(o.created_at)}</td>
                <td><StatusBadge phase={o.status} code={o.status_code} testid="my-order-status" /></td>
                <td className="num">{money(o.total_amount, o.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={pager.page} hasPrev={pager.hasPrev} hasNext={Boolean(list.data?.next_cursor)} onPrev={pager.prev} onNext={() => pager.next(list.data?.next_cursor)} testid="my-orders-pager" />
    </Panel>
  );
}
