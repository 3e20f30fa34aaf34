// Patterns: order clusters with their node ranking (score bars) and AI against DISTANCE_OPTIMAL.

import { architect } from '../../api';
import { ScoreBar } from '../../components/charts';
import { Empty, LoadError, Loading, Panel } from '../../components/ui';
import { ago, count } from '../../format';
import { useLoad } from '../../lib/hooks';
import { useNodes } from '../../lib/nodes';

export default function Patterns() {
  const patterns = useLoad(() => architect.patterns(), []);
  const nodeIndex = useNodes();
  const items = [...(patterns.data?.items ?? [])].sort((a, b) => b.samples - a.samples || a.cluster.localeCompare(b.cluster));
  return (
    <Panel title="Order clusters" testid="patterns" actions={patterns.data?.at && <span className="muted small">discovered {ago(patterns.data.at)}</span>}>
      <LoadError error={patterns.error} what="patterns" />
      {patterns.loading && !patterns.data && <Loading />}
      {patterns.data && !items.length && <Empty>No patterns yet: the discover_patterns job has not run (Operations → Run now).</Empty>}
      <div className="cards">
        {items.map((p) => (
          <article key={p.cluster} className="card" data-testid="pattern-card" data-cluster={p.cluster}>
            <div className="card-head">
              <strong className="mono small">{p.cluster}</strong>
              <span className="muted small">{count(p.samples)} orders</span>
            </div>
            {p.ranking.map((r) => (
              <div key={r.node_id}>
                <div className="small">{nodeIndex.byId.get(r.node_id)?.code ?? r.node_id} <span className="muted">({count(r.samples)})</span></div>
                <ScoreBar value={r.mean_score} testid="pattern-node-score" />
              </div>
            ))}
            <div className="small muted">
              AI {p.ai_mean === null ? '—' : p.ai_mean.toFixed(3)} ({count(p.ai_samples)}) vs distance-optimal {p.baseline_mean === null ? '—' : p.baseline_mean.toFixed(3)} ({count(p.baseline_samples)})
              {p.ai_lift_pct !== null && <> · lift <strong className={p.ai_lift_pct >= 0 ? '' : 'text-bad'}>{p.ai_lift_pct.toFixed(1)}%</strong></>}
            </div>
          </article>
        ))}
      </div>
    </Panel>
  );
}
