// Overview: KPI cards, the live order feed, daily volume, channels and the status funnel.

import { useState } from 'react';
import { Link } from 'react-router-dom';
import { analytics, orders } from '../api';
import { Funnel, ShareBars, VolumeChart } from '../components/charts';
import { KpiCards } from '../components/KpiCards';
import { StatusBadge } from '../components/StatusBadge';
import { Empty, LoadError, Loading, PageHeader, Panel } from '../components/ui';
import { ago, count, humanize, isoDay, money } from '../format';
import { funnel, shares, totalOrders } from '../lib/analytics';
import { useLoad } from '../lib/hooks';
import { useNodes } from '../lib/nodes';

const FEED_MS = 3000;
const KPI_MS = 15000;

export default function Overview() {
  const [days, setDays] = useState(30);
  const from = isoDay(-(days - 1));
  const to = isoDay(0);
  const dash = useLoad(() => analytics.dashboard(from, to), [from, to], KPI_MS);
  const volume = useLoad(() => analytics.volume(days), [days], KPI_MS);
  const feed = useLoad(() => orders.list({ limit: 15 }), [], FEED_MS);
  const nodeIndex = useNodes();
  const currency = dash.data?.currency ?? 'USD';

  return (
    <div className="page" data-testid="page-overview">
      <PageHeader
        title="Overview"
        subtitle={`${from} to ${to}`}
        actions={
          <select value={days} onChange={(e) => setDays(Number(e.target.value))} aria-label="Range" data-testid="overview-range">
            <option value={7}>Last 7 days</option>
            <option value={30}>Last 30 days</option>
            <option value={90}>Last 90 days</option>
          </select>
        }
      />
      <LoadError error={dash.error} what="the dashboard figures" />
      {dash.data ? <KpiCards dashboard={dash.data} /> : dash.loading && <Loading what="figures" />}

      <div className="grid-2">
        <Panel
          title="Live order feed"
          testid="order-feed"
          actions={<span className="live-dot" title={`refreshes every ${FEED_MS / 1000} s`}>live</span>}
        >
          <LoadError error={feed.error} what="the latest orders" />
          {feed.data && !feed.data.items.length && <Empty>No orders yet. <Link to="/orders/new">Create one</Link>.</Empty>}
          {feed.data && feed.data.items.length > 0 && (
            <table className="table table-compact">
              <thead>
                <tr>
                  <th>Order</th>
                  <th>Customer</th>
                  <th>Status</th>
                  <th className="num">Total</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {feed.data.items.map((o) => (
                  <tr key={o.id} data-testid="feed-row" data-order-number={o.order_number} data-status={o.status}>
                    <td>
                      <Link to={`/orders/${o.id}`} className="mono">{o.order_number}</Link>
                    </td>
                    <td>{o.customer_name}</td>
                    <td>
                      <StatusBadge phase={o.status} code={o.status_code} testid="feed-status" />
                    </td>
                    <td className="num">{money(o.total_amount, o.currency)}</td>
                    <td className="muted small" title={o.updated_at}>{ago(o.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {!feed.data && feed.loading && <Loading />}
        </Panel>

        <Panel title="Status funnel">
          {dash.data ? <Funnel steps={funnel(dash.data.by_status)} /> : dash.error ? <Unavailable /> : <Loading />}
        </Panel>
      </div>

      <div className="grid-2">
        <Panel title={`Orders per day${volume.data ? ` · ${count(totalOrders(volume.data.series))} in ${volume.data.days} days` : ''}`}>
          <LoadError error={volume.error} what="the daily volume" />
          {volume.data ? <VolumeChart series={volume.data.series} currency={currency} /> : volume.loading && <Loading />}
        </Panel>
        <Panel title="By channel">
          {dash.data ? <ShareBars rows={shares(dash.data.by_channel)} currency={currency} testid="channel-chart" /> : dash.error ? <Unavailable /> : <Loading />}
          {dash.data && (
            <>
              <h3 className="sub">By fulfilment type</h3>
              <ShareBars rows={shares(dash.data.by_fulfillment_type)} currency={currency} testid="fulfilment-chart" />
            </>
          )}
        </Panel>
      </div>

      {dash.data && (
        <div className="grid-2">
          <Panel title="Top nodes">
            {dash.data.top_nodes.length ? (
              <table className="table table-compact">
                <thead>
                  <tr><th>Node</th><th className="num">Orders</th><th className="num">Units</th></tr>
                </thead>
                <tbody>
                  {dash.data.top_nodes.map((n) => (
                    <tr key={n.node_id}><td>{n.node_name}</td><td className="num">{count(n.orders)}</td><td className="num">{count(n.units)}</td></tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Empty>No shipments in this range.</Empty>
            )}
          </Panel>
          <Panel title="Inventory alerts" actions={<Link to="/inventory?low=1">Inventory →</Link>}>
            {dash.data.inventory_alerts.items.length ? (
              <table className="table table-compact">
                <thead>
                  <tr><th>SKU</th><th>Node</th><th className="num">Available</th><th className="num">Reorder at</th></tr>
                </thead>
                <tbody>
                  {dash.data.inventory_alerts.items.slice(0, 10).map((a) => (
                    <tr key={`${a.sku}|${a.node_id}`} className={a.available <= 0 ? 'row-bad' : 'row-warn'}>
                      <td className="mono">{a.sku}</td><td className="small">{nodeIndex.name(a.node_id)}</td>
                      <td className="num">{count(a.available)}</td><td className="num">{count(a.reorder_level)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Empty>No stock below its reorder level.</Empty>
            )}
            <div className="muted small">Statuses: {Object.entries(dash.data.by_status).map(([s, n]) => `${humanize(s)} ${n}`).join(' · ') || '—'}</div>
          </Panel>
        </div>
      )}
    </div>
  );
}

function Unavailable() {
  return <Empty>Unavailable: the dashboard figures did not load (see above).</Empty>;
}
