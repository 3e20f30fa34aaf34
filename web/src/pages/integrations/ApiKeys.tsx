// API keys (role INTEGRATION) for warehouses, carriers and other machine callers.

import { useState, type FormEvent } from 'react';
import { apiKeys } from '../../api';
import { Badge, Empty, Field, LoadError, Panel } from '../../components/ui';
import { dateTime } from '../../format';
import { useLoad } from '../../lib/hooks';
import { useAction } from '../../notify';

export default function ApiKeys() {
  const list = useLoad(() => apiKeys.list(), []);
  const { run, busy } = useAction();
  const [name, setName] = useState('');
  const [issued, setIssued] = useState<string | null>(null);

  async function create(e: FormEvent) {
    e.preventDefault();
    const key = await run('Issue API key', () => apiKeys.create(name.trim()), 'API key issued');
    if (key) {
      setIssued(key.key ?? null);
      setName('');
      void list.reload();
    }
  }

  return (
    <Panel title="API keys" testid="api-keys">
      <LoadError error={list.error} what="API keys" />
      {issued && (
        <div className="secret" data-testid="api-key-issued">
          The new key (shown once, copy it now): <code>{issued}</code>{' '}
          <button type="button" className="btn btn-small" onClick={() => setIssued(null)}>Hide</button>
        </div>
      )}
      {list.data && !list.data.items.length && <Empty>No keys.</Empty>}
      {list.data && list.data.items.length > 0 && (
        <table className="table">
          <thead><tr><th>Name</th><th>Key</th><th>Status</th><th>Created</th><th /></tr></thead>
          <tbody>
            {list.data.items.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td className="mono small">{k.prefix}…{k.last4}</td>
                <td><Badge value={k.status} /></td>
                <td className="small">{dateTime(k.created_at)} by {k.created_by}</td>
                <td>
                  {k.status === 'ACTIVE' && (
                    <button type="button" className="btn btn-small btn-danger" disabled={busy}
                      onClick={async () => { if (window.confirm(`Revoke ${k.name}? It stops working at once.`) && (await run('Revoke key', () => apiKeys.revoke(k.id).then(() => true), 'Key revoked'))) void list.reload(); }}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={create} className="row">
        <Field label="New key's name"><input required value={name} onChange={(e) => setName(e.target.value)} placeholder="warehouse WMS" /></Field>
        <button type="submit" className="btn btn-primary" disabled={busy}>Issue key</button>
      </form>
    </Panel>
  );
}
