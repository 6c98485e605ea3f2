/**
 * Unknown console addresses get the console's own "not found" page, in the person's language, with the
 * navigation when they are signed in - not the API's JSON. A catch-all route (every real page and the
 * API's routes are more specific, so they win); unknown /api/ addresses still answer the API's JSON.
 */
import { NotFoundError } from '../../services/platform/errors.ts';
import type { PageDef } from '../page.ts';

export const notFoundPages: PageDef[] = [
  {
    method: 'GET', url: '/*', access: 'public',
    handler: async (input) => {
      const path = input.req.url.split('?')[0];
      if (path.startsWith('/api/')) {
        return input.reply.status(404).send({ error: { code: 'not_found', message: 'There is no such endpoint; see /openapi.json.', requestId: input.req.id } });
      }
      throw new NotFoundError('There is no console page at this address.');
    },
  },
];
