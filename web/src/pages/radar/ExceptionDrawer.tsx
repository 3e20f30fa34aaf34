// One exception in a drawer: the breach, its analysis (label, confidence, analyst, the ops and the
// client notes, the reasoning), and acknowledge / resolve-with-note for the people who may.

import { useState } from 'react';
import { Link } from 'react-router-dom';
import { exceptions } from '../../api/sla';
import type { SlaException } from '../../api/types';
import { useAuth } from '../../auth';
import { Badge, KeyValues, LoadError, Loading } from '../../components/ui';
import { dateTime, humanize, pct } from '../../format';
import { useLoad } from '../../lib/hooks';
import { minutes, orderName, severityTone, statusTone } from '../../lib/radar';
import { useAction } from '../../notify';

const NOTE_MAX = 2000;

export function ExceptionDrawer({ id, onClose, onChanged }: { id: string; onClose: () => void; onChanged: (e: SlaException) => void }) {
  const { can } = useAuth();
  const loaded = useLoad(() => exceptions.get(id), [id]);
  const { run, busy } = useAction();
  const [note, setNote] = useState('');
  const e = loaded.data;

  async function acknowledge() {
    const done = await run('Acknowledge', () => exceptions.acknowledge(id), 'Exception acknowledged');
    if (done) {
      loaded.setData(done);
      onChanged(done);
    }
  }

  async function resolve() {
    const text = note.trim();
    const done = await run('Resolve', () => exceptions.resolve(id, text), 'Exception resolved');
    if (done) {
      loaded.setData(done);
      setNote('');
      onChanged(done);
    }
  }

  return (
    <aside className="drawer" role="dialog" aria-label="Exception" data-testid="exception-drawer" data-id={id} data-status={e?.status ?? ''}>
      <div className="drawer-head">
        <h2>{e ? `${humanize(e.milestone)} · ${orderName(e)}` : 'Exception'}</h2>
        <button type="button" className="btn btn-ghost" onClick={onClose} aria-label="Close" data-testid="drawer-close">×</button>
      </div>
      <LoadError error={loaded.error} what="the exception" />
      {!e && loaded.loading && <Loading what="the exception" />}
      {e && (
        <>
          <div className="actions-row">
            <Badge value={e.severity} tone={severityTone(e.severity)} testid="drawer-severity" />
            <Badge value={e.status} tone={statusTone(e.status)} testid="drawer-status" />
            <span className="muted small">{humanize(e.kind)} breach{e.breach_open ? ', still open' : ', closed'}</span>
          </div>
          <dl className="kv">
            <div className="kv-row"><dt>Order</dt><dd>
              {e.order_id ? <Link to={`/orders/${e.order_id}`}>{orderName(e)}</Link> : orderName(e)}{' '}
              · <Link to={`/radar/orders/${encodeURIComponent(e.order_ref)}`} data-testid="exception-timeline-link">timeline</Link>
            </dd></div>
            <div className="kv-row"><dt>Source</dt><dd>{e.source}</dd></div>
            <div className="kv-row"><dt>Window</dt><dd>{minutes(e.window_minutes)}{e.factor !== 1 ? ` (× ${e.factor})` : ''} from {dateTime(e.clock_started_at)}</dd></div>
            <div className="kv-row"><dt>Deadline</dt><dd>{dateTime(e.deadline)}</dd></div>
            <div className="kv-row"><dt>Observed</dt><dd>{e.observed_at ? dateTime(e.observed_at) : 'not yet'}{e.late_minutes !== null ? ` · ${minutes(e.late_minutes)} late` : ''}</dd></div>
            <div className="kv-row"><dt>Raised</dt><dd>{dateTime(e.created_at)}</dd></div>
          </dl>

          <h3 className="sub">Analysis</h3>
          {e.analysis ? (
            <div data-testid="exception-analysis" data-analyst={e.analysis.analyst} data-label={e.analysis.label}>
              <div className="actions-row">
                <Badge value={e.analysis.label} tone="info" testid="analysis-label" />
                <span className="small" data-testid="analysis-confidence" data-value={e.analysis.confidence}>confidence {pct(e.analysis.confidence, 0)}</span>
                <span className="small muted" data-testid="analysis-analyst">by {e.analysis.analyst === 'claude' ? `Claude${e.analysis.model ? ` (${e.analysis.model})` : ''}` : 'the rules'}</span>
              </div>
              <div className="small strong">For operations</div>
              <div className="note" data-testid="analysis-ops-note">{e.analysis.ops_note}</div>
              <div className="small strong">For the client</div>
              <div className="note note-client" data-testid="analysis-client-note">{e.analysis.client_note}</div>
              <details>
                <summary className="small">Reasoning</summary>
                <p className="small" data-testid="analysis-reasoning">{e.analysis.reasoning}</p>
              </details>
            </div>
          ) : (
            <div className="muted small" data-testid="exception-analysis" data-analyst="">Not analysed yet.</div>
          )}

          <h3 className="sub">Facts</h3>
          <KeyValues data={e.facts} testid="exception-facts" />

          <h3 className="sub">Handling</h3>
          {e.acknowledged_at && <div className="small">Acknowledged by {e.acknowledged_by} {dateTime(e.acknowledged_at)}</div>}
          {e.resolved_at && (
            <div className="small" data-testid="resolution">
              Resolved by {e.resolved_by} {dateTime(e.resolved_at)}
              {e.resolution_note && <div className="note">{e.resolution_note}</div>}
            </div>
          )}
          {can.user && e.status !== 'RESOLVED' && (
            <div className="form-grid">
              {e.status === 'OPEN' && (
                <div className="actions-row">
                  <button type="button" className="btn" disabled={busy} onClick={acknowledge} data-testid="exception-acknowledge">Acknowledge</button>
                </div>
              )}
              <label className="field">
                <span className="field-label">Resolution note</span>
                <textarea
                  className="resolve-note"
                  value={note}
                  maxLength={NOTE_MAX}
                  onChange={(ev) => setNote(ev.target.value)}
                  placeholder="What was done (sent to the log of this exception)"
                  data-testid="resolve-note"
                />
              </label>
              <div className="actions-row">
                <button type="button" className="btn btn-primary" disabled={busy || !note.trim()} onClick={resolve} data-testid="exception-resolve">Resolve</button>
              </div>
            </div>
          )}
        </>
      )}
    </aside>
  );
}
