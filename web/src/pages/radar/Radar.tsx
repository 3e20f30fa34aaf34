// SLA radar: open exceptions by severity and by label, the orders at risk, the exceptions with
// filters and cursor pages, one exception in a drawer (?exception=<id>), and the SLA policies.

import { useEffect } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { exceptions, sla } from '../../api/sla';
import { EXCEPTION_LABELS, EXCEPTION_STATUSES, SEVERITIES } from '../../api/types-radar';
import { Badge, Empty, LoadError, Loading, PageHeader, Pager, Panel, Tabs } from '../../components/ui';
import { count, dateTime, humanize, pctValue } from '../../format';
import { useCursorPager, useLoad } from '../../lib/hooks';
import { bySeverity, exceptionQuery, filtersFrom, labelRows, minutes, orderName, severityCards, severityTone, statusTone, type ExceptionFilterForm } from '../../lib/radar';
import { ExceptionDrawer } from './ExceptionDrawer';
import { Policies } from './Policies';

const PAGE_SIZE = 25;
type TabKey = 'exceptions' | 'policies';

export default function Radar() {
  const [params, setParams] = useSearchParams();
  const tab: TabKey = params.get('tab') === 'policies' ? 'policies' : 'exceptions';
  const open = params.get('exception');
  const filters = filtersFrom(params);
  const filterKey = JSON.stringify(filters);
  const pager = useCursorPager();
  useEffect(() => pager.reset(), [filterKey]);

  const radar = useLoad(() => sla.radar(), [], 10_000);
  const listing = useLoad(() => exceptions.list(exceptionQuery(filters, PAGE_SIZE, pager.cursor)), [filterKey, pager.cursor], 15_000);

  function setParam(name: string, value: string | null) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: name !== 'exception' });
  }
  const setFilter = (name: keyof ExceptionFilterForm, value: string) => setParam(name, value);

  const r = radar.data;
  const labels = labelRows(r?.open_by_label);
  const labelMax = Math.max(1, ...labels.map((l) => l.count));
  const items = listing.data?.items ?? [];

  return (
    <div className="page" data-testid="page-radar">
      <PageHeader title="SLA radar" subtitle="Breaches of the SLA windows, their analysis, and the orders about to breach. Refreshes every 10 s." />
      <Tabs<TabKey>
        tabs={[{ key: 'exceptions', label: 'Exceptions' }, { key: 'policies', label: 'SLA policies' }]}
        active={tab}
        onChange={(k) => setParam('tab', k === 'exceptions' ? null : k)}
      />
      {tab === 'policies' ? (
        <Policies />
      ) : (
        <>
          <LoadError error={radar.error} what="the radar" />
          {!r && radar.loading && <Loading what="the radar" />}
          {r && (
            <>
              <div className="severity-cards" data-testid="radar-severity">
                {severityCards(r.open_by_severity).map((c) => (
                  <button
                    type="button"
                    key={c.severity}
                    className={`severity-card tone-${severityTone(c.severity)}`}
                    data-testid="severity-card"
                    data-severity={c.severity}
                    data-count={c.count}
                    onClick={() => {
                      const next = new URLSearchParams(params);
                      next.set('severity', c.severity);
                      next.set('status', 'OPEN');
                      setParams(next, { replace: true });
                    }}
                    title="Show these open exceptions"
                  >
                    <div className="kpi-label">{humanize(c.severity)}</div>
                    <div className="kpi-value">{count(c.count)}</div>
                    <div className="muted small">open</div>
                  </button>
                ))}
              </div>
              <div className="grid-2">
                <Panel title="Open by label" testid="radar-labels">
                  {labels.length ? (
                    <div className="share-bars">
                      {labels.map((l) => (
                        <div key={l.label} className="share-row" data-testid="label-row" data-label={l.label} data-count={l.count}>
                          <span className="share-key">{humanize(l.label)}</span>
                          <div className="share-track"><div className="share-fill" style={{ width: `${((l.count / labelMax) * 100).toFixed(1)}%` }} /></div>
                          <span className="share-num">{count(l.count)}</span>
                        </div>
                      ))}
                    </div>
                  ) : (
                    <Empty>No open exceptions.</Empty>
                  )}
                </Panel>
                <Panel title="At risk" actions={<span className="muted small">past the warning threshold, before the deadline</span>} testid="at-risk-list">
                  {r.at_risk.length ? (
                    <table className="table table-compact">
                      <thead><tr><th>Order</th><th>Milestone</th><th>Deadline</th><th className="num">Elapsed</th></tr></thead>
                      <tbody>
                        {[...r.at_risk].sort((a, b) => b.elapsed_pct - a.elapsed_pct).map((a) => (
                          <tr key={`${a.order_ref}-${a.milestone}`} data-testid="at-risk-row" data-order-ref={a.order_ref} data-milestone={a.milestone}>
                            <td><Link to={`/radar/orders/${encodeURIComponent(a.order_ref)}`} className="mono">{a.order_ref}</Link></td>
                            <td>{humanize(a.milestone)}</td>
                            <td className="small">{dateTime(a.deadline)}</td>
                            <td className="num text-warn">{pctValue(a.elapsed_pct, 0)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  ) : (
                    <Empty>No order is close to a deadline.</Empty>
                  )}
                </Panel>
              </div>
            </>
          )}

          <Panel title="Exceptions" testid="exceptions-panel">
            <div className="filters">
              <select value={filters.severity} onChange={(e) => setFilter('severity', e.target.value)} aria-label="Severity" data-testid="exc-filter-severity">
                <option value="">Any severity</option>
                {SEVERITIES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
              </select>
              <select value={filters.status} onChange={(e) => setFilter('status', e.target.value)} aria-label="Status" data-testid="exc-filter-status">
                <option value="">Any status</option>
                {EXCEPTION_STATUSES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
              </select>
              <select value={filters.label} onChange={(e) => setFilter('label', e.target.value)} aria-label="Label" data-testid="exc-filter-label">
                <option value="">Any label</option>
                {EXCEPTION_LABELS.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
              </select>
              <input
                type="search"
                placeholder="Order ref (order id or ext:…)"
                value={filters.order_ref}
                onChange={(e) => setFilter('order_ref', e.target.value)}
                aria-label="Order"
                data-testid="exc-filter-order"
              />
              <label className="inline-field">From <input type="date" value={filters.from} onChange={(e) => setFilter('from', e.target.value)} data-testid="exc-filter-from" /></label>
              <label className="inline-field">To <input type="date" value={filters.to} onChange={(e) => setFilter('to', e.target.value)} data-testid="exc-filter-to" /></label>
            </div>
            <LoadError error={listing.error} what="exceptions" />
            {!listing.data && listing.loading && <Loading what="exceptions" />}
            {listing.data && !items.length && <Empty>No exceptions match.</Empty>}
            {items.length > 0 && (
              <table className="table" data-testid="exceptions-table">
                <thead>
                  <tr><th>Severity</th><th>Order</th><th>Milestone</th><th>Label</th><th>Status</th><th className="num">Late</th><th>Raised</th></tr>
                </thead>
                <tbody>
                  {bySeverity(items).map((e) => (
                    <tr
                      key={e.exception_id}
                      data-testid="exception-row"
                      data-id={e.exception_id}
                      data-severity={e.severity}
                      data-status={e.status}
                      data-order-ref={e.order_ref}
                      className={open === e.exception_id ? 'row-chosen' : ''}
                    >
                      <td><Badge value={e.severity} tone={severityTone(e.severity)} /></td>
                      <td>
                        <button type="button" className="btn btn-small btn-ghost mono" onClick={() => setParam('exception', e.exception_id)} data-testid="exception-open">
                          {orderName(e)}
                        </button>
                      </td>
                      <td>{humanize(e.milestone)} <span className="muted small">{e.kind}</span></td>
                      <td>{e.analysis ? humanize(e.analysis.label) : '—'}</td>
                      <td><Badge value={e.status} tone={statusTone(e.status)} /></td>
                      <td className="num">{minutes(e.late_minutes)}</td>
                      <td className="small">{dateTime(e.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <Pager
              testid="exceptions-pager"
              page={pager.page}
              hasPrev={pager.hasPrev}
              hasNext={Boolean(listing.data?.next_cursor)}
              onPrev={pager.prev}
              onNext={() => pager.next(listing.data?.next_cursor)}
            />
          </Panel>
        </>
      )}
      {open && (
        <ExceptionDrawer
          id={open}
          onClose={() => setParam('exception', null)}
          onChanged={() => {
            void listing.reload();
            void radar.reload();
          }}
        />
      )}
    </div>
  );
}
