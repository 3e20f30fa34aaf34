// Response and request shapes of issue 11's areas (CONTRACT.md): the SLA radar, exceptions and
// their analysis, SLA policies, and Invoice Guard (tariffs, invoices, adjustments).
import type { Condition } from './types';

// ------------------------------------------------------------------ SLA radar
export const MILESTONES = [
  'order_paid', 'pick_started', 'pick_completed', 'pack_completed', 'ship_label_printed', 'shipped', 'delivered',
] as const;
export type Milestone = (typeof MILESTONES)[number];
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const EXCEPTION_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const;
export type ExceptionStatus = (typeof EXCEPTION_STATUSES)[number];
export const EXCEPTION_LABELS = [
  'PICK_DELAY', 'PACK_DELAY', 'CARRIER_ISSUE', 'STOCK_OUT', 'ADDRESS_ISSUE', 'SYSTEM_ERROR', 'OTHER',
] as const;
export type ExceptionLabel = (typeof EXCEPTION_LABELS)[number];

export interface Analysis {
  label: string;
  confidence: number;
  ops_note: string;
  client_note: string;
  reasoning: string;
  analyst: 'rules' | 'claude' | string;
  model?: string | null;
  prompt_version?: string | null;
  analysed_at?: string | null;
}

export interface SlaException {
  exception_id: string;
  order_ref: string;
  order_id: string | null;
  external_order_id: string | null;
  order_number: string | null;
  source: string;
  milestone: string;
  kind: 'absence' | 'late' | string;
  severity: Severity | string;
  status: ExceptionStatus | string;
  breach_open: boolean;
  policy_id: string | null;
  factor: number;
  window_minutes: number;
  clock_started_at: string;
  deadline: string;
  observed_at: string | null;
  late_minutes: number | null;
  facts: Record<string, unknown>;
  analysis: Analysis | null;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
  resolution_note: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface AtRisk {
  order_ref: string;
  milestone: string;
  deadline: string;
  elapsed_pct: number;
}

export interface Radar {
  open_by_severity: Record<string, number>;
  open_by_label: Record<string, number>;
  at_risk: AtRisk[];
  recent: SlaException[];
}

export type MilestoneState = 'met' | 'late' | 'open' | 'at_risk' | 'breached';
export interface TimelineMilestone {
  milestone: string;
  at: string | null;
  deadline: string | null;
  state: MilestoneState | string;
}
export interface OrderTimeline {
  order_ref: string;
  policy_id: string | null;
  factor: number;
  clock_started_at: string | null;
  milestones: TimelineMilestone[];
  exceptions: SlaException[];
}

export interface Multiplier {
  when: Condition;
  factor: number;
}
export interface SlaPolicyFields {
  name: string;
  is_default: boolean;
  is_active: boolean;
  pick_minutes: number;
  pack_minutes: number;
  ship_minutes: number;
  delivery_hours: number;
  warning_pct: number;
  critical_pct: number;
  multipliers: Multiplier[];
}
export interface SlaPolicy extends SlaPolicyFields {
  id: string;
  version: number;
  created_at: string;
  updated_at: string;
}
export const MULTIPLIER_FIELDS = [
  'channel', 'fulfillment_type', 'tag', 'weekend', 'shipping_country', 'total_amount', 'line_count',
] as const;

// ------------------------------------------------------------------ Invoice Guard
export const INVOICE_STATUSES = ['DRAFT', 'VALIDATED', 'REVIEW', 'FINAL'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export const ADJUSTMENT_STATUSES = ['APPLIED', 'REVIEW', 'APPROVED', 'REJECTED'] as const;
export type AdjustmentStatus = (typeof ADJUSTMENT_STATUSES)[number];

export interface InvoiceLine {
  operation: 'order' | 'pick_line' | 'unit' | 'pack' | 'label' | 'return' | string;
  quantity: number;
  unit_price: string;
  amount: string;
}
export interface Adjustment {
  adjustment_id: string;
  kind: 'discrepancy' | 'sla_credit' | string;
  reason: string;
  amount: string;
  order_ref: string | null;
  exception_id: string | null;
  status: AdjustmentStatus | string;
  decided_by: string | null;
  decided_at: string | null;
}
export interface Invoice {
  invoice_id: string;
  period_start: string;
  period_end: string;
  currency: string;
  status: InvoiceStatus | string;
  order_count: number;
  lines: InvoiceLine[];
  subtotal: string;
  adjustments: Adjustment[];
  adjustments_total: string;
  total: string;
  generated_at: string;
  validated_at: string | null;
  tariff_id: string | null;
  tariff_version: number | null;
}

export interface SlaCreditRule {
  milestone: string;
  share_of_order_fee: string;
}
export interface Tariff {
  id: string;
  name: string;
  currency: string;
  is_active: boolean;
  per_order: string;
  per_pick_line: string;
  per_unit: string;
  per_pack: string;
  per_label: string;
  per_return: string;
  sla_credits: SlaCreditRule[];
  auto_credit_limit: string;
  version: number;
  created_at: string;
  updated_at: string;
}
