// Performance: AI sourcing against rule-based sourcing (overall, per strategy, per cluster) and the
// node table, over the last 7 or 30 days.

import { useState } from 'react';
import { architect } from '../../api';
import { ScoreBar } from '../../components/charts';
import { Empty, LoadError, Loading, Panel } from '../../components/ui';
import { ago, count, humanize, pctValue } from '../../format';
import { useLoad } from '../../lib/hooks';

export default function Performance() {
  const [days, setDays] = useState(7);
  const [cluster, setCluster] = useState('*');
  const ai = useLoad(() => architect.aiPerformance(days), [days]);
  const perf = useLoad(() => architect.nodePerformance(days), [days]);
  const clusters = [...new Set((perf.data?.items ?? []).map((r) => r.cluster))].sort();
  const rows = (perf.data?.items ?? []).filter((r) => r.cluster === cluster).sort((x, y) => y.mean_score - x.mean_score);

  return (
    <>
      <div className="toggle" role="group" aria-label="Period" data-testid="period-toggle">
        {[7, 30].map((d) => (
          <button key={d} type="button" aria-pressed={days === d} onClick={() => setDays(d)} data-testid={`period-${d}`}>
            {d} days
          </button>
        ))}
      </div>
      <Panel title="AI against rule-based sourcing" testid="ai-performance">
        <LoadError error={ai.error} what="the comparison" />
        {ai.loading && !ai.data && <Loading />}
        {ai.data && (
          <>
            <div className="kpis">
              <div className="kpi" data-testid="perf-ai"><div className="kpi-label">AI sourcing</div><div className="kpi-value">{ai.data.ai.mean_score?.toFixed(3) ?? '—'}</div><div className="kpi-hint">{count(ai.data.ai.samples)} outcomes</div></div>
              <div className="kpi" data-testid="perf-rules"><div className="kpi-label">Rule-based</div><div className="kpi-value">{ai.data.rule_based.mean_score?.toFixed(3) ?? '—'}</div><div className="kpi-hint">{count(ai.data.rule_based.samples)} outcomes</div></div>
              <div className="kpi"><div className="kpi-label">{humanize(ai.data.baseline.strategy)}</div><div className="kpi-value">{ai.data.baseline.mean_score?.toFixed(3) ?? '—'}</div><div className="kpi-hint">{count(ai.data.baseline.samples)} outcomes</div></div>
              <div className={`kpi ${ai.data.ai_lift_pct === null ? '' : ai.data.ai_lift_pct >= 0 ? 'kpi-ok' : 'kpi-bad'}`} data-testid="perf-lift"><div className="kpi-label">AI lift</div><div className="kpi-value">{pctValue(ai.data.ai_lift_pct)}</div><div className="kpi-hint">{ai.data.from} to {ai.data.to}</div></div>
            </div>
            <h3 className="sub">By strategy</h3>
            {ai.data.strategies.length ? (
              <table className="table table-compact">
                <thead><tr><th>Strategy</th><th className="num">Outcomes</th><th style={{ width: '35%' }}>Mean score</th><th className="num">Delivery h</th><th className="num">Cost variance</th></tr></thead>
                <tbody>
                  {ai.data.strategies.map((s) => (
                    <tr key={s.strategy}><td>{humanize(s.strategy)}</td><td className="num">{count(s.samples)}</td><td><ScoreBar value={s.mean_score} /></td><td className="num">{s.mean_delivery_hours?.toFixed(1) ?? '—'}</td><td className="num">{pctValue(s.mean_cost_variance_pct)}</td></tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Empty>No labelled outcomes in this period.</Empty>
            )}
          </>
        )}
      </Panel>
      <Panel
        title="Nodes"
        testid="node-performance"
        actions={
          <>
            {perf.data?.at && <span className="muted small">computed {ago(perf.data.at)}</span>}
            <select value={cluster} onChange={(e) => setCluster(e.target.value)} aria-label="Cluster">
              {(clusters.includes('*') ? clusters : ['*', ...clusters]).map((c) => <option key={c} value={c}>{c === '*' ? 'All clusters' : c}</option>)}
            </select>
          </>
        }
      >
        <LoadError error={perf.error} what="node performance" />
        {perf.data && !rows.length && <Empty>No node statistics for this period yet (update_node_performance runs every 4 hours).</Empty>}
        {rows.length > 0 && (
          <table className="table" data-testid="node-performance-table">
            <thead><tr><th>Node</th><th className="num">Outcomes</th><th style={{ width: '35%' }}>Mean score</th><th className="num">Delivery h</th><th className="num">Cost variance</th></tr></thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.node_id}|${r.cluster}`} data-testid="node-performance-row">
                  <td><strong className="mono">{r.node_code ?? r.node_id}</strong><div className="small muted">{r.node_name}</div></td>
                  <td className="num">{count(r.samples)}</td>
                  <td><ScoreBar value={r.mean_score} /></td>
                  <td className="num">{r.mean_delivery_hours?.toFixed(1) ?? '—'}</td>
                  <td className="num">{pctValue(r.mean_cost_variance_pct)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
