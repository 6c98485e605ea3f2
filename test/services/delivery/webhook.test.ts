/**
 * Webhook notices to a real node:http receiver on 127.0.0.1 that checks the signature with the
 * receivers' helper; the SSRF guard refuses a private address unless the platform record allows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook, signatureHeader, verifySignature, webhookUrlRefusal } from '../../../services/delivery/webhook.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const SECRET = Buffer.from('a-shared-secret-of-thirty-two-by');
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET);
});
afterAll(async () => {
  await receiver.close();
});

const body = JSON.stringify({ reference: 'SD-2026-000200', kind: 'ncii', items: [{ url: 'https://board.example/p/2.jpg' }] });

describe('webhook delivery', () => {
  it('POSTs the JSON body signed, with the reference as Idempotency-Key, and the receiver verifies it', async () => {
    const outcome = await postWebhook({ url: receiver.url('/notices'), reference: 'SD-2026-000200', body, secret: SECRET, allowHosts: ['127.0.0.1'] });
    expect(outcome).toEqual({ kind: 'delivered', detail: 'HTTP 200' });
    const got = receiver.requests.at(-1)!;
    expect(got.path).toBe('/notices');
    expect(got.signature.ok).toBe(true);
    expect(got.headers['idempotency-key']).toBe('SD-2026-000200');
    expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got.body).toBe(body);
    expect(got.headers['staydown-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it('is refused by the SSRF guard on a loopback or private address unless the platform allows the host', async () => {
    const before = receiver.requests.length;
    const outcome = await postWebhook({ url: receiver.url('/notices'), reference: 'SD-2026-000201', body, secret: SECRET });
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind !== 'delivered' && outcome.message).toMatch(/127\.0\.0\.1 is loopback.*allowed on the platform record/);
    expect(receiver.requests.length).toBe(before);
    expect(webhookUrlRefusal('http://10.1.2.3/hook')).toMatch(/private/);
    expect(webhookUrlRefusal('http://169.254.169.254/latest')).toMatch(/link-local/);
    expect(webhookUrlRefusal('ftp://platform.example/hook')).toMatch(/scheme 'ftp:'/);
    expect(webhookUrlRefusal('https://platform.example/hook')).toBeNull();
  });

  it('refuses a name that resolves to a loopback address at connect time', async () => {
    const port = new URL(receiver.origin).port;
    const before = receiver.requests.length;
    const outcome = await postWebhook({ url: `http://localhost:${port}/notices`, reference: 'SD-2026-000202', body, secret: SECRET });
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind !== 'delivered' && outcome.message).toMatch(/resolves to a loopback address/);
    expect(receiver.requests.length).toBe(before);
  });

  it('reports the receiver\'s status, with Retry-After, and a dead receiver as a network failure', async () => {
    receiver.script([{ status: 503, headers: { 'retry-after': '7' } }, 410]);
    const busy = await postWebhook({ url: receiver.url(), reference: 'SD-2026-000203', body, secret: SECRET, allowHosts: ['127.0.0.1'] });
    expect(busy).toMatchObject({ kind: 'http-status', status: 503, retryAfterSeconds: 7 });
    const gone = await postWebhook({ url: receiver.url(), reference: 'SD-2026-000203', body, secret: SECRET, allowHosts: ['127.0.0.1'] });
    expect(gone).toMatchObject({ kind: 'http-status', status: 410 });
    expect(gone.kind !== 'delivered' && gone.message).toMatch(/HTTP status 410/);
    const dead = await startWebhookReceiver(SECRET);
    const url = dead.url();
    await dead.close();
    expect((await postWebhook({ url, reference: 'SD-2026-000203', body, secret: SECRET, allowHosts: ['127.0.0.1'] })).kind).toBe('network');
  });
});

describe('verifySignature (for receivers)', () => {
  const now = 1_800_000_000;
  const header = signatureHeader(SECRET, body, now);
  it('accepts the signed body within the tolerance', () => {
    expect(verifySignature(SECRET, header, body, 300, now + 299)).toEqual({ ok: true, timestamp: now });
    expect(verifySignature(SECRET, `${header},v1=${'0'.repeat(64)}`, Buffer.from(body), 300, now).ok).toBe(true);
  });
  it('refuses an altered body, another secret, an old timestamp and a malformed header', () => {
    expect(verifySignature(SECRET, header, body.replace('2.jpg', '3.jpg'), 300, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match/) });
    expect(verifySignature('another secret', header, body, 300, now).ok).toBe(false);
    expect(verifySignature(SECRET, header, body, 300, now + 301)).toMatchObject({ ok: false, reason: expect.stringMatching(/replayed/) });
    expect(verifySignature(SECRET, 'v1=abc', body, 300, now).ok).toBe(false);
    expect(verifySignature(SECRET, undefined, body, 300, now).ok).toBe(false);
    // The timestamp is signed: moving it breaks the signature.
    expect(verifySignature(SECRET, header.replace(`t=${now}`, `t=${now + 1}`), body, 300, now).ok).toBe(false);
  });
});
