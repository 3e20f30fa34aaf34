// One invoice: its lines, its adjustments (status chips; approve/reject in REVIEW for a
// SUPERADMIN), the totals check, and the CSV (fetched with the token, saved from a blob URL).

import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { billing } from '../../api/sla';
import { useAuth } from '../../auth';
import { Badge, Empty, LoadError, Loading, PageHeader, Panel } from '../../components/ui';
import { count, dateOnly, dateTime, humanize, money, shortId } from '../../format';
import { useLoad } from '../../lib/hooks';
import { billingTone, checkTotals, csvFileName, operationLabel, signedMoney } from '../../lib/invoices';
import { useAction } from '../../notify';

export default function InvoiceDetail() {
  const { invoiceId = '' } = useParams();
  const { can } = useAuth();
  const invoice = useLoad(() => billing.invoice(invoiceId), [invoiceId]);
  const { run, busy } = useAction();
  const [csvUrl, setCsvUrl] = useState<string | null>(null);
  useEffect(() => () => {
    if (csvUrl) URL.revokeObjectURL(csvUrl);
  }, [csvUrl]);

  const inv = invoice.data;
  if (!inv) {
    return (
      <div className="page" data-testid="page-invoice-detail">
        <PageHeader title="Invoice" subtitle={<Link to="/invoices">← Invoices</Link>} />
        <LoadError error={invoice.error} what="the invoice" />
        {invoice.loading && <Loading what="the invoice" />}
      </div>
    );
  }
  const totals = checkTotals(inv);

  async function download() {
    if (!inv) return;
    const blob = await run('Download CSV', () => billing.csv(inv.invoice_id));
    if (!blob) return;
    const url = URL.createObjectURL(blob);
    setCsvUrl(url);
    const a = document.createElement('a');
    a.href = url;
    a.download = csvFileName(inv);
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  async function decide(adjustmentId: string, approve: boolean) {
    const done = await run(
      approve ? 'Approve adjustment' : 'Reject adjustment',
      () => (approve ? billing.approve(invoiceId, adjustmentId) : billing.reject(invoiceId, adjustmentId)),
      approve ? 'Adjustment approved' : 'Adjustment rejected',
    );
    if (done) void invoice.reload();
  }

  return (
    <div className="page" data-testid="page-invoice-detail" data-invoice-id={inv.invoice_id} data-status={inv.status}>
      <PageHeader
        title={`Invoice ${dateOnly(inv.period_start, 'UTC')}`}
        subtitle={<><Link to="/invoices">← Invoices</Link> · {shortId(inv.invoice_id)} · {dateTime(inv.period_start, 'UTC')} – {dateTime(inv.period_end, 'UTC')} UTC</>}
        actions={
          <>
            <Badge value={inv.status} tone={billingTone(inv.status)} testid="invoice-status" />
            <button type="button" className="btn" disabled={busy} onClick={download} data-testid="invoice-csv">Download CSV</button>
            {csvUrl && <a href={csvUrl} download={csvFileName(inv)} className="small" data-testid="invoice-csv-ready">save again</a>}
          </>
        }
      />
      <div className="grid-2">
        <Panel title="Lines" testid="invoice-lines">
          <table className="table table-compact">
            <thead><tr><th>Operation</th><th className="num">Quantity</th><th className="num">Unit price</th><th className="num">Amount</th></tr></thead>
            <tbody>
              {inv.lines.map((l) => (
                <tr key={l.operation} data-testid="invoice-line" data-operation={l.operation}>
                  <td>{operationLabel(l.operation)}</td>
                  <td className="num">{count(l.quantity)}</td>
                  <td className="num">{money(l.unit_price, inv.currency)}</td>
                  <td className="num">{money(l.amount, inv.currency)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr><td colSpan={3}>Subtotal ({count(inv.order_count)} orders)</td><td className="num" data-testid="invoice-subtotal">{money(inv.subtotal, inv.currency)}</td></tr>
              <tr><td colSpan={3}>Adjustments</td><td className="num" data-testid="invoice-adjustments-total">{signedMoney(inv.adjustments_total, inv.currency)}</td></tr>
              <tr><td colSpan={3}><strong>Total</strong></td><td className="num strong" data-testid="invoice-total">{money(inv.total, inv.currency)}</td></tr>
            </tfoot>
          </table>
          <div className={`small ${totals.consistent ? 'muted' : 'text-bad'}`} data-testid="invoice-totals-check" data-consistent={totals.consistent}>
            {totals.consistent
              ? 'The total equals the lines plus the applied and approved adjustments.'
              : `Recomputed: subtotal ${money(totals.subtotal, inv.currency)}, adjustments ${signedMoney(totals.adjustments, inv.currency)}, total ${money(totals.total, inv.currency)}.`}
          </div>
          <div className="muted small">Generated {dateTime(inv.generated_at)}{inv.validated_at ? ` · validated ${dateTime(inv.validated_at)}` : ''}{inv.tariff_id ? ` · tariff ${shortId(inv.tariff_id)} v${inv.tariff_version ?? '?'}` : ''}</div>
        </Panel>
        <Panel title="Adjustments" testid="invoice-adjustments">
          {inv.adjustments.length ? (
            <table className="table table-compact">
              <thead><tr><th>Kind</th><th>Reason</th><th>Order</th><th className="num">Amount</th><th>Status</th><th /></tr></thead>
              <tbody>
                {inv.adjustments.map((a) => (
                  <tr key={a.adjustment_id} data-testid="adjustment-row" data-id={a.adjustment_id} data-status={a.status} data-kind={a.kind}>
                    <td>{humanize(a.kind)}</td>
                    <td className="small">{a.reason}{a.exception_id && <> · <Link to={`/radar?exception=${encodeURIComponent(a.exception_id)}`}>exception</Link></>}</td>
                    <td className="mono small">{a.order_ref ?? '—'}</td>
                    <td className="num">{signedMoney(a.amount, inv.currency)}</td>
                    <td>
                      <Badge value={a.status} tone={billingTone(a.status)} testid="adjustment-status" />
                      {a.decided_by && <div className="muted small">{a.decided_by} {dateTime(a.decided_at)}</div>}
                    </td>
                    <td className="nowrap">
                      {a.status === 'REVIEW' && can.admin && (
                        <>
                          <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={() => decide(a.adjustment_id, true)} data-testid="adjustment-approve">Approve</button>{' '}
                          <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => decide(a.adjustment_id, false)} data-testid="adjustment-reject">Reject</button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>No adjustments.</Empty>
          )}
        </Panel>
      </div>
    </div>
  );
}
