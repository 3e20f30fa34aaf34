// The tenant's look: its status names and colours (GET /workflow/statuses, once per session) and
// its branding (shop name, logo, colours) applied as CSS variables on the document.

import { useEffect, useState } from 'react';
import { session } from '../api';
import { workflow, type Branding, type WorkflowStatus } from '../api/tenancy';

export interface StatusBook {
  /** by the tenant's status code */
  byCode: Map<string, WorkflowStatus>;
  /** the anchor (else the first) status of each phase, for orders without a status code */
  byPhase: Map<string, WorkflowStatus>;
}

const EMPTY: StatusBook = { byCode: new Map(), byPhase: new Map() };
let cached: { token: string | null; book: Promise<StatusBook> } | null = null;

export function statusBook(list: WorkflowStatus[]): StatusBook {
  const byCode = new Map<string, WorkflowStatus>();
  const byPhase = new Map<string, WorkflowStatus>();
  for (const s of list) {
    byCode.set(s.code, s);
    const seen = byPhase.get(s.phase);
    if (!seen || (s.anchor && !seen.anchor)) byPhase.set(s.phase, s);
  }
  return { byCode, byPhase };
}

/** The tenant's statuses, loaded once per session; the built-in names when they cannot be read. */
export function loadStatuses(): Promise<StatusBook> {
  const token = session.token();
  if (!cached || cached.token !== token) {
    cached = { token, book: workflow.statuses().then(statusBook, () => EMPTY) };
  }
  return cached.book;
}

/** Forget the statuses (after the workflow was saved or rolled back). */
export function forgetStatuses(): void {
  cached = null;
}

export function useStatuses(): StatusBook {
  const [book, setBook] = useState<StatusBook>(EMPTY);
  useEffect(() => {
    let live = true;
    void loadStatuses().then((b) => live && setBook(b));
    return () => {
      live = false;
    };
  }, []);
  return book;
}

/** The status an order shows: its code's, else its phase's. A code whose phase is not the
 * order's phase is stale (the phase is the truth inside, ADR 0035): the phase's status then. */
export function lookUp(book: StatusBook, code: string | null | undefined, phase: string | null | undefined): WorkflowStatus | undefined {
  const byCode = code ? book.byCode.get(code) : undefined;
  if (byCode && (!phase || byCode.phase === phase)) return byCode;
  if (!phase) return undefined;
  const same = book.byCode.get(phase);
  return same && same.phase === phase ? same : book.byPhase.get(phase);
}

// ------------------------------------------------------------------ branding
const HEX = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
/** A colour that may go into a CSS variable (hex only: nothing else reaches the stylesheet). */
export function safeColor(value: string | null | undefined): string | null {
  return value && HEX.test(value.trim()) ? value.trim() : null;
}
/** A logo URL the page may load: https (or a same-origin path); nothing else. */
export function safeLogo(value: string | null | undefined): string | null {
  if (!value) return null;
  const v = value.trim();
  return /^https:\/\/[^\s"'<>]+$/i.test(v) || /^\/[^/\s"'<>][^\s"'<>]*$/.test(v) ? v : null;
}

const VARS = ['--accent', '--info', '--accent-soft', '--brand-accent'] as const;

/** The branding's colours as CSS variables (null: the defaults of styles.css). */
export function brandingVars(b: Branding | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const primary = safeColor(b?.primary_color);
  const accent = safeColor(b?.accent_color);
  if (primary) {
    out['--accent'] = primary;
    out['--info'] = primary;
    out['--accent-soft'] = `color-mix(in srgb, ${primary} 14%, white)`;
  }
  if (accent) out['--brand-accent'] = accent;
  return out;
}

/** Apply a tenant's branding to the whole document (and the tab's title); null resets it. */
export function applyBranding(b: Branding | null | undefined, suffix = ''): void {
  if (typeof document === 'undefined') return;
  const root = document.documentElement;
  const vars = brandingVars(b);
  for (const name of VARS) {
    if (vars[name]) root.style.setProperty(name, vars[name]);
    else root.style.removeProperty(name);
  }
  root.dataset.branded = b ? 'true' : 'false';
  document.title = b?.shop_name ? `${b.shop_name}${suffix}` : 'Cirrus OMS';
}
