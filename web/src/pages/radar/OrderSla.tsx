// One order's SLA timeline: its milestones against the deadlines of its policy (chart and table)
// and its exceptions, which open in the radar's drawer.

import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { sla } from '../../api/sla';
import { Badge, Empty, LoadError, Loading, PageHeader, Panel } from '../../components/ui';
import { dateTime, humanize } from '../../format';
import { useLoad } from '../../lib/hooks';
import { LATE_STATES, bySeverity, minutes, severityTone, statusTone } from '../../lib/radar';
import { ExceptionDrawer } from './ExceptionDrawer';
import { TimelineChart } from './TimelineChart';

const STATE_TONE: Record<string, 'ok' | 'warn' | 'bad' | 'info' | 'neutral'> = {
  met: 'ok', late: 'warn', breached: 'bad', at_risk: 'warn', open: 'neutral',
};

export default function OrderSla() {
  const { orderRef = '' } = useParams();
  const timeline = useLoad(() => sla.timeline(orderRef), [orderRef], 15_000);
  const [open, setOpen] = useState<string | null>(null);
  const t = timeline.data;
  const isOwn = !orderRef.startsWith('ext:');
  return (
    <div className="page" data-testid="page-sla-timeline" data-order-ref={orderRef} data-ready={Boolean(t)}>
      <PageHeader
        title={`SLA timeline · ${orderRef}`}
        subtitle={
          <>
            <Link to="/radar">← SLA radar</Link>
            {isOwn && <> · <Link to={`/orders/${encodeURIComponent(orderRef)}`}>the order</Link></>}
            {t && <> · clock started {dateTime(t.clock_started_at)}{t.factor !== 1 ? ` · windows × ${t.factor}` : ''}</>}
          </>
        }
      />
      <LoadError error={timeline.error} what="the timeline" />
      {!t && timeline.loading && <Loading what="the timeline" />}
      {t && (
        <>
          <Panel title="Milestones against deadlines" actions={<span className="muted small">● event · ◇ deadline · late in orange</span>}>
            {t.milestones.length ? <TimelineChart timeline={t} /> : <Empty>No milestone yet.</Empty>}
            <table className="table table-compact" data-testid="tl-table">
              <thead><tr><th>Milestone</th><th>At</th><th>Deadline</th><th>State</th></tr></thead>
              <tbody>
                {t.milestones.map((m) => (
                  <tr key={m.milestone} data-testid="tl-row" data-milestone={m.milestone} data-state={m.state} className={LATE_STATES.has(m.state) ? 'row-warn' : ''}>
                    <td>{humanize(m.milestone)}</td>
                    <td className="small">{m.at ? dateTime(m.at) : '—'}</td>
                    <td className="small">{m.deadline ? dateTime(m.deadline) : '—'}</td>
                    <td><Badge value={m.state} tone={STATE_TONE[m.state] ?? 'neutral'} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Panel>
          <Panel title="Exceptions of this order" testid="order-exceptions">
            {t.exceptions.length ? (
              <table className="table table-compact">
                <thead><tr><th>Severity</th><th>Milestone</th><th>Label</th><th>Status</th><th className="num">Late</th><th /></tr></thead>
                <tbody>
                  {bySeverity(t.exceptions).map((e) => (
                    <tr key={e.exception_id} data-testid="exception-row" data-id={e.exception_id} data-status={e.status} data-severity={e.severity}>
                      <td><Badge value={e.severity} tone={severityTone(e.severity)} /></td>
                      <td>{humanize(e.milestone)}</td>
                      <td>{e.analysis ? humanize(e.analysis.label) : '—'}</td>
                      <td><Badge value={e.status} tone={statusTone(e.status)} /></td>
                      <td className="num">{minutes(e.late_minutes)}</td>
                      <td><button type="button" className="btn btn-small" onClick={() => setOpen(e.exception_id)} data-testid="exception-open">Open</button></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Empty>No exception for this order.</Empty>
            )}
          </Panel>
        </>
      )}
      {open && <ExceptionDrawer id={open} onClose={() => setOpen(null)} onChanged={() => void timeline.reload()} />}
    </div>
  );
}
