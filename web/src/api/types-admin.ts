// Response and request shapes of the admin areas: integrations, operations, the architect.
import type { Condition } from './types';

// ------------------------------------------------------------------ integrations
export interface WebhookEndpoint {
  id: string;
  url: string;
  event_types: string[];
  description?: string | null;
  active: boolean;
  signature_version?: string;
  secret?: string;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}
export interface WebhookDelivery {
  id: string;
  endpoint_id: string;
  url?: string;
  event_id?: string;
  event_type?: string;
  state: string;
  attempts?: { at?: string; status_code?: number | null; error?: string | null; latency_ms?: number | null }[];
  attempt_count?: number;
  last_status_code?: number | null;
  last_latency_ms?: number | null;
  last_error?: string | null;
  next_retry_at?: string | null;
  created_at?: string;
  updated_at?: string;
}
export interface Connector {
  id: string;
  name: string;
  type: string;
  direction: string;
  status: string;
  active?: boolean;
  config: Record<string, unknown>;
  last_error?: string | null;
  consecutive_failures?: number;
  webhook_url?: string;
  created_at?: string;
  updated_at?: string;
}
export interface ConnectorEvent {
  at: string;
  type: string;
  ok?: boolean;
  detail?: string;
  error?: string | null;
  [key: string]: unknown;
}
export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  last4: string;
  status: string;
  created_at: string;
  created_by: string;
  revoked_at?: string | null;
  key?: string;
}

// ------------------------------------------------------------------ operations
export interface DeadLetterQueue {
  queue: string;
  source_queue: string;
  depth: { visible: number; in_flight: number };
  oldest_sample_sent_at_ms: number | null;
  samples: { message_id: string; receive_count: number; body_excerpt: string }[];
}
export interface ReplayResult {
  queue: string;
  moved: number;
  depth_before: { visible: number; in_flight: number };
  depth_after: { visible: number; in_flight: number };
}
export interface TaskRun {
  kind: string;
  tenant_id: string;
  reference: string;
  outcome: string;
  started_at: string;
  duration_ms: number;
  error: string | null;
  details: Record<string, unknown>;
}
export interface Health {
  status: string;
  service?: string;
  time?: string;
  checks?: { name: string; ok: boolean; detail: string }[];
}
export const LEARNING_JOBS = [
  'label_outcomes', 'update_node_performance', 'discover_patterns', 'evaluate_experiments', 'reconcile_analytics', 'sla_sweep',
  'generate_invoices', 'validate_invoices',
] as const;
export interface JobRun {
  job: string;
  tenant_id: string;
  result: Record<string, unknown>;
}

// ------------------------------------------------------------------ architect
export const PROPOSAL_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'APPLIED', 'ROLLED_BACK'] as const;
export interface Proposal {
  id: string;
  kind: 'sourcing_rule' | 'experiment';
  status: (typeof PROPOSAL_STATUSES)[number];
  summary: string;
  evidence: Record<string, unknown>;
  cluster?: string | null;
  payload: Record<string, unknown>;
  source: string;
  created_at: string;
  updated_at: string;
  history: { action: string; by: string; at: string; reason?: string | null; note?: string | null }[];
  applied?: { kind: string; id: string; version: number } | null;
}
export interface Pattern {
  cluster: string;
  samples: number;
  ranking: { node_id: string; mean_score: number; samples: number }[];
  ai_samples: number;
  ai_mean: number | null;
  baseline_samples: number;
  baseline_mean: number | null;
  ai_lift_pct: number | null;
}
export interface Patterns {
  at: string | null;
  version: string | null;
  items: Pattern[];
  count: number;
}
export interface ExperimentFields {
  name: string;
  strategy_a: string;
  strategy_b: string;
  traffic_split_pct: number;
  filter_conditions: Condition[];
}
export interface Experiment extends ExperimentFields {
  id: string;
  status: 'ACTIVE' | 'PAUSED' | 'COMPLETED';
  created_by: string;
  created_at: string;
  updated_at: string;
  winner: 'A' | 'B' | null;
  result: Record<string, unknown> | null;
  version?: number;
}
export interface ArmResult {
  strategy: string;
  samples: number;
  mean_score: number | null;
}
export interface ExperimentResults {
  experiment_id: string;
  status: string;
  declared_winner: string | null;
  arms: Record<string, ArmResult>;
  winner: string | null;
  winner_strategy: string | null;
  reason: string;
  window: { days: number; from: string; to: string };
  evaluated_at: string;
}
export interface NodePerformanceRow {
  node_id: string;
  cluster: string;
  samples: number;
  mean_score: number;
  mean_delivery_hours: number | null;
  mean_cost_variance_pct: number | null;
  node_code: string | null;
  node_name: string | null;
}
export interface NodePerformance {
  period_days: number;
  at: string | null;
  version: string | null;
  items: NodePerformanceRow[];
  count: number;
}
export interface ScoreStat {
  samples: number;
  mean_score: number | null;
}
export interface AiPerformance {
  period_days: number;
  from: string;
  to: string;
  samples: number;
  strategies: {
    strategy: string;
    samples: number;
    mean_score: number | null;
    mean_delivery_hours: number | null;
    mean_cost_variance_pct: number | null;
  }[];
  ai: ScoreStat;
  rule_based: ScoreStat;
  baseline: ScoreStat & { strategy: string };
  ai_lift_pct: number | null;
  clusters: { cluster: string; ai: ScoreStat; baseline: ScoreStat; ai_lift_pct: number | null }[];
}
