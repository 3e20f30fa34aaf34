// Orders: filters (status, channel, dates), free-text search (GET /search/orders?q=), cursor pages.

import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { CHANNELS, ORDER_STATUSES, orders, search, type OrderSummary } from '../api';
import { StatusBadge } from '../components/StatusBadge';
import { Empty, LoadError, Loading, PageHeader, Pager, Panel } from '../components/ui';
import { dateTime, humanize, money } from '../format';
import { useCursorPager, useDebounced, useLoad } from '../lib/hooks';

const PAGE_SIZE = 25;

interface Listing {
  items: (OrderSummary & { score?: number; skus?: string[] })[];
  next_cursor: string | null;
  total?: number;
  took_ms?: number;
  mode: 'list' | 'search';
}

export default function Orders() {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const channel = params.get('channel') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const [text, setText] = useState(params.get('q') ?? '');
  const q = useDebounced(text.trim(), 350);
  const pager = useCursorPager();

  useEffect(() => {
    const next = new URLSearchParams(params);
    if (q) next.set('q', q);
    else next.delete('q');
    if (next.toString() !== params.toString()) setParams(next, { replace: true });
  }, [q]);

  const filterKey = `${status}|${channel}|${from}|${to}|${q}`;
  useEffect(() => pager.reset(), [filterKey]); // back to the first page when the filters change

  const listing = useLoad<Listing>(async () => {
    if (q) {
      const found = await search.orders({
        q, status, channel, from_date: from, to_date: to, limit: PAGE_SIZE, cursor: pager.cursor,
      });
      return { ...found, mode: 'search' };
    }
    const page = await orders.list({
      status, channel,
      created_from: from ? `${from}T00:00:00Z` : undefined,
      created_to: to ? `${to}T23:59:59.999Z` : undefined,
      limit: PAGE_SIZE, cursor: pager.cursor,
    });
    return { items: page.items, next_cursor: page.next_cursor ?? null, mode: 'list' };
  }, [filterKey, pager.cursor]);

  function setFilter(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  const data = listing.data;
  return (
    <div className="page" data-testid="page-orders">
      <PageHeader
        title="Orders"
        subtitle="Newest first; search finds order numbers by prefix, customers by name (one typo allowed), emails, SKUs and tags."
        actions={<Link to="/orders/new" className="btn btn-primary" data-testid="new-order-link">+ New order</Link>}
      />
      <Panel>
        <div className="filters">
          <input
            type="search"
            className="search-input"
            placeholder="Search orders: number, customer, email, SKU, tag…"
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-label="Search orders"
            data-testid="order-search"
          />
          <select value={status} onChange={(e) => setFilter('status', e.target.value)} aria-label="Status" data-testid="filter-status">
            <option value="">Any status</option>
            {ORDER_STATUSES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
          </select>
          <select value={channel} onChange={(e) => setFilter('channel', e.target.value)} aria-label="Channel" data-testid="filter-channel">
            <option value="">Any channel</option>
            {CHANNELS.map((c) => <option key={c} value={c}>{humanize(c)}</option>)}
          </select>
          <label className="inline-field">From <input type="date" value={from} onChange={(e) => setFilter('from', e.target.value)} data-testid="filter-from" /></label>
          <label className="inline-field">To <input type="date" value={to} onChange={(e) => setFilter('to', e.target.value)} data-testid="filter-to" /></label>
        </div>
      </Panel>

      <Panel testid="orders-panel">
        <LoadError error={listing.error} what={q ? 'search results' : 'orders'} />
        {data?.mode === 'search' && (
          <div className="muted small" data-testid="search-summary">
            {data.total ?? data.items.length} match{(data.total ?? 0) === 1 ? '' : 'es'} for “{q}”
            {data.took_ms !== undefined ? ` in ${data.took_ms.toFixed(1)} ms` : ''}
          </div>
        )}
        {listing.loading && !data && <Loading what="orders" />}
        {data && !data.items.length && <Empty>No orders match.</Empty>}
        {data && data.items.length > 0 && (
          <table className="table" data-testid="orders-table" data-mode={data.mode}>
            <thead>
              <tr>
                <th>Order</th>
                <th>Customer</th>
                <th>Status</th>
                <th>Channel</th>
                <th>Fulfilment</th>
                <th className="num">Total</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((o) => (
                <tr key={o.id} data-testid="order-row" data-order-number={o.order_number} data-status={o.status}>
                  <td><Link to={`/orders/${o.id}`} className="mono">{o.order_number}</Link></td>
                  <td>
                    {o.customer_name}
                    <div className="muted small">{o.customer_email}</div>
                  </td>
                  <td><StatusBadge phase={o.status} code={o.status_code} /></td>
                  <td>{humanize(o.channel)}</td>
                  <td className="small">{humanize(o.fulfillment_type)}</td>
                  <td className="num">{money(o.total_amount, o.currency)}</td>
                  <td className="small">{dateTime(o.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager
          testid="orders-pager"
          page={pager.page}
          hasPrev={pager.hasPrev}
          hasNext={Boolean(data?.next_cursor)}
          onPrev={pager.prev}
          onNext={() => pager.next(data?.next_cursor)}
        />
      </Panel>
    </div>
  );
}
