/**
 * Reads the metric names a PromQL expression selects, so tests can check that the dashboard's and
 * the alerting rules' expressions only name metrics the service exposes.
 */
const promqlWords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'inf', 'nan']);

/** Metric names a PromQL expression selects: identifiers that are not functions, keywords, labels or durations. */
export function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const following = stripped.slice(match.index + match[0].length).trimStart();
    if (following.startsWith('(') || promqlWords.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return names;
}
