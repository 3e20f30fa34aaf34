// Hand-drawn SVG charts (no chart library): daily volume columns, horizontal share bars, funnel.

import type { VolumePoint } from '../api';
import { count, dateOnly, humanize, money, pct } from '../format';
import { niceMax, type FunnelStep, type Share } from '../lib/analytics';

export function VolumeChart({ series, currency = 'USD', testid = 'volume-chart' }: { series: VolumePoint[]; currency?: string; testid?: string }) {
  const width = 640;
  const height = 220;
  const left = 40;
  const bottom = 26;
  const top = 10;
  const plotW = width - left - 8;
  const plotH = height - top - bottom;
  const max = niceMax(Math.max(0, ...series.map((p) => p.orders)));
  const step = series.length ? plotW / series.length : plotW;
  const barW = Math.max(2, step * 0.7);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(max * f));
  const labelEvery = Math.max(1, Math.ceil(series.length / 8));
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Orders per day" data-testid={testid} data-points={series.length}>
      {ticks.map((t) => {
        const y = top + plotH - (t / max) * plotH;
        return (
          <g key={t}>
            <line x1={left} x2={width - 8} y1={y} y2={y} className="grid" />
            <text x={left - 6} y={y + 4} className="axis" textAnchor="end">
              {count(t)}
            </text>
          </g>
        );
      })}
      {series.map((p, i) => {
        const h = (p.orders / max) * plotH;
        const x = left + i * step + (step - barW) / 2;
        return (
          <g key={p.date}>
            <rect x={x} y={top + plotH - h} width={barW} height={Math.max(h, p.orders ? 1 : 0)} className="col" rx={1.5}>
              <title>{`${p.date}: ${count(p.orders)} orders, ${money(p.revenue, currency)}`}</title>
            </rect>
            {i % labelEvery === 0 && (
              <text x={left + i * step + step / 2} y={height - 8} className="axis" textAnchor="middle">
                {dateOnly(`${p.date}T12:00:00Z`, 'UTC')}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export function ShareBars({ rows, currency = 'USD', testid }: { rows: Share[]; currency?: string; testid?: string }) {
  if (!rows.length) return <div className="empty">No orders in this range.</div>;
  const max = Math.max(...rows.map((r) => r.orders), 1);
  return (
    <div className="share-bars" data-testid={testid}>
      {rows.map((r) => (
        <div key={r.key} className="share-row" data-key={r.key}>
          <span className="share-key">{humanize(r.key)}</span>
          <div className="share-track">
            <div className="share-fill" style={{ width: `${((r.orders / max) * 100).toFixed(1)}%` }} />
          </div>
          <span className="share-num">
            {count(r.orders)} <span className="muted">({pct(r.share, 0)}) · {money(r.revenue, currency)}</span>
          </span>
        </div>
      ))}
    </div>
  );
}

export function Funnel({ steps, testid = 'status-funnel' }: { steps: FunnelStep[]; testid?: string }) {
  const width = 640;
  const rowH = 34;
  const height = steps.length * rowH + 4;
  const max = Math.max(steps[0]?.orders ?? 0, 1);
  return (
    <svg className="chart funnel" viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Status funnel" data-testid={testid}>
      {steps.map((s, i) => {
        const w = Math.max(2, (s.orders / max) * (width - 240));
        const x = 110 + (width - 240 - w) / 2;
        return (
          <g key={s.stage} data-stage={s.stage} data-orders={s.orders}>
            <text x={100} y={i * rowH + 22} textAnchor="end" className="axis strong">
              {s.stage}
            </text>
            <rect x={x} y={i * rowH + 4} width={w} height={rowH - 8} rx={4} className={`funnel-step funnel-${i}`}>
              <title>{`${s.stage}: ${count(s.orders)} orders`}</title>
            </rect>
            <text x={width - 120} y={i * rowH + 22} className="axis">
              {count(s.orders)} · {pct(s.share, 0)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** Score bars (0..1) for node rankings. */
export function ScoreBar({ value, label, testid }: { value: number | null; label?: string; testid?: string }) {
  const v = value === null || !Number.isFinite(value) ? 0 : Math.max(0, Math.min(1, value));
  return (
    <div className="score-bar" data-testid={testid} data-score={value ?? ''}>
      <div className="score-track">
        <div className="score-fill" style={{ width: `${(v * 100).toFixed(1)}%` }} />
      </div>
      <span className="score-num">{value === null ? '—' : value.toFixed(3)}</span>
      {label && <span className="muted small">{label}</span>}
    </div>
  );
}
