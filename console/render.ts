/**
 * Templates: eta, escaping by default. Views use `<%= %>` for every value; `<%~ %>` appears only for
 * `it.body` in the layout (a view's own, already escaped, output) - test/console/templates.test.ts
 * keeps it that way.
 */
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

const eta = new Eta({ views: fileURLToPath(new URL('./views/', import.meta.url)), autoEscape: true, cache: true, autoTrim: [false, 'nl'] });

export function renderView(view: string, data: Record<string, unknown>): string {
  return eta.render(view, data);
}
