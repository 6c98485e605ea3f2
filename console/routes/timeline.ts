/**
 * A case's timeline for its staff (issue 12): per URL, found -> confirmed -> notified -> the platform's
 * answers -> verified removed -> re-checks -> re-appeared, and re-uploads elsewhere. caseTimeline checks
 * access as the case page does (staff: assigned cases) and audits the read the same way.
 */
import { caseTimeline } from '../../services/monitoring/index.ts';
import type { PageDef } from '../page.ts';

export const timelinePages: PageDef[] = [
  {
    method: 'GET', url: '/cases/:code/timeline', access: 'case.read',
    handler: async (input) => {
      const tl = await caseTimeline(input.env.ctx, input.session!.actor, input.params.code);
      return input.render('case-timeline', { tl });
    },
  },
];
