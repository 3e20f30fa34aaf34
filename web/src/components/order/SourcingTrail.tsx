// The sourcing decisions of an order: strategy, rule, outcome, and every candidate node with its
// score and the reason it was or was not chosen.

import type { Node, SourcingDecision } from '../../api';
import { dateTime, humanize, km, money, score } from '../../format';
import { Badge, Empty } from '../ui';
import { ScoreBar } from '../charts';

export function DecisionView({ decision, nodes, testid }: { decision: SourcingDecision; nodes: Map<string, Node>; testid?: string }) {
  const candidates = [...(decision.candidates ?? [])].sort((a, b) => Number(b.chosen) - Number(a.chosen) || (b.score ?? -1) - (a.score ?? -1));
  const backordered = Object.entries(decision.backordered ?? {});
  return (
    <div className="decision" data-testid={testid ?? 'sourcing-decision'}>
      <div className="decision-head">
        <Badge value={decision.outcome} />
        <strong>{humanize(decision.strategy)}</strong>
        {decision.rule_name && <span className="muted">rule “{decision.rule_name}”</span>}
        {decision.experiment && <span className="badge badge-info">experiment arm {decision.experiment.arm}</span>}
        {typeof decision.at === 'string' && <span className="muted small">{dateTime(decision.at)}</span>}
      </div>
      <p className="decision-reason" data-testid="decision-reason">{decision.reason}</p>
      {backordered.length > 0 && (
        <p className="text-warn small">Backordered: {backordered.map(([sku, q]) => `${sku} ×${q}`).join(', ')}</p>
      )}
      {candidates.length ? (
        <table className="table table-compact">
          <thead>
            <tr><th>Node</th><th>Score</th><th className="num">Distance</th><th className="num">Est. cost</th><th>Stock</th><th>Why</th></tr>
          </thead>
          <tbody>
            {candidates.map((c) => (
              <tr key={c.node_id} className={c.chosen ? 'row-chosen' : ''} data-testid="trail-candidate" data-node={c.code} data-chosen={c.chosen}>
                <td>
                  <strong className="mono">{c.code}</strong>
                  <div className="muted small">{nodes.get(c.node_id)?.name ?? humanize(c.node_type)}</div>
                </td>
                <td style={{ minWidth: 140 }}><ScoreBar value={c.score} /></td>
                <td className="num">{km(c.distance_km)}</td>
                <td className="num">{c.estimated_cost ? money(c.estimated_cost) : '—'}</td>
                <td className="small">{Object.entries(c.stock ?? {}).map(([s, q]) => `${s}: ${q}`).join(', ')}</td>
                <td className="small">{c.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty>No candidates recorded.</Empty>
      )}
      {decision.ai && (
        <details className="small">
          <summary>AI advisor</summary>
          <code className="json">{JSON.stringify(decision.ai)}</code>
        </details>
      )}
      {decision.processing_ms !== undefined && <div className="muted small">decided in {score(decision.processing_ms)} ms</div>}
    </div>
  );
}

export function SourcingTrail({ decisions, nodes }: { decisions: SourcingDecision[]; nodes: Map<string, Node> }) {
  if (!decisions.length) return <div data-testid="sourcing-trail"><Empty>Not sourced yet.</Empty></div>;
  return (
    <div data-testid="sourcing-trail">
      {decisions.map((d, i) => (
        <DecisionView key={i} decision={d} nodes={nodes} />
      ))}
    </div>
  );
}
