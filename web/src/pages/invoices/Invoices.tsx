// Invoice Guard: invoices (status filter, cursor pages), the review queue of adjustments waiting
// for a SUPERADMIN, and the tariffs. One invoice opens at /invoices/<id> (InvoiceDetail).

import { useEffect } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { billing } from '../../api/sla';
import { INVOICE_STATUSES } from '../../api/types-radar';
import { useAuth } from '../../auth';
import { Badge, Empty, LoadError, Loading, PageHeader, Pager, Panel, Tabs } from '../../components/ui';
import { count, dateOnly, dateTime, humanize, money, shortId } from '../../format';
import { useCursorPager, useLoad } from '../../lib/hooks';
import { billingTone, reviewQueue, signedMoney } from '../../lib/invoices';
import { useAction } from '../../notify';

const PAGE_SIZE = 25;
type TabKey = 'invoices' | 'review' | 'tariffs';

export default function Invoices() {
  const [params, setParams] = useSearchParams();
  const raw = params.get('tab');
  const tab: TabKey = raw === 'review' || raw === 'tariffs' ? raw : 'invoices';
  const status = params.get('status') ?? '';
  const pager = useCursorPager();
  useEffect(() => pager.reset(), [status]);

  function setParam(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  return (
    <div className="page" data-testid="page-invoices">
      <PageHeader title="Invoices" subtitle="Fulfilment invoices per day, checked against the events: discrepancies and SLA credits as adjustments." />
      <Tabs<TabKey>
        tabs={[{ key: 'invoices', label: 'Invoices' }, { key: 'review', label: 'Review queue' }, { key: 'tariffs', label: 'Tariffs' }]}
        active={tab}
        onChange={(k) => setParam('tab', k === 'invoices' ? '' : k)}
      />
      {tab === 'invoices' && <InvoiceList status={status} onStatus={(s) => setParam('status', s)} pager={pager} />}
      {tab === 'review' && <ReviewQueue />}
      {tab === 'tariffs' && <Tariffs />}
    </div>
  );
}

function InvoiceList({ status, onStatus, pager }: { status: string; onStatus: (s: string) => void; pager: ReturnType<typeof useCursorPager> }) {
  const list = useLoad(() => billing.invoices({ status: status || undefined, limit: PAGE_SIZE, cursor: pager.cursor }), [status, pager.cursor]);
  const items = list.data?.items ?? [];
  return (
    <Panel testid="invoices-panel">
      <div className="filters">
        <select value={status} onChange={(e) => onStatus(e.target.value)} aria-label="Status" data-testid="invoice-filter-status">
          <option value="">Any status</option>
          {INVOICE_STATUSES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
        </select>
      </div>
      <LoadError error={list.error} what="invoices" />
      {!list.data && list.loading && <Loading what="invoices" />}
      {list.data && !items.length && <Empty>No invoices match. They are made nightly by generate_invoices (Operations can run it now).</Empty>}
      {items.length > 0 && (
        <table className="table" data-testid="invoices-table">
          <thead><tr><th>Period</th><th>Invoice</th><th>Status</th><th className="num">Orders</th><th className="num">Subtotal</th><th className="num">Adjustments</th><th className="num">Total</th><th>Generated</th></tr></thead>
          <tbody>
            {items.map((inv) => (
              <tr key={inv.invoice_id} data-testid="invoice-row" data-id={inv.invoice_id} data-status={inv.status}>
                <td>{dateOnly(inv.period_start, 'UTC')}</td>
                <td><Link to={`/invoices/${encodeURIComponent(inv.invoice_id)}`} className="mono" data-testid="invoice-link">{shortId(inv.invoice_id)}</Link></td>
                <td><Badge value={inv.status} tone={billingTone(inv.status)} /></td>
                <td className="num">{count(inv.order_count)}</td>
                <td className="num">{money(inv.subtotal, inv.currency)}</td>
                <td className="num">{signedMoney(inv.adjustments_total, inv.currency)}</td>
                <td className="num strong">{money(inv.total, inv.currency)}</td>
                <td className="small">{dateTime(inv.generated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager testid="invoices-pager" page={pager.page} hasPrev={pager.hasPrev} hasNext={Boolean(list.data?.next_cursor)} onPrev={pager.prev} onNext={() => pager.next(list.data?.next_cursor)} />
    </Panel>
  );
}

export function ReviewQueue() {
  const { can } = useAuth();
  const { run, busy } = useAction();
  const list = useLoad(() => billing.invoices({ status: 'REVIEW', limit: 100 }), []);
  const queue = reviewQueue(list.data?.items ?? []);

  async function decide(invoiceId: string, adjustmentId: string, approve: boolean) {
    const done = await run(
      approve ? 'Approve adjustment' : 'Reject adjustment',
      () => (approve ? billing.approve(invoiceId, adjustmentId) : billing.reject(invoiceId, adjustmentId)),
      approve ? 'Adjustment approved' : 'Adjustment rejected',
    );
    if (done) void list.reload();
  }

  return (
    <Panel title="Adjustments waiting for review" actions={<span className="muted small">above the tenant's auto-credit limit</span>} testid="review-queue">
      <LoadError error={list.error} what="the review queue" />
      {!list.data && list.loading && <Loading what="the review queue" />}
      {list.data && !queue.length && <Empty>Nothing waits for review.</Empty>}
      {queue.length > 0 && (
        <table className="table" data-testid="review-table">
          <thead><tr><th>Invoice</th><th>Kind</th><th>Reason</th><th>Order</th><th className="num">Amount</th><th /></tr></thead>
          <tbody>
            {queue.map((a) => (
              <tr key={`${a.invoice_id}-${a.adjustment_id}`} data-testid="review-row" data-invoice-id={a.invoice_id} data-adjustment-id={a.adjustment_id}>
                <td><Link to={`/invoices/${encodeURIComponent(a.invoice_id)}`} className="mono">{dateOnly(a.period_start, 'UTC')} · {shortId(a.invoice_id)}</Link></td>
                <td>{humanize(a.kind)}</td>
                <td className="small">{a.reason}</td>
                <td className="mono small">{a.order_ref ?? '—'}</td>
                <td className="num">{signedMoney(a.amount, a.currency)}</td>
                <td className="nowrap">
                  {can.admin ? (
                    <>
                      <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={() => decide(a.invoice_id, a.adjustment_id, true)} data-testid="adjustment-approve">Approve</button>{' '}
                      <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => decide(a.invoice_id, a.adjustment_id, false)} data-testid="adjustment-reject">Reject</button>
                    </>
                  ) : (
                    <span className="muted small">a SUPERADMIN decides</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

function Tariffs() {
  const list = useLoad(() => billing.tariffs(), []);
  const items = list.data?.items ?? [];
  return (
    <Panel title="Tariffs" testid="tariffs">
      <LoadError error={list.error} what="the tariffs" />
      {!list.data && list.loading && <Loading what="the tariffs" />}
      {list.data && !items.length && <Empty>No tariff yet.</Empty>}
      {items.map((t) => (
        <div key={t.id} className="card" data-testid="tariff-card" data-id={t.id} data-active={t.is_active}>
          <div className="card-head"><strong>{t.name}</strong> {t.is_active ? <Badge value="ACTIVE" /> : <Badge value="INACTIVE" />} <span className="muted small">{t.currency} · version {t.version}</span></div>
          <table className="table table-compact">
            <tbody>
              {([['Per order', t.per_order], ['Per pick line', t.per_pick_line], ['Per unit', t.per_unit], ['Per package', t.per_pack], ['Per label', t.per_label], ['Per return', t.per_return], ['Auto-credit limit', t.auto_credit_limit]] as const).map(([k, v]) => (
                <tr key={k}><td>{k}</td><td className="num">{money(v, t.currency)}</td></tr>
              ))}
            </tbody>
          </table>
          {t.sla_credits.length > 0 && (
            <div className="small">SLA credits: {t.sla_credits.map((c) => `${humanize(c.milestone)} breach → ${(Number(c.share_of_order_fee) * 100).toFixed(0)}% of the order fee`).join('; ')}</div>
          )}
        </div>
      ))}
    </Panel>
  );
}
