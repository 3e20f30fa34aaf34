// Small shared building blocks: panels, badges, bars, pager, tabs, load states.

import type { ReactNode } from 'react';
import type { ApiError } from '../api';
import { humanize, tone as toneOf, type Tone } from '../format';

export function Panel(props: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testid?: string;
}) {
  return (
    <section className={`panel ${props.className ?? ''}`} data-testid={props.testid}>
      {(props.title || props.actions) && (
        <header className="panel-head">
          {props.title && <h2>{props.title}</h2>}
          {props.actions && <div className="panel-actions">{props.actions}</div>}
        </header>
      )}
      <div className="panel-body">{props.children}</div>
    </section>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-head">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

export function Badge({ value, testid, label, tone }: { value: string | null | undefined; testid?: string; label?: string; tone?: Tone }) {
  if (!value) return <span className="badge badge-neutral">—</span>;
  return (
    <span className={`badge badge-${tone ?? toneOf(value)}`} data-testid={testid} data-value={value}>
      {label ?? humanize(value)}
    </span>
  );
}

/** A horizontal bar: `value` of `max` (fraction shown as width), with a label on the right. */
export function Bar({ value, max, label, warnAt, testid }: { value: number; max: number; label?: ReactNode; warnAt?: number; testid?: string }) {
  const fraction = max > 0 ? Math.max(0, Math.min(1, value / max)) : 0;
  const level = warnAt !== undefined && fraction >= warnAt ? (fraction >= 0.95 ? 'bad' : 'warn') : 'ok';
  return (
    <div className="bar" data-testid={testid} data-fraction={fraction.toFixed(3)}>
      <div className="bar-track">
        <div className={`bar-fill bar-${level}`} style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      {label !== undefined && <span className="bar-label">{label}</span>}
    </div>
  );
}

export function LoadError({ error, what }: { error: ApiError | null; what?: string }) {
  if (!error) return null;
  return (
    <div className="load-error" role="alert" data-testid="load-error" data-code={error.code}>
      <strong>{what ? `Could not load ${what}: ` : 'Could not load: '}</strong>
      {error.message} <code>{error.code}{error.status ? ` · HTTP ${error.status}` : ''}</code>
      {error.status === 404 && /route_not_found|^not_found$/.test(error.code) && (
        <div className="muted small">This API does not offer the endpoint (yet); the rest of the page still works.</div>
      )}
      {error.problems.length > 0 && (
        <ul className="banner-problems">
          {error.problems.slice(0, 5).map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading{what ? ` ${what}` : ''}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Pager(props: {
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
  onPrev: () => void;
  onNext: () => void;
  info?: ReactNode;
  testid?: string;
}) {
  const id = props.testid ?? 'pager';
  return (
    <div className="pager" data-testid={id}>
      <button type="button" className="btn btn-small" disabled={!props.hasPrev} onClick={props.onPrev} data-testid={`${id}-prev`}>
        ← Previous
      </button>
      <span className="muted small">
        Page {props.page}
        {props.info ? <> · {props.info}</> : null}
      </span>
      <button type="button" className="btn btn-small" disabled={!props.hasNext} onClick={props.onNext} data-testid={`${id}-next`}>
        Next →
      </button>
    </div>
  );
}

export function Tabs<K extends string>(props: { tabs: { key: K; label: string }[]; active: K; onChange: (k: K) => void; testid?: string }) {
  return (
    <div className="tabs" role="tablist" data-testid={props.testid}>
      {props.tabs.map((t) => (
        <button
          key={t.key}
          type="button"
          role="tab"
          aria-selected={props.active === t.key}
          className={`tab ${props.active === t.key ? 'tab-active' : ''}`}
          onClick={() => props.onChange(t.key)}
          data-testid={`tab-${t.key}`}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function Field({ label, children, hint }: { label: string; children: ReactNode; hint?: ReactNode }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {hint && <span className="field-hint">{hint}</span>}
    </label>
  );
}

/** Object fields as a compact definition list (evidence, details, results). */
// A list of plain values reads as words ("vip, gift"; none: "—"); anything nested stays JSON.
function kvText(v: unknown): ReactNode {
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return v.length ? v.join(', ') : '—';
  if (typeof v === 'object' && v !== null) return <code className="json">{JSON.stringify(v)}</code>;
  return String(v ?? '—');
}

export function KeyValues({ data, testid }: { data: Record<string, unknown> | null | undefined; testid?: string }) {
  const entries = Object.entries(data ?? {});
  if (!entries.length) return <span className="muted">—</span>;
  return (
    <dl className="kv" data-testid={testid}>
      {entries.map(([k, v]) => (
        <div key={k} className="kv-row">
          <dt>{humanize(k)}</dt>
          <dd>{kvText(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ReadOnlyNote({ children }: { children?: ReactNode }) {
  return <div className="readonly-note">{children ?? 'Read only: changing this needs a SUPERADMIN.'}</div>;
}
