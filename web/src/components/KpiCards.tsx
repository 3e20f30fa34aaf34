// The overview's KPI cards, from GET /analytics/dashboard.

import type { Dashboard } from '../api';
import { count, money, pct } from '../format';

export interface Kpi {
  key: string;
  label: string;
  value: string;
  hint?: string;
  tone?: 'ok' | 'warn' | 'bad';
}

export function kpisOf(d: Dashboard): Kpi[] {
  const alerts = d.inventory_alerts ?? { low_stock: 0, out_of_stock: 0, items: [] };
  const rateTone = (v: number | null, warn: number, bad: number, higherIsBetter: boolean): Kpi['tone'] => {
    if (v === null || v === undefined) return undefined;
    if (higherIsBetter) return v < bad ? 'bad' : v < warn ? 'warn' : 'ok';
    return v > bad ? 'bad' : v > warn ? 'warn' : 'ok';
  };
  return [
    { key: 'orders', label: 'Orders', value: count(d.orders), hint: `${count(d.delivered)} delivered · ${count(d.cancelled)} cancelled` },
    { key: 'revenue', label: 'Revenue', value: money(d.revenue, d.currency) },
    { key: 'aov', label: 'Average order', value: money(d.average_order_value, d.currency) },
    { key: 'on-time', label: 'On-time delivery', value: pct(d.on_time_delivery_rate), tone: rateTone(d.on_time_delivery_rate, 0.95, 0.85, true) },
    { key: 'split-rate', label: 'Split shipments', value: pct(d.split_rate), tone: rateTone(d.split_rate, 0.15, 0.3, false) },
    { key: 'backorder-rate', label: 'Backorders', value: pct(d.backorder_rate), tone: rateTone(d.backorder_rate, 0.03, 0.1, false) },
    {
      // low_stock counts every item at or below its reorder level, the out-of-stock ones included
      key: 'low-stock',
      label: 'Stock alerts',
      value: count(Math.max(alerts.low_stock, alerts.out_of_stock)),
      hint: `at or below reorder level · ${count(alerts.out_of_stock)} out of stock`,
      tone: alerts.out_of_stock > 0 ? 'bad' : alerts.low_stock > 0 ? 'warn' : 'ok',
    },
  ];
}

export function KpiCards({ dashboard }: { dashboard: Dashboard }) {
  return (
    <div className="kpis" data-testid="kpi-cards">
      {kpisOf(dashboard).map((k) => (
        <div key={k.key} className={`kpi ${k.tone ? `kpi-${k.tone}` : ''}`} data-testid={`kpi-${k.key}`}>
          <div className="kpi-label">{k.label}</div>
          <div className="kpi-value" data-testid={`kpi-${k.key}-value`}>
            {k.value}
          </div>
          {k.hint && <div className="kpi-hint">{k.hint}</div>}
        </div>
      ))}
    </div>
  );
}
