/** What other features (the console) may use of stats: the same functions the endpoint and the verb call. */
export { getStats, parseStatsDate, type StatsQuery } from './stats.ts';
export { statsCsv, type MonthStats, type PlatformStats, type Stats } from './compute.ts';
