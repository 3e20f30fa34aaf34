// Rows of {field, operator, value} conditions (sourcing rules, experiment filters). Values are
// typed as the API wants them: lists for IN/NOT_IN, integers for counts, strings otherwise.

import { CONDITION_FIELDS, OPERATORS, type Condition } from '../api';

const LIST_OPS = new Set(['IN', 'NOT_IN']);
const INT_FIELDS = new Set(['line_count', 'total_quantity']);

/** The value a condition sends, from what was typed. */
export function conditionValue(field: string, operator: string, text: string): unknown {
  const one = (t: string): unknown => (INT_FIELDS.has(field) && /^-?\d+$/.test(t.trim()) ? Number(t.trim()) : t.trim());
  if (LIST_OPS.has(operator)) return text.split(',').map((t) => t.trim()).filter(Boolean).map(one);
  return one(text);
}

/** What a stored value looks like in the text box. */
export function conditionText(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(', ');
  return value === null || value === undefined ? '' : String(value);
}

export interface ConditionRow {
  field: string;
  operator: string;
  text: string;
}

export function toRows(conditions: Condition[]): ConditionRow[] {
  return conditions.map((c) => ({ field: c.field, operator: c.operator, text: conditionText(c.value) }));
}

export function fromRows(rows: ConditionRow[]): Condition[] {
  return rows.map((r) => ({ field: r.field, operator: r.operator, value: conditionValue(r.field, r.operator, r.text) }));
}

export function ConditionsEditor({ rows, onChange, testid }: { rows: ConditionRow[]; onChange: (rows: ConditionRow[]) => void; testid?: string }) {
  const set = (i: number, change: Partial<ConditionRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  return (
    <div className="conditions" data-testid={testid ?? 'conditions-editor'}>
      {rows.length === 0 && <div className="muted small">No conditions: matches every order.</div>}
      {rows.map((r, i) => (
        <div className="row" key={i}>
          <select value={r.field} onChange={(e) => set(i, { field: e.target.value })} aria-label="Field">
            {CONDITION_FIELDS.map((f) => <option key={f} value={f}>{f}</option>)}
          </select>
          <select value={r.operator} onChange={(e) => set(i, { operator: e.target.value })} aria-label="Operator">
            {OPERATORS.map((o) => <option key={o} value={o}>{o}</option>)}
          </select>
          <input value={r.text} onChange={(e) => set(i, { text: e.target.value })} placeholder={LIST_OPS.has(r.operator) ? 'a, b, c' : 'value'} aria-label="Value" />
          <button type="button" className="btn btn-ghost btn-small" onClick={() => onChange(rows.filter((_, j) => j !== i))}>Remove</button>
        </div>
      ))}
      <button type="button" className="btn btn-small" onClick={() => onChange([...rows, { field: 'channel', operator: 'EQUALS', text: '' }])}>
        + Condition
      </button>
    </div>
  );
}
