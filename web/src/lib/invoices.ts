// Invoice Guard's pure logic: exact money arithmetic on the API's decimal strings (cents, never
// floats), signed adjustment amounts, the review queue, the totals check and the CSV file name.

import type { Adjustment, Invoice } from '../api/types';
import { money } from '../format';

/** "12.50" -> 1250, "-3.2" -> -320, "7" -> 700; null for what is not a decimal amount. */
export function cents(amount: string | number | null | undefined): number | null {
  if (amount === null || amount === undefined) return null;
  const s = String(amount).trim();
  const m = /^([+-])?(\d+)(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const value = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0') || '0');
  return m[1] === '-' ? -value : value;
}

/** 1250 -> "12.50", -320 -> "-3.20". */
export function fromCents(value: number): string {
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(Math.round(value));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** An amount with its sign shown ("+$3.00", "−$12.50"), for adjustments. */
export function signedMoney(amount: string | null | undefined, currency = 'USD'): string {
  const c = cents(amount);
  if (c === null) return money(amount, currency);
  if (c === 0) return money('0', currency);
  return `${c < 0 ? '−' : '+'}${money(fromCents(Math.abs(c)), currency)}`;
}

/** Adjustments that count in the total: applied automatically or approved by a person. */
export const COUNTED = new Set(['APPLIED', 'APPROVED']);

export interface TotalsCheck {
  subtotal: string;
  adjustments: string;
  total: string;
  /** the invoice's own figures agree with its lines and counted adjustments */
  consistent: boolean;
}

/** The invoice's figures recomputed from its lines and adjustments, and whether they agree. */
export function checkTotals(invoice: Pick<Invoice, 'lines' | 'adjustments' | 'subtotal' | 'adjustments_total' | 'total'>): TotalsCheck {
  const sub = invoice.lines.reduce((s, l) => s + (cents(l.amount) ?? 0), 0);
  const adj = invoice.adjustments.filter((a) => COUNTED.has(a.status)).reduce((s, a) => s + (cents(a.amount) ?? 0), 0);
  const total = sub + adj;
  return {
    subtotal: fromCents(sub),
    adjustments: fromCents(adj),
    total: fromCents(total),
    consistent: cents(invoice.subtotal) === sub && cents(invoice.adjustments_total) === adj && cents(invoice.total) === total,
  };
}

export interface QueuedAdjustment extends Adjustment {
  invoice_id: string;
  currency: string;
  period_start: string;
}

/** Adjustments waiting for a person (REVIEW), over the invoices given, the largest first. */
export function reviewQueue(invoices: Invoice[]): QueuedAdjustment[] {
  const out: QueuedAdjustment[] = [];
  for (const inv of invoices) {
    for (const a of inv.adjustments ?? []) {
      if (a.status === 'REVIEW') out.push({ ...a, invoice_id: inv.invoice_id, currency: inv.currency, period_start: inv.period_start });
    }
  }
  return out.sort((a, b) => Math.abs(cents(b.amount) ?? 0) - Math.abs(cents(a.amount) ?? 0) || a.adjustment_id.localeCompare(b.adjustment_id));
}

const OPERATIONS: Record<string, string> = {
  order: 'Orders', pick_line: 'Pick lines', unit: 'Units', pack: 'Packages', label: 'Labels', return: 'Returns',
};
export function operationLabel(operation: string): string {
  return OPERATIONS[operation] ?? operation;
}

/** "invoice-2026-11-29-d6e06f53.csv". */
export function csvFileName(invoice: Pick<Invoice, 'invoice_id' | 'period_start'>): string {
  const day = invoice.period_start ? invoice.period_start.slice(0, 10) : 'period';
  const id = invoice.invoice_id.replace(/[^A-Za-z0-9-]/g, '').slice(0, 8);
  return `invoice-${day}-${id}.csv`;
}

/** The tone of an invoice or adjustment status chip. */
export function billingTone(status: string): 'ok' | 'warn' | 'bad' | 'info' | 'neutral' {
  switch (status) {
    case 'FINAL':
    case 'APPLIED':
    case 'APPROVED':
      return 'ok';
    case 'REVIEW':
      return 'warn';
    case 'REJECTED':
      return 'bad';
    case 'VALIDATED':
      return 'info';
    default:
      return 'neutral';
  }
}
