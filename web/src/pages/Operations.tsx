// Operations (SUPERADMIN): system health, scheduled jobs and their last runs (run a learning job
// now), the task log; dead-letter queues with replay for the platform owner.

import { Fragment, useState } from 'react';
import { LEARNING_JOBS, ops, system, type TaskRun } from '../api';
import { useAuth } from '../auth';
import { Badge, Empty, LoadError, Loading, PageHeader, Pager, Panel, ReadOnlyNote } from '../components/ui';
import { ago, count, dateTime, humanize } from '../format';
import { useCursorPager, useLoad } from '../lib/hooks';
import { useAction } from '../notify';

export default function Operations() {
  const { can } = useAuth();
  return (
    <div className="page" data-testid="page-operations">
      <PageHeader title="Operations" subtitle="Health, scheduled jobs, the task log and dead letters." />
      <div className="grid-2">
        <HealthPanel />
        <JobsPanel owner={can.owner} />
      </div>
      {can.owner ? <DlqPanel /> : <ReadOnlyNote>Dead-letter queues and their replay are the platform owner's (PLATFORM_OWNER); their depths show in the health checks.</ReadOnlyNote>}
      <TaskLogPanel owner={can.owner} />
    </div>
  );
}

function HealthPanel() {
  const live = useLoad(() => system.health(), [], 15000);
  const deep = useLoad(() => system.deepHealth(), [], 30000);
  const checks = deep.data?.checks ?? [];
  return (
    <Panel title="System health" testid="system-health" actions={deep.data && <Badge value={deep.data.status === 'ok' ? 'ACTIVE' : 'ERROR'} label={deep.data.status} testid="health-status" />}>
      <LoadError error={live.error} what="liveness" />
      <LoadError error={deep.error} what="the deep health check" />
      {live.data && <p className="small muted">API {live.data.status} · server time {dateTime(live.data.time)}</p>}
      {deep.loading && !deep.data && <Loading what="checks" />}
      <div className="check-list">
        {checks.filter((c) => !c.name.endsWith('_schedule')).map((c) => (
          <div key={c.name} className={`check ${c.ok ? 'check-ok' : 'check-bad'}`} data-testid="health-check" data-ok={c.ok}>
            <span>{humanize(c.name)}</span>
            <span className="muted small">{c.detail}</span>
          </div>
        ))}
      </div>
    </Panel>
  );
}

/** The latest run of each job kind ("job.<name>") among the newest task-log entries. */
function lastRuns(runs: TaskRun[]): Map<string, TaskRun> {
  const out = new Map<string, TaskRun>();
  for (const r of runs) {
    if (!r.kind.startsWith('job.')) continue;
    const name = r.kind.slice(4);
    const seen = out.get(name);
    if (!seen || seen.started_at < r.started_at) out.set(name, r);
  }
  return out;
}

function JobsPanel({ owner }: { owner: boolean }) {
  const deep = useLoad(() => system.deepHealth(), [], 60000);
  const runs = useLoad(async () => {
    const mine = await ops.taskLog(null, 200);
    const platform = owner ? await ops.taskLog(null, 200, '_platform') : { items: [] as TaskRun[] };
    return lastRuns([...mine.items, ...platform.items]);
  }, [owner], 15000);
  const { run, busy } = useAction();
  const schedules = new Map((deep.data?.checks ?? []).filter((c) => c.name.endsWith('_schedule')).map((c) => [c.name.replace(/_schedule$/, ''), c]));
  const names = [...new Set([...schedules.keys(), ...LEARNING_JOBS])];
  const runnable = new Set<string>(LEARNING_JOBS);

  async function runJob(name: string) {
    const r = await run(`Run ${name}`, () => ops.runJob(name), (x) => `${name} ran: ${JSON.stringify(x.result)}`);
    if (r) void runs.reload();
  }

  return (
    <Panel title="Scheduled jobs" testid="jobs-panel">
      <LoadError error={runs.error} what="the last runs" />
      <table className="table table-compact">
        <thead><tr><th>Job</th><th>Schedule</th><th>Last run</th><th>Outcome</th><th /></tr></thead>
        <tbody>
          {names.map((name) => {
            const last = runs.data?.get(name);
            const schedule = schedules.get(name);
            return (
              <tr key={name} data-testid="job-row" data-job={name}>
                <td>{humanize(name)}</td>
                <td className="small">{schedule ? schedule.detail : '—'}</td>
                <td className="small" title={last?.started_at}>{last ? `${ago(last.started_at)} · ${last.duration_ms} ms` : 'not in the recent log'}</td>
                <td>{last ? <Badge value={last.outcome} /> : '—'}{last?.error && <div className="small text-bad">{last.error}</div>}</td>
                <td>
                  {runnable.has(name) && (
                    <button type="button" className="btn btn-small" disabled={busy} onClick={() => runJob(name)} data-testid={`job-run-${name}`}>Run now</button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!owner && <p className="muted small">Maintenance jobs span tenants: their runs are in the platform owner's log.</p>}
    </Panel>
  );
}

function DlqPanel() {
  const dlqs = useLoad(() => ops.dlqs(), [], 10000);
  const { run, busy } = useAction();
  const [open, setOpen] = useState<string | null>(null);

  async function replay(queue: string) {
    const r = await run(`Replay ${queue}`, () => ops.replay(queue), (x) => `${x.moved} message(s) of ${queue} moved back to their queue`);
    if (r) void dlqs.reload();
  }

  return (
    <Panel title="Dead-letter queues" testid="dlq-panel" actions={<button type="button" className="btn btn-small" onClick={() => void dlqs.reload()} data-testid="dlq-refresh">Refresh</button>}>
      <LoadError error={dlqs.error} what="dead-letter queues" />
      {dlqs.loading && !dlqs.data && <Loading />}
      {dlqs.data && !dlqs.data.items.length && <Empty>No dead-letter queues configured.</Empty>}
      {dlqs.data && dlqs.data.items.length > 0 && (
        <table className="table">
          <thead><tr><th>Queue</th><th>Replays into</th><th className="num">Waiting</th><th className="num">In flight</th><th>Oldest sample</th><th /></tr></thead>
          <tbody>
            {dlqs.data.items.map((q) => (
              <Fragment key={q.queue}>
                <tr className={q.depth.visible > 0 ? 'row-warn' : ''} data-testid="dlq-row" data-queue={q.queue} data-depth={q.depth.visible}>
                  <td><strong>{q.queue}</strong></td>
                  <td className="mono small">{q.source_queue}</td>
                  <td className="num" data-testid="dlq-depth">{count(q.depth.visible)}</td>
                  <td className="num">{count(q.depth.in_flight)}</td>
                  <td className="small">{q.oldest_sample_sent_at_ms ? ago(new Date(q.oldest_sample_sent_at_ms).toISOString()) : '—'}</td>
                  <td className="nowrap">
                    {q.samples.length > 0 && <button type="button" className="btn btn-small" onClick={() => setOpen(open === q.queue ? null : q.queue)}>Samples</button>}{' '}
                    <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={() => replay(q.queue)} data-testid={`dlq-replay-${q.queue}`}>
                      Replay
                    </button>
                  </td>
                </tr>
                {open === q.queue &&
                  q.samples.map((m) => (
                    <tr key={m.message_id}>
                      <td colSpan={6} className="small"><code className="json">{m.body_excerpt}</code> <span className="muted">received {m.receive_count}×</span></td>
                    </tr>
                  ))}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

function TaskLogPanel({ owner }: { owner: boolean }) {
  const [tenant, setTenant] = useState('');
  const pager = useCursorPager();
  const log = useLoad(() => ops.taskLog(pager.cursor, 25, tenant || undefined), [pager.cursor, tenant], 15000);
  return (
    <Panel
      title="Task log"
      testid="task-log"
      actions={owner && (
        <select value={tenant} onChange={(e) => { setTenant(e.target.value); pager.reset(); }} aria-label="Tenant">
          <option value="">My tenant</option>
          <option value="_platform">Platform jobs</option>
        </select>
      )}
    >
      <LoadError error={log.error} what="the task log" />
      {log.data && !log.data.items.length && <Empty>Nothing ran yet.</Empty>}
      {log.data && log.data.items.length > 0 && (
        <table className="table table-compact">
          <thead><tr><th>Started</th><th>Task</th><th>Reference</th><th>Outcome</th><th className="num">ms</th><th>Details</th></tr></thead>
          <tbody>
            {log.data.items.map((r, i) => (
              <tr key={`${r.started_at}-${i}`} data-testid="task-row" data-kind={r.kind}>
                <td className="small">{dateTime(r.started_at)}</td>
                <td>{r.kind}</td>
                <td className="mono small">{r.reference || '—'}</td>
                <td><Badge value={r.outcome} />{r.error && <div className="small text-bad">{r.error}</div>}</td>
                <td className="num">{r.duration_ms}</td>
                <td className="small"><InlineDetails data={r.details} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager testid="task-log-pager" page={pager.page} hasPrev={pager.hasPrev} hasNext={Boolean(log.data?.next_cursor)} onPrev={pager.prev} onNext={() => pager.next(log.data?.next_cursor)} />
    </Panel>
  );
}

function InlineDetails({ data }: { data: Record<string, unknown> }) {
  const entries = Object.entries(data ?? {});
  if (!entries.length) return <span className="muted">—</span>;
  return (
    <div className="inline-details">
      {entries.map(([k, v]) => (
        <span key={k}>
          <span className="muted">{humanize(k)}</span> {typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? '—')}
        </span>
      ))}
    </div>
  );
}
