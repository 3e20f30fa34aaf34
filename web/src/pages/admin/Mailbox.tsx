// The local mailbox (make run only: GET /local/mailbox, the mail moto's SES kept): each email's
// HTML in a sandboxed frame (sandbox="": no script, no navigation, no same-origin access).

import { useState } from 'react';
import { mailbox } from '../../api/tenancy';
import { Empty, LoadError, Loading, PageHeader, Panel, Tabs } from '../../components/ui';
import { dateTime } from '../../format';
import { useLoad } from '../../lib/hooks';

export default function Mailbox() {
  const list = useLoad(() => mailbox.list(), [], 5000);
  const [openId, setOpenId] = useState<string | null>(null);
  const [view, setView] = useState<'html' | 'text'>('html');
  const messages = list.data ?? []; // newest first, as the mailbox answers
  const open = messages.find((m) => m.id === openId) ?? messages[0];
  return (
    <div data-testid="page-mailbox">
      <PageHeader title="Mailbox" subtitle="Emails sent in this local cloud (nothing leaves the machine)." />
      <LoadError error={list.error} what="the mailbox" />
      {list.loading && !list.data ? (
        <Loading />
      ) : messages.length === 0 ? (
        <Empty>No email sent yet.</Empty>
      ) : (
        <div className="grid-2">
          <Panel title={`${messages.length} emails`}>
            <table className="table table-compact" data-testid="mail-list">
              <tbody>
                {messages.map((m) => (
                  <tr key={m.id} className={m.id === open?.id ? 'row-chosen' : ''} data-testid="mail-row" data-id={m.id} data-subject={m.subject} data-to={Array.isArray(m.to) ? m.to.join(',') : m.to}>
                    <td><button type="button" className="btn btn-ghost btn-small" onClick={() => setOpenId(m.id)} data-testid="mail-open">{m.subject}</button></td>
                    <td className="small">{Array.isArray(m.to) ? m.to.join(', ') : m.to}</td>
                    <td className="small muted">{dateTime(m.sent_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Panel>
          {open && (
            <Panel title={open.subject} testid="mail-view">
              <div className="muted small">From {open.from} · to {Array.isArray(open.to) ? open.to.join(', ') : open.to} · {dateTime(open.sent_at)}</div>
              <Tabs tabs={[{ key: 'html', label: 'HTML' }, { key: 'text', label: 'Text' }]} active={view} onChange={setView} />
              {view === 'html' && open.html ? (
                <iframe className="mail-frame" sandbox="" srcDoc={open.html} title={open.subject} data-testid="mail-html" />
              ) : (
                <pre className="small" data-testid="mail-text">{open.text ?? '(no text part)'}</pre>
              )}
            </Panel>
          )}
        </div>
      )}
    </div>
  );
}
