// On an order's page: a link to its SLA timeline when the radar raised exceptions for it.

import { Link } from 'react-router-dom';
import { exceptions } from '../../api/sla';
import { useLoad } from '../../lib/hooks';
import { severityRank } from '../../lib/radar';

export function SlaLink({ orderId, version }: { orderId: string; version: number }) {
  const found = useLoad(() => exceptions.list({ order_ref: orderId, limit: 50 }), [orderId, version]);
  const items = found.data?.items ?? [];
  if (!items.length) return null;
  const open = items.filter((e) => e.status !== 'RESOLVED');
  const worst = [...open].sort((a, b) => severityRank(a.severity) - severityRank(b.severity))[0];
  return (
    <Link
      to={`/radar/orders/${encodeURIComponent(orderId)}`}
      className={`chip ${open.length ? 'text-warn' : ''}`}
      data-testid="order-sla-link"
      data-open={open.length}
      title="This order's milestones against its SLA deadlines"
    >
      SLA: {items.length} exception{items.length === 1 ? '' : 's'}{open.length ? ` (${open.length} open, worst ${worst?.severity.toLowerCase()})` : ', all resolved'} →
    </Link>
  );
}
