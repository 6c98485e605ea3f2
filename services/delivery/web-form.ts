/**
 * The web-form channel: many platforms take reports only through a form on their site, which staydown
 * does not fill in by machine (forms change, carry CAPTCHAs, and a person should see what is submitted).
 * Such a notice is held for submission by hand: staff get the form's address and copy-ready text, submit
 * it themselves, and record it with `staydown notices submitted ID [--note TEXT]`, which marks the notice
 * sent (its deadline runs from then).
 */

export interface HandSubmission {
  formUrl: string;
  subject: string;
  /** The notice's text, ready to paste into the form's description field. */
  text: string;
  /** The affected URLs, one a line, for forms with a field of their own for them. */
  urls: string;
  /** What to do, as one sentence. */
  instruction: string;
}

export function handSubmission(input: { reference: string; formUrl: string; subject: string; text: string; urls: readonly string[] }): HandSubmission {
  return {
    formUrl: input.formUrl,
    subject: input.subject,
    text: input.text,
    urls: input.urls.join('\n'),
    instruction: `Submit notice ${input.reference} by hand at ${input.formUrl} with the text below, then record it with 'staydown notices submitted ${input.reference} --note "what the form answered"'.`,
  };
}
