// Proposals: inline approve / reject (with a reason) / apply / rollback, with the rationale
// (summary and evidence), the payload and the history. The architect chat writes new ones.

import { useState, type FormEvent } from 'react';
import { architect, PROPOSAL_STATUSES, type Proposal } from '../../api';
import { Badge, Empty, KeyValues, LoadError, Loading, Panel } from '../../components/ui';
import { dateTime, humanize } from '../../format';
import { useLoad } from '../../lib/hooks';
import { useAction } from '../../notify';

export default function Proposals() {
  const [status, setStatus] = useState('');
  const list = useLoad(() => architect.proposals(status || undefined), [status], 15000);
  return (
    <>
      <Chat onProposal={() => void list.reload()} />
      <Panel
        title="Proposals"
        testid="proposals"
        actions={
          <select value={status} onChange={(e) => setStatus(e.target.value)} aria-label="Status" data-testid="proposal-status-filter">
            <option value="">Any status</option>
            {PROPOSAL_STATUSES.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
          </select>
        }
      >
        <LoadError error={list.error} what="proposals" />
        {list.loading && !list.data && <Loading />}
        {list.data && !list.data.items.length && (
          <Empty>No proposals{status ? ` ${status.toLowerCase()}` : ''}. The nightly pattern discovery proposes rules when a cluster deserves one; the chat above writes one from plain words.</Empty>
        )}
        <div className="cards">
          {(list.data?.items ?? []).map((p) => <ProposalCard key={p.id} proposal={p} onChanged={() => void list.reload()} />)}
        </div>
      </Panel>
    </>
  );
}

function ProposalCard({ proposal: p, onChanged }: { proposal: Proposal; onChanged: () => void }) {
  const { run, busy } = useAction();
  const [reason, setReason] = useState('');
  const act = async (label: string, fn: () => Promise<Proposal>) => {
    const done = await run(label, fn, (r) => `Proposal ${humanize(r.status).toLowerCase()}`);
    if (done) {
      setReason('');
      onChanged();
    }
  };
  const canApprove = p.status === 'PENDING';
  const canReject = p.status === 'PENDING' || p.status === 'APPROVED';
  const canApply = p.status === 'APPROVED';
  const canRollback = p.status === 'APPLIED';
  return (
    <article className="card" data-testid="proposal-card" data-status={p.status} data-id={p.id}>
      <div className="card-head">
        <div>
          <strong>{humanize(p.kind)}</strong> <span className="muted small">from {humanize(p.source)} · {dateTime(p.created_at)}</span>
          {p.cluster && <div className="small mono">{p.cluster}</div>}
        </div>
        <Badge value={p.status} testid="proposal-status" />
      </div>
      <p className="rationale" data-testid="proposal-rationale">{p.summary}</p>
      <details>
        <summary>Evidence</summary>
        <KeyValues data={p.evidence} />
      </details>
      <details>
        <summary>What applying creates</summary>
        <code className="json">{JSON.stringify(p.payload, null, 2)}</code>
      </details>
      {p.history.length > 0 && (
        <ul className="small muted">
          {p.history.map((h, i) => (
            <li key={i}>{humanize(h.action)} by {h.by} {dateTime(h.at)}{h.reason ? `: ${h.reason}` : ''}</li>
          ))}
        </ul>
      )}
      {(canReject || canRollback) && (
        <input placeholder={canRollback ? 'Reason for the rollback (optional)' : 'Reason (needed to reject)'} value={reason} onChange={(e) => setReason(e.target.value)} aria-label="Reason" data-testid="proposal-reason" />
      )}
      <div className="actions-row">
        {canApprove && <button type="button" className="btn btn-primary btn-small" disabled={busy} onClick={() => act('Approve', () => architect.approve(p.id))} data-testid="proposal-approve">Approve</button>}
        {canApply && <button type="button" className="btn btn-primary btn-small" disabled={busy} onClick={() => act('Apply', () => architect.apply(p.id))} data-testid="proposal-apply">Apply</button>}
        {canReject && <button type="button" className="btn btn-danger btn-small" disabled={busy || !reason.trim()} onClick={() => act('Reject', () => architect.reject(p.id, reason.trim()))} data-testid="proposal-reject">Reject</button>}
        {canRollback && <button type="button" className="btn btn-small" disabled={busy} onClick={() => act('Roll back', () => architect.rollback(p.id, reason.trim() || undefined))} data-testid="proposal-rollback">Roll back</button>}
      </div>
      {p.applied && <div className="small muted">Applied as {humanize(p.applied.kind)} {p.applied.id}</div>}
    </article>
  );
}

function Chat({ onProposal }: { onProposal: () => void }) {
  const { run, busy } = useAction();
  const [message, setMessage] = useState('');
  const [reply, setReply] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const answer = await run('Architect chat', () => architect.chat(message.trim()), 'A new proposal is pending');
    if (answer) {
      setReply(answer.reply);
      setMessage('');
      onProposal();
    }
  }
  return (
    <Panel title="Ask the architect" testid="architect-chat">
      <form onSubmit={submit} className="row">
        <input className="search-input" required maxLength={2000} value={message} onChange={(e) => setMessage(e.target.value)} placeholder="e.g. send California same-day orders to the San Francisco dark store first" aria-label="Request" />
        <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Thinking…' : 'Propose'}</button>
      </form>
      {reply && <p className="small">{reply}</p>}
    </Panel>
  );
}
