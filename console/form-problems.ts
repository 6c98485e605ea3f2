/**
 * A service refusal shown next to the form field it is about. The services speak in English sentences
 * written for the command line and the API; a form shows, next to the field, a sentence from the
 * catalogue for the person in front of it, and the service's own sentence below it (it names the exact
 * value). Which field a sentence is about is read from the sentence: the services name the thing.
 */
import { toHttpError } from '../services/http/error-mapper.ts';

export interface FormProblem {
  /** The form field's name. */
  field: string;
  /** A catalogue key: what the person should change. */
  key: string;
  vars: Record<string, string>;
  /** The service's own sentence. */
  detail: string;
}

export interface ProblemRule {
  test: RegExp;
  field: string;
  key: string;
  /** Placeholders filled from the sentence: each group of `test`, in order. */
  vars?: string[];
}

/** The problem behind a 4xx refusal, or null for anything else (which the error page handles). */
export function formProblem(err: unknown, rules: readonly ProblemRule[], fallback: { field: string; key: string }): FormProblem | null {
  const { status, body } = toHttpError(err);
  if (status < 400 || status >= 500 || status === 403 || status === 401) return null;
  const detail = body.error.message;
  for (const r of rules) {
    const m = r.test.exec(detail);
    if (m) return { field: r.field, key: r.key, detail, vars: Object.fromEntries((r.vars ?? []).map((name, i) => [name, m[i + 1] ?? ''])) };
  }
  return { ...fallback, detail, vars: {} };
}
