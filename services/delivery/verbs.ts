/**
 * The delivery subcommands of `staydown notices` (the rest of the verb is takedown's): the text of a
 * web-form notice to submit by hand, and recording that it was submitted.
 */
import { parseCli, usageError } from '../cli/args.ts';
import { printResult, type CliIo } from '../cli/io.ts';
import { runVerb, withService } from '../cli/run-verb.ts';
import { handSubmissionFor, recordSubmission } from './hand-submission.ts';

export const DELIVERY_NOTICES_USAGE = `staydown notices form ID [--json]                 the text to submit by hand on the platform's web form
       staydown notices submitted ID [--note TEXT] [--json]  record that a web-form notice was submitted (it is then sent)`;

export const DELIVERY_SUBCOMMANDS = new Set(['form', 'submitted']);

export async function runDeliveryNotices(args: string[], io: CliIo): Promise<number> {
  return runVerb('notices', io, async () => {
    const { values, positionals } = parseCli(args, { note: { type: 'string' } }, DELIVERY_NOTICES_USAGE);
    const [sub, id, ...extra] = positionals;
    const json = values.json === true;
    if (!id || extra.length > 0) throw usageError('Name one notice (its reference or id).', DELIVERY_NOTICES_USAGE);
    return withService(async (ctx, actor) => {
      if (sub === 'form') {
        const f = await handSubmissionFor(ctx, actor, id);
        printResult(io, json, f, `${f.instruction}\n\nForm: ${f.formUrl}\nSubject: ${f.subject}\n\n${f.text}\nURLs:\n${f.urls}`);
        return 0;
      }
      const r = await recordSubmission(ctx, actor, id, values.note);
      printResult(io, json, r, `notice ${r.reference} recorded as submitted by hand: sent ${r.sentAt}, the platform's deadline is ${r.deadline}`);
      return 0;
    }, { silent: true });
  });
}
