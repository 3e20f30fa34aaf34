// SLA policies: the windows, thresholds and multipliers; read by everyone, edited by a SUPERADMIN.

import { useState, type FormEvent } from 'react';
import { sla } from '../../api/sla';
import type { SlaPolicy, SlaPolicyFields } from '../../api/types';
import { MULTIPLIER_FIELDS } from '../../api/types-radar';
import { OPERATORS } from '../../api';
import { useAuth } from '../../auth';
import { Badge, Empty, Field, LoadError, Loading, Panel, ReadOnlyNote } from '../../components/ui';
import { dateTime } from '../../format';
import { useLoad } from '../../lib/hooks';
import { minutes, multiplierValue, policyProblems } from '../../lib/radar';
import { useAction } from '../../notify';

interface MultiplierRow {
  field: string;
  operator: string;
  text: string;
  factor: string;
}

const text = (v: unknown): string => (Array.isArray(v) ? v.map(String).join(', ') : v === null || v === undefined ? '' : String(v));

export function Policies() {
  const { can } = useAuth();
  const list = useLoad(() => sla.policies(), []);
  const [editing, setEditing] = useState<SlaPolicy | null>(null);
  const items = list.data?.items ?? [];
  return (
    <Panel title="SLA policies" testid="sla-policies">
      {!can.admin && <ReadOnlyNote />}
      <LoadError error={list.error} what="the SLA policies" />
      {!list.data && list.loading && <Loading what="the SLA policies" />}
      {list.data && !items.length && <Empty>No SLA policy yet.</Empty>}
      {items.length > 0 && (
        <table className="table" data-testid="policies-table">
          <thead>
            <tr><th>Name</th><th className="num">Pick</th><th className="num">Pack</th><th className="num">Ship</th><th className="num">Delivery</th><th className="num">Warn / critical</th><th>Multipliers</th><th /></tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <tr key={p.id} data-testid="policy-row" data-id={p.id} data-default={p.is_default} data-active={p.is_active}>
                <td>{p.name} {p.is_default && <Badge value="DEFAULT" tone="info" label="default" />} {!p.is_active && <Badge value="INACTIVE" />}</td>
                <td className="num">{minutes(p.pick_minutes)}</td>
                <td className="num">{minutes(p.pack_minutes)}</td>
                <td className="num">{minutes(p.ship_minutes)}</td>
                <td className="num">{p.delivery_hours} h</td>
                <td className="num">{p.warning_pct}% / {p.critical_pct}%</td>
                <td className="small">
                  {p.multipliers.length
                    ? p.multipliers.map((m, i) => <div key={i}>{m.when.field} {m.when.operator} {text(m.when.value)} → × {m.factor}</div>)
                    : <span className="muted">none</span>}
                </td>
                <td>{can.admin && <button type="button" className="btn btn-small" onClick={() => setEditing(p)} data-testid="policy-edit">Edit</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && can.admin && (
        <PolicyForm
          key={`${editing.id}-${editing.version}`}
          policy={editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved) void list.reload();
          }}
        />
      )}
    </Panel>
  );
}

function PolicyForm({ policy, onDone }: { policy: SlaPolicy; onDone: (saved: boolean) => void }) {
  const { run, busy } = useAction();
  const [v, setV] = useState({
    name: policy.name,
    pick: String(policy.pick_minutes),
    pack: String(policy.pack_minutes),
    ship: String(policy.ship_minutes),
    delivery: String(policy.delivery_hours),
    warning: String(policy.warning_pct),
    critical: String(policy.critical_pct),
    is_default: policy.is_default,
    is_active: policy.is_active,
  });
  const [rows, setRows] = useState<MultiplierRow[]>(
    policy.multipliers.map((m) => ({ field: m.when.field, operator: m.when.operator, text: text(m.when.value), factor: String(m.factor) })),
  );
  const set = (k: keyof typeof v) => (value: string | boolean) => setV((old) => ({ ...old, [k]: value }));
  const setRow = (i: number, change: Partial<MultiplierRow>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...change } : r)));

  const fields = (): SlaPolicyFields => ({
    name: v.name.trim(),
    is_default: v.is_default,
    is_active: v.is_active,
    pick_minutes: Number(v.pick),
    pack_minutes: Number(v.pack),
    ship_minutes: Number(v.ship),
    delivery_hours: Number(v.delivery),
    warning_pct: Number(v.warning),
    critical_pct: Number(v.critical),
    multipliers: rows.map((r) => ({ when: { field: r.field, operator: r.operator, value: multiplierValue(r.field, r.operator, r.text) }, factor: Number(r.factor) })),
  });
  const problems = policyProblems(fields());

  async function save(e: FormEvent) {
    e.preventDefault();
    const done = await run('Save SLA policy', () => sla.updatePolicy(policy.id, fields(), policy.version), 'SLA policy saved');
    if (done) onDone(true);
  }

  return (
    <form className="form-grid" onSubmit={save} data-testid="policy-form" data-id={policy.id}>
      <h3 className="sub">Edit {policy.name} <span className="muted small">version {policy.version}, updated {dateTime(policy.updated_at)}</span></h3>
      <Field label="Name"><input required value={v.name} onChange={(e) => set('name')(e.target.value)} data-testid="policy-name" /></Field>
      <Field label="Pick window (min)" hint="from order paid"><input type="number" min={1} required value={v.pick} onChange={(e) => set('pick')(e.target.value)} data-testid="policy-pick" /></Field>
      <Field label="Pack window (min)"><input type="number" min={1} required value={v.pack} onChange={(e) => set('pack')(e.target.value)} data-testid="policy-pack" /></Field>
      <Field label="Ship window (min)"><input type="number" min={1} required value={v.ship} onChange={(e) => set('ship')(e.target.value)} data-testid="policy-ship" /></Field>
      <Field label="Delivery (h)"><input type="number" min={1} required value={v.delivery} onChange={(e) => set('delivery')(e.target.value)} data-testid="policy-delivery" /></Field>
      <Field label="Warning at (% of window)"><input type="number" min={1} max={99} required value={v.warning} onChange={(e) => set('warning')(e.target.value)} data-testid="policy-warning" /></Field>
      <Field label="Critical at (% of window)"><input type="number" min={100} required value={v.critical} onChange={(e) => set('critical')(e.target.value)} data-testid="policy-critical" /></Field>
      <label className="checkbox"><input type="checkbox" checked={v.is_default} onChange={(e) => set('is_default')(e.target.checked)} data-testid="policy-default" /> Default policy</label>
      <label className="checkbox"><input type="checkbox" checked={v.is_active} onChange={(e) => set('is_active')(e.target.checked)} data-testid="policy-active" /> Active</label>
      <div data-testid="policy-multipliers">
        <div className="field-label">Multipliers (every matching one applies; factors multiply)</div>
        {rows.map((r, i) => (
          <div className="row" key={i} data-testid="policy-multiplier">
            <select value={r.field} onChange={(e) => setRow(i, { field: e.target.value })} aria-label="Field">
              {MULTIPLIER_FIELDS.map((f) => <option key={f} value={f}>{f}</option>)}
            </select>
            <select value={r.operator} onChange={(e) => setRow(i, { operator: e.target.value })} aria-label="Operator">
              {OPERATORS.map((o) => <option key={o} value={o}>{o}</option>)}
            </select>
            <input value={r.text} onChange={(e) => setRow(i, { text: e.target.value })} aria-label="Value" placeholder={r.field === 'weekend' ? 'true' : 'value'} />
            <input type="number" step="0.05" min={0.05} value={r.factor} onChange={(e) => setRow(i, { factor: e.target.value })} aria-label="Factor" data-testid="policy-multiplier-factor" />
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}>Remove</button>
          </div>
        ))}
        <button type="button" className="btn btn-small" onClick={() => setRows((rs) => [...rs, { field: 'fulfillment_type', operator: 'EQUALS', text: '', factor: '1' }])} data-testid="policy-add-multiplier">
          + Multiplier
        </button>
      </div>
      {problems.length > 0 && <ul className="text-bad small" data-testid="policy-problems">{problems.map((p) => <li key={p}>{p}</li>)}</ul>}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy || problems.length > 0} data-testid="policy-save">Save</button>
        <button type="button" className="btn btn-ghost" onClick={() => onDone(false)}>Cancel</button>
      </div>
    </form>
  );
}
