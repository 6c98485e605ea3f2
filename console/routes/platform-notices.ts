/**
 * Platform accounts (role `platform`): the notices sent to their platform, and answering each -
 * acknowledged, removed, refused (with a reason), need more information - through answerAsPlatform, the
 * function POST /api/v1/platform/notices/:id/answer calls. Another platform's notice is "not found",
 * exactly like one that does not exist (a 404 page).
 */
import { answerAsPlatform, listPlatformNotices, parseAnswer, type NoticeState } from '../../services/delivery/index.ts';
import { BadRequestError, NotFoundError } from '../../services/platform/errors.ts';
import { noticeTimer, timerText } from '../deadline.ts';
import { field, type PageDef, type PageInput } from '../page.ts';

/** The answer form's fields as the answer contract (a refusal needs its reason). */
export function answerFromForm(body: Record<string, string | string[]>): ReturnType<typeof parseAnswer> {
  const urls = body.urls === undefined ? [] : Array.isArray(body.urls) ? body.urls : [body.urls];
  const message = field(body, 'message').trim();
  const answer = field(body, 'answer');
  if (!answer) throw new BadRequestError('Choose an answer: received, removed, refused or more information needed.');
  if (answer === 'refused' && !message) throw new BadRequestError('A refusal needs its reason: write in the message box why the content is not removed.');
  if (urls.length === 0) throw new BadRequestError('Tick at least one URL the answer is about.');
  return parseAnswer({ answer, urls, ...(message ? { message } : {}) });
}

async function find(input: PageInput): Promise<NoticeState> {
  const id = input.params.id;
  const found = (await listPlatformNotices(input.env.ctx, input.session!.actor)).find((n) => n.id === id || n.reference === id);
  if (!found) throw new NotFoundError(`There is no notice '${id.slice(0, 40)}' among your platform's notices.`);
  return found;
}

async function page(input: PageInput, state: NoticeState, extra: Record<string, unknown> = {}) {
  const timer = noticeTimer({ status: state.status, deadline: state.deadline }, null);
  return input.render('platform-notice', { state, timerText: timerText(timer, input.t), timer, action: `/platform/notices/${encodeURIComponent(state.id)}/answer`, ...extra });
}

export const platformNoticePages: PageDef[] = [
  {
    method: 'GET', url: '/platform/notices', access: 'notice.respond',
    handler: async (input) => {
      const list = await listPlatformNotices(input.env.ctx, input.session!.actor);
      const rows = list.map((n) => {
        const timer = noticeTimer({ status: n.status, deadline: n.deadline }, null);
        return { n, timer, timerText: timerText(timer, input.t), last: n.responses.at(-1) ?? null };
      });
      // Not yet answered first, then the nearest deadline.
      rows.sort((a, b) => Number(a.last !== null) - Number(b.last !== null) || (a.n.deadline ?? '9').localeCompare(b.n.deadline ?? '9'));
      return input.render('platform-notices', { rows });
    },
  },
  {
    method: 'GET', url: '/platform/notices/:id', access: 'notice.respond',
    handler: async (input) => page(input, await find(input), { answered: input.query.answered === '1' }),
  },
  {
    method: 'POST', url: '/platform/notices/:id/answer', access: 'notice.respond',
    handler: async (input) => {
      let answer;
      try {
        answer = answerFromForm(input.body);
      } catch (err) {
        if (!(err instanceof BadRequestError)) throw err;
        input.reply.status(400);
        return page(input, await find(input), { error: err.message });
      }
      const state = await answerAsPlatform(input.env.ctx, input.session!.actor, input.params.id, answer);
      return input.reply.redirect(`/platform/notices/${encodeURIComponent(state.id)}?answered=1`, 303);
    },
  },
];
