// The tenant's nodes, loaded once and shared by the pages that name nodes (cached for a minute).

import { nodes as nodesApi, type Node } from '../api';
import { useLoad, type Loaded } from './hooks';

let cache: { at: number; value: Node[] } | null = null;
const TTL_MS = 60_000;

export async function loadNodes(force = false): Promise<Node[]> {
  if (!force && cache && Date.now() - cache.at < TTL_MS) return cache.value;
  const answer = await nodesApi.list();
  cache = { at: Date.now(), value: answer.items };
  return answer.items;
}

export function forgetNodes(): void {
  cache = null;
}

export interface NodeIndex extends Loaded<Node[]> {
  byId: Map<string, Node>;
  name: (id: string | null | undefined) => string;
}

export function useNodes(): NodeIndex {
  const loaded = useLoad(() => loadNodes(), []);
  const byId = new Map((loaded.data ?? []).map((n) => [n.id, n]));
  return {
    ...loaded,
    byId,
    name: (id) => {
      if (!id) return '—';
      const n = byId.get(id);
      return n ? `${n.code} · ${n.name}` : id;
    },
  };
}
