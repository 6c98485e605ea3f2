/** The home page: what this role can do here, one card per page it may open. */
import type { PageDef } from '../page.ts';

export const homePages: PageDef[] = [
  {
    method: 'GET', url: '/', access: 'signed-in',
    handler: async (input) => input.render('home', { role: input.session!.actor.role }),
  },
];
