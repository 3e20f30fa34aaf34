// Experiments: create, pause/resume, and live per-arm results (refreshing by themselves).

import { useState, type FormEvent } from 'react';
import { architect, STRATEGIES, type Experiment } from '../../api';
import { ScoreBar } from '../../components/charts';
import { ConditionsEditor, fromRows, type ConditionRow } from '../../components/ConditionsEditor';
import { Badge, Empty, Field, LoadError, Loading, Panel } from '../../components/ui';
import { count, dateTime, humanize } from '../../format';
import { useLoad } from '../../lib/hooks';
import { useAction } from '../../notify';

export default function Experiments() {
  const list = useLoad(() => architect.experiments(), [], 15000);
  return (
    <>
      <Panel title="Experiments" testid="experiments">
        <LoadError error={list.error} what="experiments" />
        {list.loading && !list.data && <Loading />}
        {list.data && !list.data.items.length && <Empty>No experiments yet.</Empty>}
        <div className="cards">
          {(list.data?.items ?? []).map((e) => <ExperimentCard key={e.id} experiment={e} onChanged={() => void list.reload()} />)}
        </div>
      </Panel>
      <ExperimentForm onCreated={() => void list.reload()} />
    </>
  );
}

function ExperimentCard({ experiment: e, onChanged }: { experiment: Experiment; onChanged: () => void }) {
  const results = useLoad(() => architect.results(e.id), [e.id, e.status], e.status === 'ACTIVE' ? 10000 : undefined);
  const { run, busy } = useAction();
  const act = async (label: string, fn: () => Promise<Experiment>) => {
    if (await run(label, fn, (r) => `${r.name} is ${r.status.toLowerCase()}`)) onChanged();
  };
  const r = results.data;
  return (
    <article className="card" data-testid="experiment-card" data-status={e.status} data-id={e.id}>
      <div className="card-head">
        <div>
          <strong>{e.name}</strong>
          <div className="small muted">A {humanize(e.strategy_a)} · B {humanize(e.strategy_b)} · {e.traffic_split_pct}% to B · since {dateTime(e.created_at)}</div>
        </div>
        <Badge value={e.status} />
      </div>
      {e.filter_conditions.length > 0 && <div className="small">Orders where {e.filter_conditions.map((c) => `${c.field} ${c.operator} ${JSON.stringify(c.value)}`).join(' and ')}</div>}
      <LoadError error={results.error} what="results" />
      {r && (
        <div data-testid="experiment-results">
          {Object.entries(r.arms).map(([arm, a]) => (
            <div key={arm} data-testid="experiment-arm" data-arm={arm}>
              <div className="small">
                Arm {arm}: {humanize(a.strategy)} <span className="muted">({count(a.samples)} outcomes)</span>
                {r.winner === arm && <Badge value="COMPLETED" label="leading" />}
              </div>
              <ScoreBar value={a.mean_score} />
            </div>
          ))}
          <div className="small muted">{r.reason} · evaluated {dateTime(r.evaluated_at)}</div>
          {r.declared_winner && <div className="small"><strong>Winner declared: arm {r.declared_winner}</strong></div>}
        </div>
      )}
      <div className="actions-row">
        {e.status === 'ACTIVE' && <button type="button" className="btn btn-small" disabled={busy} onClick={() => act('Pause', () => architect.pause(e.id))} data-testid="experiment-pause">Pause</button>}
        {e.status === 'PAUSED' && <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={() => act('Resume', () => architect.resume(e.id))} data-testid="experiment-resume">Resume</button>}
      </div>
    </article>
  );
}

function ExperimentForm({ onCreated }: { onCreated: () => void }) {
  const { run, busy } = useAction();
  const [name, setName] = useState('');
  const [a, setA] = useState('DISTANCE_OPTIMAL');
  const [b, setB] = useState('AI_ADAPTIVE');
  const [split, setSplit] = useState('50');
  const [conditions, setConditions] = useState<ConditionRow[]>([]);

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    const done = await run('Create experiment', () =>
      architect.createExperiment({ name: name.trim(), strategy_a: a, strategy_b: b, traffic_split_pct: Number(split), filter_conditions: fromRows(conditions) }),
      (x) => `${x.name} started`,
    );
    if (done) {
      setName('');
      setConditions([]);
      onCreated();
    }
  }

  return (
    <Panel title="New experiment">
      <form onSubmit={submit} data-testid="experiment-form">
        <div className="row">
          <Field label="Name"><input required value={name} onChange={(e) => setName(e.target.value)} data-testid="experiment-name" /></Field>
          <Field label="Arm A (control)">
            <select value={a} onChange={(e) => setA(e.target.value)}>{STRATEGIES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}</select>
          </Field>
          <Field label="Arm B (treatment)">
            <select value={b} onChange={(e) => setB(e.target.value)}>{STRATEGIES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}</select>
          </Field>
          <Field label="% of orders to B"><input type="number" min={0} max={100} step={1} value={split} onChange={(e) => setSplit(e.target.value)} /></Field>
        </div>
        <h3 className="sub">Which orders take part</h3>
        <ConditionsEditor rows={conditions} onChange={setConditions} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="experiment-create">Start experiment</button>
        </div>
      </form>
    </Panel>
  );
}
