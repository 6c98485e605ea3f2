/**
 * Renders a notice document to plain text and to HTML. Templates hand over plain strings only; every
 * string is escaped here, so no template can put markup (or a platform-controlled URL) into the HTML
 * unescaped. Links are written only for http(s) URLs.
 */
import type { Block, NoticeDocument } from './types.ts';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

function isHttpUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/** Columns a string takes in a monospace font: Hangul and other wide characters take two. */
function displayWidth(s: string): number {
  return [...s].reduce((w, c) => w + ((c.codePointAt(0) ?? 0) >= 0x1100 ? 2 : 1), 0);
}

function blockText(b: Block): string {
  switch (b.type) {
    case 'heading': return `${b.text}\n${'='.repeat(Math.min(72, displayWidth(b.text)))}`;
    case 'paragraph': return b.text;
    case 'list': return b.items.map((i) => `- ${i}`).join('\n');
    case 'fields': return b.rows.map(([k, v]) => `${k}: ${v}`).join('\n');
    case 'items': return b.items.map((i, n) => [
      `${n + 1}. ${b.labels.media}: ${i.mediaUrl}`,
      `   ${b.labels.page}: ${i.pageUrl ?? b.labels.withheld}`,
      `   ${b.labels.firstSeen}: ${i.firstSeen}`,
    ].join('\n')).join('\n');
    case 'link': return `${b.label}: ${b.url}`;
    case 'code': return b.text.split('\n').map((l) => `    ${l}`).join('\n');
  }
}

function blockHtml(b: Block): string {
  const e = escapeHtml;
  switch (b.type) {
    case 'heading': return `<h2>${e(b.text)}</h2>`;
    case 'paragraph': return `<p>${e(b.text)}</p>`;
    case 'list': return `<ul>${b.items.map((i) => `<li>${e(i)}</li>`).join('')}</ul>`;
    case 'fields': return `<table>${b.rows.map(([k, v]) => `<tr><th scope="row">${e(k)}</th><td>${e(v)}</td></tr>`).join('')}</table>`;
    case 'items': return `<ol>${b.items.map((i) => `<li><dl><dt>${e(b.labels.media)}</dt><dd><code>${e(i.mediaUrl)}</code></dd><dt>${e(b.labels.page)}</dt><dd>${i.pageUrl === null ? e(b.labels.withheld) : `<code>${e(i.pageUrl)}</code>`}</dd><dt>${e(b.labels.firstSeen)}</dt><dd>${e(i.firstSeen)}</dd></dl></li>`).join('')}</ol>`;
    case 'link': return `<p>${e(b.label)}: ${isHttpUrl(b.url) ? `<a href="${e(b.url)}">${e(b.url)}</a>` : e(b.url)}</p>`;
    case 'code': return `<pre>${e(b.text)}</pre>`;
  }
}

export function renderText(doc: NoticeDocument): string {
  return `${doc.blocks.map(blockText).join('\n\n')}\n`;
}

export function renderHtml(doc: NoticeDocument): string {
  return [
    '<!DOCTYPE html>',
    `<html lang="${escapeHtml(doc.lang)}">`,
    `<head><meta charset="utf-8"><title>${escapeHtml(doc.subject)}</title></head>`,
    '<body>',
    ...doc.blocks.map(blockHtml),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
