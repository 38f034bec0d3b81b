/**
 * An explained search (`explain: true`, docs/insights.md "Explain and replay"): the plan and
 * why, a timeline of the stages (a lane per side of a hybrid search, a colour per stage, widths
 * proportional to time; SVG attributes only, nothing the CSP's style-src would block), each
 * stage's figures, the filter's selectivity, a widening walk's rounds, the graph's work, the total.
 */
import type { PlanExplain, SearchExplain as Explain } from '../lib/types';
import { ms, segmentTitle, stageColour, timeline } from '../lib/timeline';

const BAR_HEIGHT = 26;
/** Below this share of the width a segment's name would not fit: its title and the table say it. */
const LABEL_MIN_PCT = 6;
/** Below this share, not on a phone either (styles.css hides `.narrow` labels there). */
const LABEL_PHONE_PCT = 18;
const LANE_NAMES: Record<string, string> = { dense: 'Dense', keyword: 'Keyword', shared: 'Both', search: 'Search' };
const SIDE_NAMES: Record<string, string> = { dense: 'Dense side', keyword: 'Keyword side' };

const n = (x: number) => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;

/** A share in %, with the digits a small one needs. */
function percent(share: number): string {
  const p = share * 100;
  return `${p >= 1 || p === 0 ? Number(p.toFixed(2)) : Number(p.toPrecision(2))} %`;
}

export function SearchExplain({ explain }: { explain: Explain }) {
  const { lanes } = timeline(explain);
  const hybrid = explain.stages.some((s) => s.side !== undefined);
  const sides = Object.entries(explain.sides ?? {}).filter((e): e is [string, PlanExplain] => e[1] !== undefined);
  return (
    <section aria-labelledby="explain-h" className="explain" data-testid="explain">
      <h2 id="explain-h">Explanation</h2>
      <p data-testid="explain-reason">
        <strong>Plan {explain.plan}</strong>: {explain.reason}
      </p>
      <div className="timeline" data-testid="timeline">
        {lanes.map((lane) => (
          <div className="lane" key={lane.name} data-lane={lane.name}>
            <span className="lane-name">{LANE_NAMES[lane.name] ?? lane.name}</span>
            <svg className="lane-bar" width="100%" height={BAR_HEIGHT} role="img" aria-label={`${LANE_NAMES[lane.name] ?? lane.name}: ${lane.segments.map(segmentTitle).join('; ')}`}>
              <rect className="track" x="0" y="0" width="100%" height={BAR_HEIGHT} />
              {lane.segments.map((s) => (
                // A nested svg is a viewport: the stage's name is clipped to its segment.
                <svg key={s.stage} x={`${s.startPct}%`} y="0" width={`${s.widthPct}%`} height={BAR_HEIGHT} data-stage={s.stage} data-width={s.widthPct}>
                  <title>{segmentTitle(s)}</title>
                  <rect x="0" y="0" width="100%" height={BAR_HEIGHT} fill={stageColour(s.stage)} className="segment" />
                  {s.widthPct >= LABEL_MIN_PCT && (
                    <text x="50%" y={BAR_HEIGHT / 2} dominantBaseline="central" textAnchor="middle" className={s.widthPct < LABEL_PHONE_PCT ? 'segment-label narrow' : 'segment-label'}>
                      {s.stage}
                    </text>
                  )}
                </svg>
              ))}
            </svg>
          </div>
        ))}
        <div className="lane axis" aria-hidden="true">
          <span />
          <span className="axis-labels">
            <span>0</span>
            <span>{ms(explain.total_ms)}</span>
          </span>
        </div>
      </div>
      <div className="table-wrap explain-table">
        <table data-testid="stages">
          <caption>Stages in the order they first ran: time summed over every run, candidates passed on the last time</caption>
          <thead>
            <tr>
              <th scope="col">{hybrid ? 'Stage, side' : 'Stage'}</th>
              <th scope="col" className="num">Time</th>
              <th scope="col" className="num">Of total</th>
              <th scope="col" className="num">Candidates</th>
            </tr>
          </thead>
          <tbody>
            {explain.stages.map((s) => (
              <tr key={`${s.stage}/${s.side ?? ''}`} data-stage={s.stage} data-side={s.side}>
                <th scope="row">
                  <svg className="swatch" width="12" height="12" aria-hidden="true">
                    <rect width="12" height="12" rx="2" fill={stageColour(s.stage)} />
                  </svg>{' '}
                  {s.stage}
                  {hybrid && <span className="stage-side muted"> {s.side ?? 'both'}</span>}
                </th>
                <td className="num">{ms(s.ms)}</td>
                <td className="num">{explain.total_ms > 0 ? percent(s.ms / explain.total_ms) : '—'}</td>
                <td className="num">{s.candidates === undefined ? '—' : n(s.candidates)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <PlanFacts plan={explain} />
      {sides.map(([side, p]) => (
        <div key={side} className="card explain-side" data-side={side}>
          <h3>
            {SIDE_NAMES[side] ?? side}: plan {p.plan}
          </h3>
          <p>{p.reason}</p>
          <PlanFacts plan={p} />
        </div>
      ))}
      <p className="explain-total" data-testid="explain-total">
        <strong>Total {ms(explain.total_ms)}</strong>, from the request reaching the search service to this explanation.
      </p>
    </section>
  );
}

/** A plan's figures: the filter's selectivity, the widening rounds, the graph's work, notes. */
function PlanFacts({ plan }: { plan: PlanExplain }) {
  const { filter, rounds, graph, notes } = plan;
  const atLeast = filter && !filter.exact ? '≥ ' : '';
  return (
    <>
      {filter && (
        <p data-testid="explain-filter">
          <strong>Filter selectivity</strong>: {atLeast}
          {n(filter.matches)} of {plural(filter.total, 'record')} match ({atLeast}
          {percent(filter.selectivity)}){filter.exact ? ', counted exactly' : `: counting stopped at ${n(filter.matches)}, one past the threshold`}. Threshold {n(filter.threshold)}, by the rule{' '}
          <code>{filter.rule}</code>: up to it the matches are scanned exactly, above it the graph is walked.
        </p>
      )}
      {rounds && rounds.length > 0 && (
        <div className="table-wrap explain-table">
          <table data-testid="explain-rounds">
            <caption>Widening rounds of the filtered graph walk (checked and passed: so far)</caption>
            <thead>
              <tr>
                <th scope="col" className="num">Round</th>
                <th scope="col" className="num">Breadth</th>
                <th scope="col" className="num">Found</th>
                <th scope="col" className="num">Checked</th>
                <th scope="col" className="num">Passed</th>
              </tr>
            </thead>
            <tbody>
              {rounds.map((r, i) => (
                <tr key={i}>
                  <td className="num">{i + 1}</td>
                  <td className="num">{n(r.breadth)}</td>
                  <td className="num">{n(r.found)}</td>
                  <td className="num">{n(r.checked)}</td>
                  <td className="num">{n(r.passed)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {graph && (
        <p data-testid="explain-graph">
          <strong>Graph</strong>: {plural(graph.searches, 'search', 'searches')}, the last {n(graph.breadth)} wide (ef), returning {plural(graph.returned, 'candidate')}.{' '}
          {graph.visited === null ? (
            <>Nodes visited and distances computed: not known. {graph.note}.</>
          ) : (
            <>
              {plural(graph.visited, 'node')} visited{graph.distances === null ? '' : `, ${plural(graph.distances, 'distance')} computed`}.
            </>
          )}
        </p>
      )}
      {notes && notes.length > 0 && (
        <ul className="compact" data-testid="explain-notes">
          {notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </>
  );
}
