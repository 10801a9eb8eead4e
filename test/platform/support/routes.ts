/**
 * The routes of an app as `METHOD /path` strings, read from `app.printRoutes({ commonPrefix: false })`:
 * a tree whose lines are `<indent>├── <segment> (GET, HEAD)`, four characters of indent per level.
 */
export function registeredRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^(.*?)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = [...match[1]!].length / 4;
    const full = (stack[depth - 1] ?? '') + match[2]!;
    stack[depth] = full;
    stack.length = depth + 1;
    for (const method of match[3]?.split(', ') ?? []) routes.push(`${method} ${full}`);
  }
  return routes;
}

/** `/api/v1/sessions/:id/` and `/api/v1/sessions/{id}` name the same route. */
export const normalisePath = (route: string) => route.replace(/:(\w+)/g, '{$1}').replace(/(.)\/$/, '$1');
