// Returns (RMA): the list with status and resolution filters and cursor pages, and the tenant's
// return policy (a SUPERADMIN edits it; a USER reads it). One return opens at /returns/<id>.

import { useEffect } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { returns, RETURN_RESOLUTIONS, RETURN_STATUSES } from '../../api/returns';
import { Badge, Empty, LoadError, Loading, PageHeader, Pager, Panel, Tabs } from '../../components/ui';
import { count, dateTime, humanize, money } from '../../format';
import { useCursorPager, useLoad } from '../../lib/hooks';
import { ReturnPolicyPanel } from './ReturnPolicy';

const PAGE_SIZE = 25;
type TabKey = 'returns' | 'policy';

export default function Returns() {
  const [params, setParams] = useSearchParams();
  const tab: TabKey = params.get('tab') === 'policy' ? 'policy' : 'returns';
  const status = params.get('status') ?? '';
  const resolution = params.get('resolution') ?? '';
  const pager = useCursorPager();
  useEffect(() => pager.reset(), [status, resolution]);

  function setParam(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  return (
    <div className="page" data-testid="page-returns">
      <PageHeader title="Returns" subtitle="Return requests (RMA): approve or reject, receive the units at a node, refund what came back." />
      <Tabs<TabKey>
        tabs={[{ key: 'returns', label: 'Returns' }, { key: 'policy', label: 'Return policy' }]}
        active={tab}
        onChange={(k) => setParam('tab', k === 'returns' ? '' : k)}
      />
      {tab === 'returns' && <ReturnList status={status} resolution={resolution} setParam={setParam} pager={pager} />}
      {tab === 'policy' && <ReturnPolicyPanel />}
    </div>
  );
}

function ReturnList({ status, resolution, setParam, pager }: {
  status: string;
  resolution: string;
  setParam: (name: string, value: string) => void;
  pager: ReturnType<typeof useCursorPager>;
}) {
  const list = useLoad(
    () => returns.list({ status: status || undefined, resolution: resolution || undefined, limit: PAGE_SIZE, cursor: pager.cursor }),
    [status, resolution, pager.cursor],
  );
  const items = list.data?.items ?? [];
  return (
    <Panel testid="returns-panel">
      <div className="filters">
        <select value={status} onChange={(e) => setParam('status', e.target.value)} aria-label="Status" data-testid="returns-filter-status">
          <option value="">Any status</option>
          {RETURN_STATUSES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
        </select>
        <select value={resolution} onChange={(e) => setParam('resolution', e.target.value)} aria-label="Resolution" data-testid="returns-filter-resolution">
          <option value="">Any resolution</option>
          {RETURN_RESOLUTIONS.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
        </select>
      </div>
      <LoadError error={list.error} what="returns" />
      {!list.data && list.loading && <Loading what="returns" />}
      {list.data && !items.length && <Empty>No returns match.</Empty>}
      {items.length > 0 && (
        <table className="table" data-testid="returns-table">
          <thead><tr><th>RMA</th><th>Order</th><th>Customer</th><th>Status</th><th>Resolution</th><th className="num">Units</th><th className="num">Refund</th><th>Requested</th></tr></thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} data-testid="return-row" data-return-id={r.id} data-status={r.status} data-resolution={r.resolution}>
                <td><Link to={`/returns/${encodeURIComponent(r.id)}`} className="mono" data-testid="return-link">{r.rma_number}</Link></td>
                <td><Link to={`/orders/${encodeURIComponent(r.order_id)}`} className="mono">{r.order_number ?? r.order_id}</Link></td>
                <td className="small">{r.customer_email ?? '—'}</td>
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
      <Pager testid="returns-pager" page={pager.page} hasPrev={pager.hasPrev} hasNext={Boolean(list.data?.next_cursor)} onPrev={pager.prev} onNext={() => pager.next(list.data?.next_cursor)} />
    </Panel>
  );
}
