// The tenant's return policy (GET/PUT /return-policy): the window, the restocking fee and the
// reasons it applies to, whether shipping is refunded, the return shipping fee, auto-approval.
// A SUPERADMIN edits it (a 422's problems next to their fields); a USER reads it.

import { useEffect, useState, type FormEvent } from 'react';
import { toApiError, type ApiError } from '../../api';
import { returnPolicy, REFUND_SHIPPING, RETURN_REASONS, type ReturnPolicy, type ReturnPolicyFields, type ReturnReason } from '../../api/returns';
import { useAuth } from '../../auth';
import { Field, LoadError, Loading, Panel, ReadOnlyNote } from '../../components/ui';
import { dateTime, humanize, money } from '../../format';
import { useLoad } from '../../lib/hooks';
import { fieldErrors } from '../../lib/returns';
import { useNotify } from '../../notify';

const SHIPPING_WORDS: Record<string, string> = {
  NEVER: 'Never refund the shipping paid',
  FULL_RETURN: 'Refund shipping when the whole order comes back',
  ALWAYS: 'Always refund shipping (pro-rated)',
};

export function ReturnPolicyPanel() {
  const { can } = useAuth();
  const policy = useLoad(() => returnPolicy.get(), []);
  return (
    <Panel title="Return policy" testid="return-policy" actions={policy.data?.updated_at ? <span className="muted small">updated {dateTime(policy.data.updated_at)}{policy.data.updated_by ? ` by ${policy.data.updated_by}` : ''}</span> : undefined}>
      <LoadError error={policy.error} what="the return policy" />
      {!policy.data && policy.loading && <Loading what="the return policy" />}
      {policy.data && (can.admin ? <PolicyForm policy={policy.data} onSaved={(p) => policy.setData(p)} /> : <PolicyView policy={policy.data} />)}
    </Panel>
  );
}

function PolicyView({ policy }: { policy: ReturnPolicy }) {
  return (
    <>
      <dl className="kv" data-testid="return-policy-view">
        <div className="kv-row"><dt>Return window</dt><dd>{policy.return_window_days} days</dd></div>
        <div className="kv-row"><dt>Restocking fee</dt><dd>{policy.restocking_fee_percent}% for {policy.restocking_fee_reasons.map(humanize).join(', ') || 'no reason'}</dd></div>
        <div className="kv-row"><dt>Shipping refund</dt><dd>{SHIPPING_WORDS[policy.refund_shipping] ?? policy.refund_shipping}</dd></div>
        <div className="kv-row"><dt>Return shipping fee</dt><dd>{money(policy.return_shipping_fee)}</dd></div>
        <div className="kv-row"><dt>Auto-approve</dt><dd>{policy.auto_approve ? 'Yes' : 'No'}</dd></div>
      </dl>
      <ReadOnlyNote>Changing the return policy needs a SUPERADMIN.</ReadOnlyNote>
    </>
  );
}

function PolicyForm({ policy, onSaved }: { policy: ReturnPolicy; onSaved: (p: ReturnPolicy) => void }) {
  const notify = useNotify();
  const [form, setForm] = useState({
    return_window_days: String(policy.return_window_days),
    restocking_fee_percent: String(policy.restocking_fee_percent),
    restocking_fee_reasons: [...policy.restocking_fee_reasons],
    refund_shipping: policy.refund_shipping,
    return_shipping_fee: String(policy.return_shipping_fee),
    auto_approve: policy.auto_approve,
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => setError(null), [policy]);
  const problems = fieldErrors(error?.status === 422 ? error : null);
  const set = <K extends keyof typeof form>(k: K, v: (typeof form)[K]) => setForm((f) => ({ ...f, [k]: v }));

  function toggleReason(r: ReturnReason, on: boolean) {
    set('restocking_fee_reasons', on ? [...form.restocking_fee_reasons, r] : form.restocking_fee_reasons.filter((x) => x !== r));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: ReturnPolicyFields = {
      return_window_days: Number(form.return_window_days),
      restocking_fee_percent: form.restocking_fee_percent.trim(),
      restocking_fee_reasons: RETURN_REASONS.filter((r) => form.restocking_fee_reasons.includes(r)),
      refund_shipping: form.refund_shipping,
      return_shipping_fee: form.return_shipping_fee.trim(),
      auto_approve: form.auto_approve,
    };
    setBusy(true);
    setError(null);
    try {
      const saved = await returnPolicy.save(body);
      onSaved(saved);
      notify.notice('Return policy saved');
    } catch (err) {
      const apiErr = toApiError(err);
      setError(apiErr);
      notify.error(apiErr, 'Save return policy');
    } finally {
      setBusy(false);
    }
  }

  const problem = (name: string) =>
    problems[name] ? <span className="field-hint text-bad" data-testid={`policy-error-${name}`}>{problems[name]}</span> : null;

  return (
    <form onSubmit={submit} data-testid="return-policy-form">
      <div className="row">
        <Field label="Return window (days, 0–365)">
          <input type="number" min={0} max={365} required value={form.return_window_days} onChange={(e) => set('return_window_days', e.target.value)} data-testid="policy-window" />
          {problem('return_window_days')}
        </Field>
        <Field label="Restocking fee (% of the returned items, 0–100)">
          <input inputMode="decimal" required value={form.restocking_fee_percent} onChange={(e) => set('restocking_fee_percent', e.target.value)} data-testid="policy-fee-percent" />
          {problem('restocking_fee_percent')}
        </Field>
        <Field label="Return shipping fee">
          <input inputMode="decimal" required value={form.return_shipping_fee} onChange={(e) => set('return_shipping_fee', e.target.value)} data-testid="policy-shipping-fee" />
          {problem('return_shipping_fee')}
        </Field>
      </div>
      <fieldset className="field" data-testid="policy-fee-reasons">
        <span className="field-label">The restocking fee applies to returns for</span>
        <div className="filters">
          {RETURN_REASONS.map((r) => (
            <label key={r} className="checkbox">
              <input type="checkbox" checked={form.restocking_fee_reasons.includes(r)} onChange={(e) => toggleReason(r, e.target.checked)} data-testid={`policy-reason-${r}`} /> {humanize(r)}
            </label>
          ))}
        </div>
        {problem('restocking_fee_reasons')}
      </fieldset>
      <div className="row">
        <Field label="Shipping refund">
          <select value={form.refund_shipping} onChange={(e) => set('refund_shipping', e.target.value as ReturnPolicy['refund_shipping'])} data-testid="policy-refund-shipping">
            {REFUND_SHIPPING.map((s) => <option key={s} value={s}>{SHIPPING_WORDS[s]}</option>)}
          </select>
          {problem('refund_shipping')}
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={form.auto_approve} onChange={(e) => set('auto_approve', e.target.checked)} data-testid="policy-auto-approve" /> Approve return requests automatically
        </label>
      </div>
      {problems.auto_approve && <div>{problem('auto_approve')}</div>}
      <button type="submit" className="btn btn-primary" disabled={busy} data-testid="policy-save">Save policy</button>
    </form>
  );
}
