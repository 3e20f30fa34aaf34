// Sourcing rules: list by priority, toggle, edit/create/delete (SUPERADMIN), and a dry run of the
// rules (or of a draft rule) against an order with its decision trail (any person).

import { useState, type FormEvent } from 'react';
import { orders, rules as rulesApi, STRATEGIES, type OrderCreate, type Rule, type RuleFields } from '../api';
import { useAuth } from '../auth';
import { ConditionsEditor, fromRows, toRows, type ConditionRow } from '../components/ConditionsEditor';
import { DecisionView } from '../components/order/SourcingTrail';
import { Badge, Empty, Field, LoadError, Loading, PageHeader, Panel, ReadOnlyNote } from '../components/ui';
import { humanize } from '../format';
import { useLoad } from '../lib/hooks';
import { useNodes } from '../lib/nodes';
import { useAction } from '../notify';

const BLANK: RuleFields = {
  name: '', priority: 50, strategy: 'DISTANCE_OPTIMAL', conditions: [], is_active: true, max_split_nodes: 3,
  cost_weight: 0.5, distance_weight: 0.5, max_distance_km: null,
};

export default function Rules() {
  const { can } = useAuth();
  const list = useLoad(() => rulesApi.list(), []);
  const { run, busy } = useAction();
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const rows = [...(list.data?.items ?? [])].sort((a, b) => a.priority - b.priority);

  async function toggle(rule: Rule) {
    const done = await run('Toggle rule', () => rulesApi.toggle(rule.id), (r) => `${r.name} is now ${r.is_active ? 'active' : 'inactive'}`);
    if (done) void list.reload();
  }
  async function remove(rule: Rule) {
    if (!window.confirm(`Delete the rule “${rule.name}”?`)) return;
    const done = await run('Delete rule', () => rulesApi.remove(rule.id).then(() => true), `${rule.name} deleted`);
    if (done) void list.reload();
  }

  return (
    <div className="page" data-testid="page-rules">
      <PageHeader
        title="Sourcing rules"
        subtitle="Active rules are tried by priority (lowest first); the first whose conditions all match picks the strategy."
        actions={can.admin && <button type="button" className="btn btn-primary" onClick={() => setEditing('new')} data-testid="rule-new">+ New rule</button>}
      />
      {!can.admin && <ReadOnlyNote>Editing rules needs a SUPERADMIN; the dry run below is open to you.</ReadOnlyNote>}
      {editing && (
        <RuleEditor
          rule={editing === 'new' ? null : editing}
          onDone={() => {
            setEditing(null);
            void list.reload();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      <Panel title="Rules">
        <LoadError error={list.error} what="the rules" />
        {list.loading && !list.data && <Loading />}
        {list.data && !rows.length && <Empty>No rules: every order is sourced DISTANCE_OPTIMAL.</Empty>}
        {rows.length > 0 && (
          <table className="table" data-testid="rules-table">
            <thead>
              <tr><th className="num">Priority</th><th>Name</th><th>Strategy</th><th>Conditions</th><th>Limits</th><th>Active</th>{can.admin && <th />}</tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="rule-row" data-rule={r.name} data-active={r.is_active}>
                  <td className="num">{r.priority}</td>
                  <td><strong>{r.name}</strong></td>
                  <td>{humanize(r.strategy)}</td>
                  <td className="small">
                    {r.conditions.length ? r.conditions.map((c, i) => <div key={i}><code>{c.field} {c.operator} {JSON.stringify(c.value)}</code></div>) : <span className="muted">every order</span>}
                  </td>
                  <td className="small">split ≤ {r.max_split_nodes ?? 3}{r.max_distance_km ? ` · ≤ ${r.max_distance_km} km` : ''}<div className="muted">cost {r.cost_weight} · distance {r.distance_weight}</div></td>
                  <td>
                    {can.admin ? (
                      <label className="checkbox">
                        <input type="checkbox" checked={r.is_active} disabled={busy} onChange={() => toggle(r)} data-testid="rule-toggle" aria-label={`Active: ${r.name}`} />
                        <Badge value={r.is_active ? 'ACTIVE' : 'INACTIVE'} />
                      </label>
                    ) : (
                      <Badge value={r.is_active ? 'ACTIVE' : 'INACTIVE'} />
                    )}
                  </td>
                  {can.admin && (
                    <td className="nowrap">
                      <button type="button" className="btn btn-small" onClick={() => setEditing(r)} data-testid="rule-edit">Edit</button>{' '}
                      <button type="button" className="btn btn-small btn-danger" onClick={() => remove(r)}>Delete</button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      <DryRun draft={null} />
    </div>
  );
}

function RuleEditor({ rule, onDone, onCancel }: { rule: Rule | null; onDone: () => void; onCancel: () => void }) {
  const start = rule ?? BLANK;
  const { run, busy } = useAction();
  const [name, setName] = useState(start.name);
  const [priority, setPriority] = useState(String(start.priority));
  const [strategy, setStrategy] = useState(start.strategy);
  const [active, setActive] = useState(start.is_active);
  const [maxSplit, setMaxSplit] = useState(String(start.max_split_nodes ?? 3));
  const [maxKm, setMaxKm] = useState(start.max_distance_km ? String(start.max_distance_km) : '');
  const [costW, setCostW] = useState(String(start.cost_weight ?? 0.5));
  const [distW, setDistW] = useState(String(start.distance_weight ?? 0.5));
  const [conditions, setConditions] = useState<ConditionRow[]>(toRows(start.conditions));

  const fields = (): RuleFields => ({
    name: name.trim(), priority: Number(priority), strategy, is_active: active, conditions: fromRows(conditions),
    max_split_nodes: Number(maxSplit), max_distance_km: maxKm.trim() ? Number(maxKm) : null,
    cost_weight: Number(costW), distance_weight: Number(distW),
  });

  async function save(e: FormEvent) {
    e.preventDefault();
    const body = fields();
    const done = rule
      ? await run('Save rule', () => rulesApi.update(rule.id, body), `${body.name} saved`)
      : await run('Create rule', () => rulesApi.create(body), `${body.name} created`);
    if (done) onDone();
  }

  return (
    <Panel title={rule ? `Edit “${rule.name}”` : 'New rule'} testid="rule-editor">
      <form onSubmit={save} data-testid="rule-form">
        <div className="row">
          <Field label="Name"><input required value={name} onChange={(e) => setName(e.target.value)} data-testid="rule-name" /></Field>
          <Field label="Priority" hint="lower runs first"><input required type="number" value={priority} onChange={(e) => setPriority(e.target.value)} data-testid="rule-priority" /></Field>
          <Field label="Strategy">
            <select value={strategy} onChange={(e) => setStrategy(e.target.value)} data-testid="rule-strategy">
              {STRATEGIES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
            </select>
          </Field>
          <label className="checkbox"><input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> Active</label>
        </div>
        <div className="row">
          <Field label="Max split nodes"><input type="number" min={1} max={10} value={maxSplit} onChange={(e) => setMaxSplit(e.target.value)} /></Field>
          <Field label="Max distance (km)"><input type="number" min={0} value={maxKm} onChange={(e) => setMaxKm(e.target.value)} placeholder="no limit" /></Field>
          <Field label="Cost weight"><input type="number" step={0.05} min={0} max={1} value={costW} onChange={(e) => setCostW(e.target.value)} /></Field>
          <Field label="Distance weight"><input type="number" step={0.05} min={0} max={1} value={distW} onChange={(e) => setDistW(e.target.value)} /></Field>
        </div>
        <h3 className="sub">Conditions (all must match)</h3>
        <ConditionsEditor rows={conditions} onChange={setConditions} />
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="rule-save">{rule ? 'Save' : 'Create'}</button>
        </div>
      </form>
      <DryRun draft={fields} />
    </Panel>
  );
}

const SAMPLE_ORDER: OrderCreate = {
  channel: 'WEB', fulfillment_type: 'SHIP_TO_HOME', customer_email: 'dry.run@example.com', customer_name: 'Dry Run',
  line_items: [{ sku: 'SKU-WIDGET-A', quantity: 2 }],
  shipping_address: { address1: '1 Main St', city: 'Boston', state: 'MA', postal_code: '02108', country: 'US', latitude: 42.3601, longitude: -71.0589 },
};

/** Dry-run the rules (or a draft rule) for an existing order or an order written as JSON. */
function DryRun({ draft }: { draft: (() => RuleFields) | null }) {
  const recent = useLoad(() => orders.list({ limit: 20 }), []);
  const nodeIndex = useNodes();
  const { run, busy } = useAction();
  const [source, setSource] = useState<'existing' | 'json'>('existing');
  const [orderId, setOrderId] = useState('');
  const [json, setJson] = useState(JSON.stringify(SAMPLE_ORDER, null, 2));
  const [result, setResult] = useState<Awaited<ReturnType<typeof rulesApi.evaluate>> | null>(null);

  async function evaluate(e: FormEvent) {
    e.preventDefault();
    const answer = await run('Dry run', async () => {
      const body: Parameters<typeof rulesApi.evaluate>[0] = {};
      if (source === 'existing') body.order_id = orderId;
      else {
        try {
          body.order = JSON.parse(json) as OrderCreate;
        } catch (err) {
          throw new Error(`The order is not valid JSON: ${(err as Error).message}`);
        }
      }
      if (draft) body.rule = draft();
      return rulesApi.evaluate(body);
    });
    if (answer) setResult(answer);
  }

  return (
    <Panel title={draft ? 'Try this rule (dry run)' : 'Dry run'} testid="rules-dry-run">
      <form onSubmit={evaluate} data-testid="evaluate-form">
        <div className="row">
          <div className="toggle" role="group" aria-label="Order source">
            <button type="button" aria-pressed={source === 'existing'} onClick={() => setSource('existing')}>Existing order</button>
            <button type="button" aria-pressed={source === 'json'} onClick={() => setSource('json')}>Order as JSON</button>
          </div>
          {source === 'existing' && (
            <select required value={orderId} onChange={(e) => setOrderId(e.target.value)} data-testid="evaluate-order" aria-label="Order">
              <option value="">Choose a recent order…</option>
              {(recent.data?.items ?? []).map((o) => <option key={o.id} value={o.id}>{o.order_number} · {o.customer_name} · {o.status}</option>)}
            </select>
          )}
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="evaluate-submit">Evaluate</button>
        </div>
        {source === 'json' && <textarea value={json} onChange={(e) => setJson(e.target.value)} rows={10} aria-label="Order JSON" data-testid="evaluate-json" />}
      </form>
      <LoadError error={recent.error} what="recent orders" />
      {result && (
        <div data-testid="evaluate-result">
          <p className="muted small">Dry run: nothing was reserved.</p>
          <DecisionView decision={result.decision} nodes={nodeIndex.byId} testid="evaluate-trail" />
        </div>
      )}
    </Panel>
  );
}
