// An order's milestones against their deadlines, hand-drawn in SVG like the other charts: one row
// per milestone, the event as a point, the deadline as a marker; what came late (or never came
// before its deadline) in the warning colour.

import type { OrderTimeline } from '../../api/types';
import { dateTime, humanize } from '../../format';
import { offsetLabel, timelineGeometry } from '../../lib/radar';

export function TimelineChart({ timeline, now = Date.now() }: { timeline: OrderTimeline; now?: number }) {
  const g = timelineGeometry(timeline, now);
  return (
    <svg
      className="chart sla-timeline"
      viewBox={`0 0 ${g.width} ${g.height}`}
      role="img"
      aria-label={`Milestones of ${timeline.order_ref} against their deadlines`}
      data-testid="sla-timeline-chart"
      data-points={g.points.length}
      data-deadlines={g.deadlines.length}
    >
      {g.ticks.map((t) => (
        <g key={t.x}>
          <line x1={t.x} x2={t.x} y1={14} y2={g.height - 24} className="grid" />
          <text x={t.x} y={g.height - 8} className="axis" textAnchor="middle">
            {offsetLabel(g.start, t.at)}
          </text>
        </g>
      ))}
      {g.rows.map((r) => (
        <g key={r.milestone}>
          <line x1={g.left} x2={g.right} y1={r.y} y2={r.y} className="grid" />
          <text x={g.left - 10} y={r.y + 4} className="axis strong" textAnchor="end">
            {humanize(r.milestone)}
          </text>
        </g>
      ))}
      {g.now && (
        <g data-testid="tl-now">
          <line x1={g.now.x} x2={g.now.x} y1={10} y2={g.height - 24} className="tl-now" />
          <text x={g.now.x} y={10} className="axis" textAnchor="middle">now</text>
        </g>
      )}
      {g.deadlines.map((d) => (
        <g key={`dl-${d.milestone}`} data-testid="tl-deadline" data-milestone={d.milestone} data-missed={d.missed}>
          <path d={`M${d.x},${d.y - 10} L${d.x + 6},${d.y} L${d.x},${d.y + 10} L${d.x - 6},${d.y} Z`} className={d.missed ? 'tl-deadline tl-missed' : 'tl-deadline'}>
            <title>{`${humanize(d.milestone)} deadline ${dateTime(d.deadline)}${d.missed ? ' (missed)' : ''}`}</title>
          </path>
        </g>
      ))}
      {g.points.map((p) => (
        <g key={`pt-${p.milestone}`} data-testid="tl-point" data-milestone={p.milestone} data-state={p.state} data-late={p.late}>
          <circle cx={p.x} cy={p.y} r={6} className={p.late ? 'tl-point tl-late' : 'tl-point'}>
            <title>{`${humanize(p.milestone)} at ${dateTime(p.at)} (${humanize(p.state)})`}</title>
          </circle>
        </g>
      ))}
    </svg>
  );
}
