// Annotations shared by both dashboards: the gate's decisions and the registry's production flips,
// from their audit tables (schemas/clickhouse/000010, 000011). Grafana maps the columns time, title,
// text and tags onto the annotation.
import { AnnotationQueryBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE } from './clickhouse.ts';
import { CANDIDATE, DB, MODEL, type QueryCollector } from './spec.ts';

const COLUMNS = ['time', 'title', 'text', 'tags'];

export function auditAnnotations(q: QueryCollector): AnnotationQueryBuilder[] {
  return [
    new AnnotationQueryBuilder()
      .name('Gate decisions')
      .datasource(DATASOURCE)
      .enable(true)
      .iconColor('blue')
      .target(
        q.annotation(
          'Gate decisions',
          `SELECT
    decided_at AS time,
    concat('Gate ', decision, ': ', model, ' ', candidate_version) AS title,
    arrayStringConcat(reasons, '; ') AS text,
    concat('gate,', decision) AS tags
FROM ${DB}.gate_decisions
WHERE model = ${MODEL} AND candidate_version = ${CANDIDATE} AND $__timeFilter(decided_at)
ORDER BY time`,
          COLUMNS,
        ),
      ),
    new AnnotationQueryBuilder()
      .name('Promotions and rollbacks')
      .datasource(DATASOURCE)
      .enable(true)
      .iconColor('purple')
      .target(
        q.annotation(
          'Promotions and rollbacks',
          `SELECT
    at AS time,
    concat(action, ' ', model, ': ', if(from_version = '', '(none)', from_version), ' -> ', to_version) AS title,
    concat(reason, ' (by ', actor, ')') AS text,
    concat('registry,', action) AS tags
FROM ${DB}.promotions
WHERE model = ${MODEL} AND $__timeFilter(at)
ORDER BY time`,
          COLUMNS,
        ),
      ),
  ];
}
