// The tenant's workflow (SUPERADMIN): statuses (code, name, colour, phase, anchor, terminal),
// transitions and per-status actions, edited as one document and saved with PUT /workflow; a 422
// `invalid_workflow` shows each problem next to what it names. Versions and rollback.

import { useEffect, useState } from 'react';
import { ORDER_STATUSES, toApiError, webhooks, type ApiError } from '../../api';
import { ACTION_TYPES, EMAIL_TEMPLATES, workflow, type ActionType, type WorkflowBody, type WorkflowStatus } from '../../api/tenancy';
import { Empty, LoadError, Loading, PageHeader, Panel } from '../../components/ui';
import { dateTime } from '../../format';
import { useLoad } from '../../lib/hooks';
import { forgetStatuses, safeColor } from '../../lib/tenantLook';
import { DEFAULT_CONFIG, newActionId, newStatus, problemsOf, removeStatus, renameStatus, transitionKey, type Problems } from '../../lib/workflowEdit';
import { useAction, useNotify } from '../../notify';
import type { CSSProperties } from 'react';

function ProblemList({ items, testid = 'workflow-problem' }: { items?: { problem: string; message: string }[]; testid?: string }) {
  if (!items?.length) return null;
  return (
    <>
      {items.map((p, i) => (
        <div key={i} className="problem" data-testid={testid} data-problem={p.problem}>
          {p.message} <code>{p.problem}</code>
        </div>
      ))}
    </>
  );
}

function StatusesTable({ doc, set, problems }: { doc: WorkflowBody; set: (d: WorkflowBody) => void; problems: Problems }) {
  const update = (i: number, patch: Partial<WorkflowStatus>) =>
    set({ ...doc, statuses: doc.statuses.map((s, j) => (j === i ? { ...s, ...patch } : s)) });
  return (
    <table className="table table-compact" data-testid="workflow-statuses">
      <thead>
        <tr><th>Code</th><th>Name</th><th>Colour</th><th>Phase</th><th>Anchor</th><th>Terminal</th><th /></tr>
      </thead>
      <tbody>
        {doc.statuses.map((s, i) => {
          const mine = problems.byStatus.get(s.code);
          return (
            <tr key={i} className={mine ? 'cell-problem' : ''} data-testid="wf-status-row" data-code={s.code} data-phase={s.phase} data-problem={mine ? 'true' : 'false'}>
              <td>
                <input value={s.code} onChange={(e) => set(renameStatus(doc, s.code, e.target.value.toUpperCase().replace(/[^A-Z0-9_]/g, '_')))} aria-label="Code" data-testid="wf-status-code" />
                <ProblemList items={mine} />
              </td>
              <td><input value={s.name} onChange={(e) => update(i, { name: e.target.value })} aria-label="Name" data-testid="wf-status-name" /></td>
              <td>
                <span className="swatch" style={{ '--swatch': safeColor(s.color) ?? 'transparent' } as CSSProperties} />{' '}
                <input type="color" value={safeColor(s.color) ?? '#000000'} onChange={(e) => update(i, { color: e.target.value })} aria-label="Colour" data-testid="wf-status-color" />
              </td>
              <td>
                <select value={s.phase} onChange={(e) => update(i, { phase: e.target.value })} aria-label="Phase" data-testid="wf-status-phase">
                  {ORDER_STATUSES.map((p) => <option key={p} value={p}>{p}</option>)}
                  {!ORDER_STATUSES.includes(s.phase as never) && <option value={s.phase}>{s.phase}</option>}
                </select>
              </td>
              <td><input type="checkbox" checked={Boolean(s.anchor)} onChange={(e) => update(i, { anchor: e.target.checked })} aria-label="Anchor" data-testid="wf-status-anchor" /></td>
              <td><input type="checkbox" checked={s.terminal} onChange={(e) => update(i, { terminal: e.target.checked })} aria-label="Terminal" data-testid="wf-status-terminal" /></td>
              <td><button type="button" className="btn btn-small btn-danger" onClick={() => set(removeStatus(doc, s.code))} data-testid="wf-status-remove">Remove</button></td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function TransitionsTable({ doc, set, problems }: { doc: WorkflowBody; set: (d: WorkflowBody) => void; problems: Problems }) {
  const codes = doc.statuses.map((s) => s.code);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const exists = doc.transitions.some((t) => t.from === from && t.to === to);
  return (
    <>
      <table className="table table-compact" data-testid="workflow-transitions">
        <thead><tr><th>From</th><th>To</th><th /></tr></thead>
        <tbody>
          {doc.transitions.map((t, i) => {
            const mine = problems.byTransition.get(transitionKey(t));
            return (
              <tr key={`${transitionKey(t)}-${i}`} className={mine ? 'cell-problem' : ''} data-testid="wf-transition-row" data-from={t.from} data-to={t.to} data-problem={mine ? 'true' : 'false'}>
                <td>{t.from}</td>
                <td>{t.to}<ProblemList items={mine} /></td>
                <td><button type="button" className="btn btn-small btn-danger" onClick={() => set({ ...doc, transitions: doc.transitions.filter((_, j) => j !== i) })} data-testid="wf-transition-remove">Remove</button></td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="row">
        <label className="field"><span className="field-label">From</span>
          <select value={from} onChange={(e) => setFrom(e.target.value)} data-testid="wf-transition-from"><option value="">—</option>{codes.map((c) => <option key={c}>{c}</option>)}</select>
        </label>
        <label className="field"><span className="field-label">To</span>
          <select value={to} onChange={(e) => setTo(e.target.value)} data-testid="wf-transition-to"><option value="">—</option>{codes.map((c) => <option key={c}>{c}</option>)}</select>
        </label>
        <button type="button" className="btn" disabled={!from || !to || exists} onClick={() => set({ ...doc, transitions: [...doc.transitions, { from, to }] })} data-testid="wf-transition-add">Add transition</button>
      </div>
    </>
  );
}

function ActionsTable({ doc, set, problems }: { doc: WorkflowBody; set: (d: WorkflowBody) => void; problems: Problems }) {
  const endpoints = useLoad(() => webhooks.endpoints().then((l) => l.items), []);
  const update = (i: number, patch: Partial<WorkflowBody['actions'][number]>) =>
    set({ ...doc, actions: doc.actions.map((a, j) => (j === i ? { ...a, ...patch } : a)) });
  return (
    <>
      {doc.actions.length === 0 && <Empty>No actions: entering a status does nothing more.</Empty>}
      <table className="table table-compact" data-testid="workflow-actions">
        <thead><tr><th>On entering</th><th>Do</th><th>With</th><th /></tr></thead>
        <tbody>
          {doc.actions.map((a, i) => {
            const mine = problems.byAction.get(a.id);
            return (
              <tr key={a.id} className={mine ? 'cell-problem' : ''} data-testid="wf-action-row" data-id={a.id} data-status={a.status} data-type={a.type}>
                <td>
                  <select value={a.status} onChange={(e) => update(i, { status: e.target.value })} aria-label="Status" data-testid="wf-action-status">
                    {doc.statuses.map((s) => <option key={s.code} value={s.code}>{s.name} ({s.code})</option>)}
                  </select>
                  <ProblemList items={mine} />
                </td>
                <td>
                  <select value={a.type} onChange={(e) => update(i, { type: e.target.value as ActionType, config: { ...DEFAULT_CONFIG[e.target.value as ActionType] } })} aria-label="Action" data-testid="wf-action-type">
                    {ACTION_TYPES.map((t) => <option key={t} value={t}>{t === 'email' ? 'Send email' : t === 'webhook' ? 'Call webhook' : 'Adjust inventory'}</option>)}
                  </select>
                </td>
                <td>
                  {a.type === 'email' && (
                    <select value={a.config.template ?? ''} onChange={(e) => update(i, { config: { template: e.target.value } })} aria-label="Template" data-testid="wf-action-template">
                      {EMAIL_TEMPLATES.map((t) => <option key={t}>{t}</option>)}
                    </select>
                  )}
                  {a.type === 'webhook' && (
                    <select value={a.config.endpoint_id ?? ''} onChange={(e) => update(i, { config: { endpoint_id: e.target.value } })} aria-label="Endpoint" data-testid="wf-action-endpoint">
                      <option value="">— choose an endpoint —</option>
                      {(endpoints.data ?? []).map((ep) => <option key={ep.id} value={ep.id}>{ep.url}</option>)}
                      {a.config.endpoint_id && !(endpoints.data ?? []).some((ep) => ep.id === a.config.endpoint_id) && <option value={a.config.endpoint_id}>{a.config.endpoint_id}</option>}
                    </select>
                  )}
                  {a.type === 'adjust_inventory' && (
                    <select value={a.config.mode ?? 'restock'} onChange={(e) => update(i, { config: { mode: e.target.value } })} aria-label="Mode" data-testid="wf-action-mode">
                      <option value="restock">Restock</option>
                      <option value="write_off">Write off</option>
                    </select>
                  )}
                </td>
                <td><button type="button" className="btn btn-small btn-danger" onClick={() => set({ ...doc, actions: doc.actions.filter((_, j) => j !== i) })} data-testid="wf-action-remove">Remove</button></td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <button
        type="button"
        className="btn"
        disabled={!doc.statuses.length}
        onClick={() => set({ ...doc, actions: [...doc.actions, { id: newActionId(doc.actions), status: doc.statuses[0]?.code ?? '', type: 'email', config: { ...DEFAULT_CONFIG.email } }] })}
        data-testid="wf-action-add"
      >
        Add action
      </button>
    </>
  );
}

export default function WorkflowPage() {
  const current = useLoad(() => workflow.get(), []);
  const versions = useLoad(() => workflow.versions(), []);
  const [doc, setDoc] = useState<WorkflowBody | null>(null);
  const [dirty, setDirty] = useState(false);
  const [rejected, setRejected] = useState<ApiError | null>(null);
  const { run, busy } = useAction();
  const notify = useNotify();

  useEffect(() => {
    if (current.data) {
      const { statuses, transitions, actions } = current.data;
      setDoc({ statuses, transitions, actions });
      setDirty(false);
    }
  }, [current.data]);

  const set = (d: WorkflowBody) => {
    setDoc(d);
    setDirty(true);
  };
  const problems = problemsOf(rejected);

  async function save() {
    if (!doc) return;
    setRejected(null);
    try {
      const saved = await workflow.save({ ...doc, expected_version: current.data?.version });
      notify.notice(`Workflow saved as version ${saved.version}`);
      forgetStatuses();
      current.setData(saved);
      await versions.reload();
    } catch (e) {
      const err = toApiError(e);
      if (err.status === 422) setRejected(err);
      else notify.error(err, 'Save the workflow');
    }
  }

  function discard() {
    if (!current.data) return;
    const { statuses, transitions, actions } = current.data;
    setDoc({ statuses, transitions, actions });
    setDirty(false);
    setRejected(null);
  }

  async function rollback(version: number) {
    const back = await run(`Roll back to version ${version}`, () => workflow.rollback(version), (w) => `Rolled back: now version ${w.version}`);
    if (back) {
      forgetStatuses();
      setRejected(null);
      current.setData(back);
      await versions.reload();
    }
  }

  return (
    <div data-testid="page-workflow" data-version={current.data?.version ?? ''} data-dirty={String(dirty)}>
      <PageHeader
        title="Workflow"
        subtitle="Your order statuses, the moves between them, and what happens on entering each. Every status maps to a lifecycle phase."
        actions={
          <>
            <button type="button" className="btn" disabled={!dirty || busy} onClick={discard} data-testid="workflow-discard">Discard changes</button>
            <button type="button" className="btn btn-primary" disabled={!doc || busy} onClick={() => void save()} data-testid="workflow-save">Save</button>
          </>
        }
      />
      <LoadError error={current.error} what="the workflow" />
      {rejected && (
        <div className="banner banner-error" role="alert" data-testid="workflow-rejected" data-code={rejected.code} data-problems={problems.all.length}>
          <div className="banner-body">
            <strong>Not saved: </strong>{rejected.message} <code>{rejected.code} · HTTP {rejected.status}</code>
            <ProblemList items={problems.general} testid="workflow-problem-general" />
          </div>
        </div>
      )}
      {!doc ? (
        current.error ? null : <Loading what="the workflow" />
      ) : (
        <>
          <Panel title="Statuses" testid="workflow-statuses-panel" actions={<button type="button" className="btn btn-small" onClick={() => set({ ...doc, statuses: [...doc.statuses, newStatus(doc.statuses)] })} data-testid="wf-status-add">Add status</button>}>
            <StatusesTable doc={doc} set={set} problems={problems} />
          </Panel>
          <Panel title="Actions on entering a status" testid="workflow-actions-panel">
            <ActionsTable doc={doc} set={set} problems={problems} />
          </Panel>
          <Panel title="Transitions" testid="workflow-transitions-panel">
            <TransitionsTable doc={doc} set={set} problems={problems} />
          </Panel>
        </>
      )}
      <Panel title="Versions" testid="workflow-versions">
        <LoadError error={versions.error} what="the versions" />
        <table className="table table-compact">
          <thead><tr><th>Version</th><th>Saved</th><th>By</th><th /></tr></thead>
          <tbody>
            {(versions.data ?? []).map((v) => (
              <tr key={v.version} data-testid="wf-version-row" data-version={v.version}>
                <td>{v.version}{v.version === current.data?.version ? ' (current)' : ''}</td>
                <td>{dateTime(v.updated_at)}</td>
                <td>{v.updated_by ?? '—'}</td>
                <td>
                  {v.version !== current.data?.version && (
                    <button type="button" className="btn btn-small" disabled={busy} onClick={() => void rollback(v.version)} data-testid="wf-rollback">Roll back to this</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
