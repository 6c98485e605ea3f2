/** The statistics endpoint: counts and times per platform and month, no victim data. */
import { z } from 'zod';
import type { RouteDef } from '../http/route.ts';
import { getStats } from './stats.ts';

const statsQuery = z.object({
  from: z.string().min(4).max(40).optional(),
  to: z.string().min(4).max(40).optional(),
  platform: z.string().min(1).max(100).optional(),
  public: z.enum(['true', 'false']).optional(),
}).strict();

export const statsRoutes: RouteDef[] = [
  {
    method: 'GET', url: '/api/v1/stats', summary: 'Takedown statistics per platform and month for a period (`public=true` suppresses cells under 5)', tag: 'stats',
    access: 'stats.read', query: statsQuery,
    handler: async ({ env, actor, query }) => {
      const q = query as z.infer<typeof statsQuery>;
      return getStats(env.ctx, actor!, { ...q, public: q.public === 'true' });
    },
  },
];
