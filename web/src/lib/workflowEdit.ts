// The workflow editor's pure parts: a problem of a 422 `invalid_workflow` matched to what it
// names (a status, a transition, an action, or the whole graph), and small edits of the document.

import type { ApiError } from '../api';
import type { Transition, WorkflowAction, WorkflowBody, WorkflowProblem, WorkflowStatus } from '../api/types-tenancy';

export interface Problems {
  byStatus: Map<string, WorkflowProblem[]>;
  byTransition: Map<string, WorkflowProblem[]>;
  byAction: Map<string, WorkflowProblem[]>;
  general: WorkflowProblem[];
  all: WorkflowProblem[];
}

export const transitionKey = (t: Transition) => `${t.from}→${t.to}`;

function push<K>(map: Map<K, WorkflowProblem[]>, key: K, p: WorkflowProblem) {
  map.set(key, [...(map.get(key) ?? []), p]);
}

/** The problems of a 422 answer, each next to what it names. */
export function problemsOf(err: ApiError | null | undefined): Problems {
  const out: Problems = { byStatus: new Map(), byTransition: new Map(), byAction: new Map(), general: [], all: [] };
  if (!err || !Array.isArray(err.details)) return out;
  for (const raw of err.details as unknown[]) {
    if (!raw || typeof raw !== 'object') continue;
    const d = raw as Record<string, unknown>;
    const p: WorkflowProblem = {
      problem: String(d.problem ?? d.type ?? 'invalid'),
      status: typeof d.status === 'string' ? d.status : null,
      message: String(d.message ?? d.msg ?? d.problem ?? ''),
      transition: d.transition && typeof d.transition === 'object' ? (d.transition as Transition) : null,
      action_id: typeof d.action_id === 'string' ? d.action_id : null,
    };
    if (!p.transition && typeof d.from === 'string' && typeof d.to === 'string') p.transition = { from: d.from, to: d.to };
    out.all.push(p);
    if (p.transition) push(out.byTransition, transitionKey(p.transition), p);
    else if (p.action_id) push(out.byAction, p.action_id, p);
    else if (p.status) push(out.byStatus, p.status, p);
    else out.general.push(p);
  }
  return out;
}

export function newStatus(existing: WorkflowStatus[]): WorkflowStatus {
  let n = existing.length + 1;
  while (existing.some((s) => s.code === `STATUS_${n}`)) n += 1;
  return { code: `STATUS_${n}`, name: `Status ${n}`, color: '#6b7a99', phase: 'PICKING', anchor: false, terminal: false };
}

export function newActionId(actions: WorkflowAction[]): string {
  let n = actions.length + 1;
  while (actions.some((a) => a.id === `action-${n}`)) n += 1;
  return `action-${n}`;
}

export const DEFAULT_CONFIG: Record<WorkflowAction['type'], Record<string, string>> = {
  email: { template: 'order_confirmation' },
  webhook: { endpoint_id: '' },
  adjust_inventory: { mode: 'restock' },
};

/** Renaming a status code renames it in transitions and actions too. */
export function renameStatus(doc: WorkflowBody, from: string, to: string): WorkflowBody {
  return {
    statuses: doc.statuses.map((s) => (s.code === from ? { ...s, code: to } : s)),
    transitions: doc.transitions.map((t) => ({ from: t.from === from ? to : t.from, to: t.to === from ? to : t.to })),
    actions: doc.actions.map((a) => (a.status === from ? { ...a, status: to } : a)),
  };
}

/** Removing a status removes its transitions and actions. */
export function removeStatus(doc: WorkflowBody, code: string): WorkflowBody {
  return {
    statuses: doc.statuses.filter((s) => s.code !== code),
    transitions: doc.transitions.filter((t) => t.from !== code && t.to !== code),
    actions: doc.actions.filter((a) => a.status !== code),
  };
}
