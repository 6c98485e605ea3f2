/**
 * The response page at /respond/<token>: plain HTML with the reference, the URLs and a form posting the
 * answer - nothing of the victim or the case, no scripts, nothing loaded from elsewhere. Pure.
 */
import type { NoticeState } from './responses.ts';

/** Sent with every response of /respond/*: never cached, never leaked through a Referer, never indexed. */
export const RESPOND_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
};

const ANSWER_LABELS: Array<[string, string]> = [
  ['removed', 'Removed'],
  ['acknowledged', 'Received, being handled'],
  ['need-info', 'We need more information'],
  ['refused', 'Refused'],
  ['not-found', 'Not found on our service'],
];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>\n<body>\n${body}\n</body></html>\n`;
}

function itemList(s: NoticeState): string {
  return s.items.map((i) => `<li><label><input type="checkbox" name="urls" value="${escapeHtml(i.mediaUrl)}" checked> ${escapeHtml(i.mediaUrl)}</label>${i.pageUrl ? ` <small>(on ${escapeHtml(i.pageUrl)})</small>` : ''}${i.answer ? ` <strong>${escapeHtml(i.answer)}</strong>` : ''}</li>`).join('\n');
}

export function respondPage(s: NoticeState, action: string): string {
  const options = ANSWER_LABELS.map(([v, l]) => `<option value="${v}">${escapeHtml(l)}</option>`).join('');
  return page(`Notice ${s.reference}`, `<h1>Removal request ${escapeHtml(s.reference)}</h1>
<p>Status: ${escapeHtml(s.status)}${s.deadline ? `; please act by ${escapeHtml(s.deadline)}` : ''}.</p>
<form method="post" action="${escapeHtml(action)}">
<fieldset><legend>The URLs this answer is about</legend>
<ul>
${itemList(s)}
</ul></fieldset>
<p><label>Answer <select name="answer">${options}</select></label></p>
<p><label>Message (optional)<br><textarea name="message" rows="4" cols="60" maxlength="2000"></textarea></label></p>
<p><button type="submit">Send the answer</button></p>
</form>
<p>Systems can answer with <code>POST</code> to this address, <code>Content-Type: application/json</code>:
<code>{"answer": "acknowledged" | "removed" | "refused" | "need-info", "urls": [...], "message": "..."}</code>
(<code>urls</code> defaults to all of them).</p>`);
}

export function answeredPage(s: NoticeState): string {
  const last = s.responses.at(-1);
  return page(`Notice ${s.reference}: answer recorded`, `<h1>Thank you: your answer to ${escapeHtml(s.reference)} is recorded</h1>
<p>Answer: ${escapeHtml(last?.answer ?? '')} for ${last?.urls.length ?? 0} URL(s).</p>`);
}

export function notFoundPage(message: string): string {
  return page('Not found', `<h1>Not found</h1>\n<p>${escapeHtml(message)}</p>`);
}
