/**
 * Query understanding without an LLM: numeric and date constraints in a search text
 * ("Hourly wage not less than $13", "posted after March 2024", "between 2 and 4 bedrooms")
 * become a metadata filter on the fields they are about, and the rest of the text is what
 * gets searched. Fields are chosen by meaning: the words around a constraint (plus hints
 * from its currency or unit) against each field's name and aliases, with the embedding model.
 */
import { dot } from '../vector/math.js';

export type Op = '$gt' | '$gte' | '$lt' | '$lte';

export interface Constraint {
  /** The words of the query this constraint came from. */
  text: string;
  kind: 'number' | 'date';
  bounds: { op: Op; value: number | string }[];
  /** "hour", "year", … when the text says per what. */
  unit?: string;
  currency?: boolean;
  /** Words around it that say what it is about. */
  context: string[];
}

export interface FieldInfo {
  path: string;
  kind: 'number' | 'date';
}

export interface ParsedQuery {
  /** The text left once constraints are taken out (what is searched). */
  query: string;
  /** The filter made of the matched constraints (null when none matched). */
  filter: Record<string, unknown> | null;
  constraints: { text: string; field: string; filter: Record<string, unknown> }[];
  /** Constraints found but not applied: no field of that kind and meaning. */
  unmatched: { text: string; reason: string }[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = String.raw`(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`;
const DATE = String.raw`(?:\d{4}-\d{2}-\d{2}|\d{4}-\d{2}|${MONTH}\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}(?:st|nd|rd|th)?\s+${MONTH},?\s+\d{4}|${MONTH}\s+\d{4}|(?:19|20)\d{2})`;
const CUR = String.raw`[$€£¥]`;
const NUM = String.raw`${CUR}?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s?(?:k|m|bn|thousand|million|billion)\b)?(?:\s?(?:dollars?|usd|euros?|eur|pounds?|gbp|bucks)\b)?`;
const UNIT = String.raw`(?:\s*(?:per|an?|/|each|every)\s*(?:hour|hr|h|year|yr|annum|month|mo|week|wk|day)\b)?`;

const GTE = String.raw`at\s+least|not\s+less\s+than|no\s+less\s+than|not\s+fewer\s+than|no\s+fewer\s+than|minimum(?:\s+of)?|min\.?|starting\s+(?:at|from)|upwards\s+of|>=|≥`;
const GT = String.raw`more\s+than|greater\s+than|higher\s+than|bigger\s+than|larger\s+than|over|above|exceeding|in\s+excess\s+of|>`;
const LTE = String.raw`at\s+most|no\s+more\s+than|not\s+more\s+than|up\s+to|maximum(?:\s+of)?|max\.?|not\s+exceeding|no\s+higher\s+than|<=|≤`;
const LT = String.raw`less\s+than|fewer\s+than|lower\s+than|cheaper\s+than|smaller\s+than|under|below|<`;
const POST_GTE = String.raw`or\s+(?:more|above|higher|greater|over)|and\s+(?:up|above|over)|\+`;
const POST_LTE = String.raw`or\s+(?:less|fewer|below|under|lower)|and\s+(?:under|below)`;
const D_GTE = String.raw`since|on\s+or\s+after|from`;
const D_GT = String.raw`after|later\s+than|newer\s+than`;
const D_LTE = String.raw`until|till|through|on\s+or\s+before|no\s+later\s+than|by`;
const D_LT = String.raw`before|earlier\s+than|prior\s+to|older\s+than`;

interface Pattern {
  re: RegExp;
  kind: 'number' | 'date';
  make: (m: RegExpExecArray) => { op: Op; raw: string }[];
}

const g = (src: string) => new RegExp(src, 'giu');
// Order matters: ranges before single bounds, dates before numbers (a year is both).
const PATTERNS: Pattern[] = [
  { kind: 'date', re: g(String.raw`\bbetween\s+(${DATE})\s+and\s+(${DATE})`), make: (m) => [{ op: '$gte', raw: m[1] }, { op: '$lte', raw: m[2] }] },
  { kind: 'date', re: g(String.raw`\bfrom\s+(${DATE})\s+(?:to|until|till|through)\s+(${DATE})`), make: (m) => [{ op: '$gte', raw: m[1] }, { op: '$lte', raw: m[2] }] },
  { kind: 'number', re: g(String.raw`\bbetween\s+(${NUM})\s+and\s+(${NUM})${UNIT}`), make: (m) => [{ op: '$gte', raw: m[1] }, { op: '$lte', raw: m[2] }] },
  { kind: 'number', re: g(String.raw`\bfrom\s+(${NUM})\s+to\s+(${NUM})${UNIT}`), make: (m) => [{ op: '$gte', raw: m[1] }, { op: '$lte', raw: m[2] }] },
  { kind: 'date', re: g(String.raw`\b(${D_GTE})\s+(${DATE})\b`), make: (m) => [{ op: '$gte', raw: m[2] }] },
  { kind: 'date', re: g(String.raw`\b(${D_GT})\s+(${DATE})\b`), make: (m) => [{ op: '$gt', raw: m[2] }] },
  { kind: 'date', re: g(String.raw`\b(${D_LTE})\s+(${DATE})\b`), make: (m) => [{ op: '$lte', raw: m[2] }] },
  { kind: 'date', re: g(String.raw`\b(${D_LT})\s+(${DATE})\b`), make: (m) => [{ op: '$lt', raw: m[2] }] },
  { kind: 'number', re: g(String.raw`(?<![\w,.-])(${CUR}?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:k|m)?)\s?(?:-|–|to)\s?(${NUM})(?![-\d])${UNIT}`), make: (m) => [{ op: '$gte', raw: m[1] }, { op: '$lte', raw: m[2] }] },
  { kind: 'number', re: g(String.raw`(?:\b|(?=[<>≤≥]))(${GTE})\s*(${NUM})${UNIT}`), make: (m) => [{ op: '$gte', raw: m[2] }] },
  { kind: 'number', re: g(String.raw`(?:\b|(?=[<>≤≥]))(${LTE})\s*(${NUM})${UNIT}`), make: (m) => [{ op: '$lte', raw: m[2] }] },
  { kind: 'number', re: g(String.raw`(?:\b|(?=[<>≤≥]))(${GT})\s*(${NUM})${UNIT}`), make: (m) => [{ op: '$gt', raw: m[2] }] },
  { kind: 'number', re: g(String.raw`(?:\b|(?=[<>≤≥]))(${LT})\s*(${NUM})${UNIT}`), make: (m) => [{ op: '$lt', raw: m[2] }] },
  { kind: 'number', re: g(String.raw`(?<![\w.])(${NUM})${UNIT}((?:\s+\p{L}+){0,3}?)\s*(${POST_GTE})(?!\w)`), make: (m) => [{ op: '$gte', raw: m[1] }] },
  { kind: 'number', re: g(String.raw`(?<![\w.])(${NUM})${UNIT}((?:\s+\p{L}+){0,3}?)\s*(${POST_LTE})\b`), make: (m) => [{ op: '$lte', raw: m[1] }] },
];

/** "$1,500.50" → 1500.5; "150k" → 150000; "2.5 million" → 2500000. */
export function parseNumber(raw: string): number | null {
  const m = /(\d[\d,]*(?:\.\d+)?)\s?(k|m|bn|thousand|million|billion)?/iu.exec(raw);
  if (!m) return null;
  const n = Number(m[1].replace(/,/g, ''));
  const mult = { k: 1e3, thousand: 1e3, m: 1e6, million: 1e6, bn: 1e9, billion: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number.isFinite(n) ? n * mult : null;
}

/** A date as an ISO prefix and its granularity: "March 2024" → "2024-03", "2024" → "2024". */
export function parseDate(raw: string): { iso: string; next: string } | null {
  const s = raw.toLowerCase().replace(/[.,]/g, ' ').replace(/(\d)(st|nd|rd|th)\b/g, '$1').trim();
  const pad = (n: number) => String(n).padStart(2, '0');
  // An unknown month word gives -1: rejected below.
  const month = (w: string) => (MONTHS.includes(w.slice(0, 3)) ? MONTHS.indexOf(w.slice(0, 3)) + 1 : -1);
  let y: number;
  let mo = 0;
  let d = 0;
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(s))) [y, mo, d] = [Number(m[1]), Number(m[2]), m[3] ? Number(m[3]) : 0];
  else if ((m = /^([a-z]+)\s+(\d{1,2})\s+(\d{4})$/.exec(s))) [y, mo, d] = [Number(m[3]), month(m[1]), Number(m[2])];
  else if ((m = /^(\d{1,2})\s+([a-z]+)\s+(\d{4})$/.exec(s))) [y, mo, d] = [Number(m[3]), month(m[2]), Number(m[1])];
  else if ((m = /^([a-z]+)\s+(\d{4})$/.exec(s))) [y, mo] = [Number(m[2]), month(m[1])];
  else if ((m = /^(\d{4})$/.exec(s))) y = Number(m[1]);
  else return null;
  if (mo < 0 || mo > 12 || d < 0 || d > 31 || (d > 0 && mo === 0)) return null;
  if (d > 0) {
    const next = new Date(Date.UTC(y, mo - 1, d + 1));
    return { iso: `${y}-${pad(mo)}-${pad(d)}`, next: next.toISOString().slice(0, 10) };
  }
  if (mo > 0) return { iso: `${y}-${pad(mo)}`, next: mo === 12 ? `${y + 1}-01` : `${y}-${pad(mo + 1)}` };
  return { iso: String(y), next: String(y + 1) };
}

const STOP = new Set('a an the and or of for with in on at to by is are be that which who whose than my me i we our any some all jobs job find show give want need looking search get paying pays per each every'.split(' '));
const UNITS: Record<string, string> = { hour: 'hour', hr: 'hour', h: 'hour', year: 'year', yr: 'year', annum: 'year', month: 'month', mo: 'month', week: 'week', wk: 'week', day: 'day' };

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}]+/gu) ?? [];
}

/** Words of a constraint's own text that say nothing about which field it is on. */
const SYNTAX = new Set(
  ('at least not less than no fewer minimum min starting from upwards more greater higher bigger larger over above exceeding in excess of most up to maximum max ' +
    'under below cheaper smaller lower or and between since after before until till through prior earlier later newer older on by k m bn thousand million billion ' +
    'dollar dollars usd euro euros eur pound pounds gbp bucks per an a each every hour hr h year yr annum month mo week wk day ' +
    'january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec st nd rd th').split(' '),
);

export interface FoundConstraint extends Constraint {
  start: number;
  end: number;
}

/** Constraints in `text`, in order, with the spans they cover. */
export function extractConstraints(text: string): FoundConstraint[] {
  const found: FoundConstraint[] = [];
  const free = (s: number, e: number) => found.every((c) => e <= c.start || s >= c.end);
  for (const p of PATTERNS) {
    p.re.lastIndex = 0;
    for (let m = p.re.exec(text); m; m = p.re.exec(text)) {
      const start = m.index;
      const end = m.index + m[0].length;
      if (!free(start, end)) continue;
      const bounds: Constraint['bounds'] = [];
      let ok = true;
      for (const b of p.make(m)) {
        if (p.kind === 'date') {
          const d = parseDate(b.raw);
          if (!d) ok = false;
          // ISO strings compare as text: the bounds are prefixes at the date's own granularity.
          else if (b.op === '$gte') bounds.push({ op: '$gte', value: d.iso });
          else if (b.op === '$gt') bounds.push({ op: '$gte', value: d.next });
          else if (b.op === '$lte') bounds.push({ op: '$lt', value: d.next });
          else bounds.push({ op: '$lt', value: d.iso });
        } else {
          const n = parseNumber(b.raw);
          if (n === null) ok = false;
          else bounds.push({ op: b.op, value: n });
        }
      }
      if (!ok) continue;
      const unitWord = /(?:per|an?|\/|each|every)\s*(hour|hr|h|year|yr|annum|month|mo|week|wk|day)\b/iu.exec(m[0])?.[1]?.toLowerCase();
      found.push({
        text: m[0].trim(), kind: p.kind, bounds, start, end,
        // Words inside the match that are not its syntax ("3 years experience or less").
        context: words(m[0]).filter((w) => !SYNTAX.has(w) && !STOP.has(w)),
        unit: unitWord ? UNITS[unitWord] : undefined,
        currency: /[$€£¥]|dollar|usd|euro|eur|pound|gbp|buck/iu.test(m[0]),
      });
    }
  }
  found.sort((a, b) => a.start - b.start);
  // Context: up to three content words on each side, not crossing another constraint.
  found.forEach((c, i) => {
    const before = words(text.slice(i > 0 ? found[i - 1].end : 0, c.start)).filter((w) => !STOP.has(w)).slice(-3);
    const after = words(text.slice(c.end, i + 1 < found.length ? found[i + 1].start : text.length)).filter((w) => !STOP.has(w)).slice(0, 3);
    c.context = [...c.context, ...after, ...before];
  });
  return found;
}

const DANGLING = new Set('with that which is are of and or for paying costing priced at from posted published dated made built released created'.split(' '));

/** `text` without the spans, tidied: no dangling connectives at the end ("wage that is", "jobs with"). */
export function textWithout(text: string, spans: { start: number; end: number }[]): string {
  let rest = '';
  let at = 0;
  for (const c of [...spans].sort((a, b) => a.start - b.start)) {
    rest += `${text.slice(at, c.start)} `;
    at = c.end;
  }
  rest += text.slice(at);
  rest = rest.replace(/\s+/g, ' ').replace(/(?: (?:of|with|at|that|is|for))? ([,;:])/giu, '$1').replace(/^[\s,;:.-]+/u, '');
  // Trailing punctuation, without an end-anchored regex (quadratic on long runs of it).
  let end = rest.length;
  while (end > 0 && ' ,;:.-'.includes(rest[end - 1])) end--;
  rest = rest.slice(0, end);
  // Drop trailing connectives word by word (a regex over repeated alternatives backtracks quadratically).
  const words = rest.split(' ');
  while (words.length > 0 && DANGLING.has(words[words.length - 1].toLowerCase())) words.pop();
  return words.join(' ').trim();
}

/** Field name → words: "hourly_wage" / "hourlyWage" / "job.wage" → "hourly wage". */
export function fieldWords(path: string): string {
  return path.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[._\-]+/g, ' ').toLowerCase().trim();
}

export type Embed = (texts: string[]) => Promise<Float32Array[]>;

/** The model that compares field names with query words; the threshold below is set for it. */
export const FIELD_NAMER_MODEL = 'glove-100d-v2';
/** How alike a constraint's context must be to a field's name to apply the constraint to it. */
export const FIELD_MATCH_THRESHOLD = 0.3;

/**
 * Parse `text` against the collection's fields. `aliases` maps a field to other names for it
 * ("wage": ["pay", "hourly rate"]); a word of the context naming a field or an alias wins
 * outright, otherwise the closest name by embedding above FIELD_MATCH_THRESHOLD.
 */
export async function parseQuery(text: string, fields: FieldInfo[], embed: Embed, aliases: Record<string, string[]> = {}): Promise<ParsedQuery> {
  const constraints = extractConstraints(text);
  const out: ParsedQuery = { query: text.trim(), filter: null, constraints: [], unmatched: [] };
  if (constraints.length === 0) return out;
  const applied: { start: number; end: number }[] = [];
  // Own keys only: a field named "constructor" or "__proto__" has no alias inherited from Object.prototype.
  const names = fields.map((f) => [fieldWords(f.path), ...(Object.hasOwn(aliases, f.path) ? aliases[f.path] : []).map((a) => a.toLowerCase())]);
  const hints = (c: Constraint) => [
    ...(c.currency ? ['price', 'cost', 'pay'] : []),
    ...(c.unit === 'hour' ? ['hourly', 'wage', 'rate'] : c.unit === 'year' ? ['annual', 'salary'] : c.unit ? [c.unit] : []),
    ...(c.kind === 'date' ? ['date', 'year', 'time'] : []),
  ];
  const contexts = constraints.map((c) => [...c.context, ...hints(c)].join(' ') || c.text);
  const vectors = await embed([...names.flat(), ...contexts]);
  const nameVectors: Float32Array[][] = [];
  let at = 0;
  for (const n of names) {
    nameVectors.push(vectors.slice(at, at + n.length));
    at += n.length;
  }
  const filters: Record<string, unknown>[] = [];
  constraints.forEach((c, i) => {
    const ctx = vectors[at + i];
    const said = ` ${c.context.join(' ')} `;
    let best = -1;
    let bestScore = -Infinity;
    fields.forEach((f, j) => {
      const yearAsNumber = c.kind === 'date' && f.kind === 'number' && c.bounds.every((b) => /^\d{4}$/.test(String(b.value)));
      if (f.kind !== c.kind && !yearAsNumber) return;
      // Named outright (the field's words or an alias appear around the constraint)…
      const named = names[j].some((n) => n.length > 0 && said.includes(` ${n} `)) || names[j].some((n) => n.split(' ').every((w) => said.includes(` ${w} `)));
      // …or close in meaning.
      // A date field beats a number field for a year (a tie of evidence goes to the date).
      const score = (named ? 2 : Math.max(...nameVectors[j].map((v) => dot(v, ctx)))) - (yearAsNumber ? 0.01 : 0);
      if (score > bestScore) {
        bestScore = score;
        best = j;
      }
    });
    if (best < 0) {
      out.unmatched.push({ text: c.text, reason: `no ${c.kind === 'date' ? 'date' : 'numeric'} field in this collection` });
      return;
    }
    if (bestScore < FIELD_MATCH_THRESHOLD) {
      out.unmatched.push({ text: c.text, reason: `no field close enough in meaning (best: "${fields[best].path}"); name one in the query or add an alias` });
      return;
    }
    const field = fields[best];
    // A bare year against a numeric field (year: 2015) compares as a number.
    const numericYear = c.kind === 'date' && field.kind === 'number';
    const cond: Record<string, number | string> = {};
    for (const b of c.bounds) {
      if (!numericYear) cond[b.op] = b.value;
      else {
        const y = Number(b.value);
        // The date bounds were made exclusive/inclusive for ISO prefixes: map back to whole years.
        cond[b.op] = y;
      }
    }
    const f = { [field.path]: cond };
    out.constraints.push({ text: c.text, field: field.path, filter: f });
    filters.push(f);
    // Words right after it that name the field ("3 bedrooms", "5 years of experience") belong to it.
    const own = new Set([...names[best].flatMap((n) => n.split(' ')), 'of']);
    let end = c.end;
    for (let m = /^\s*(\p{L}+)/u.exec(text.slice(end)); m && own.has(m[1].toLowerCase()); m = /^\s*(\p{L}+)/u.exec(text.slice(end))) end += m[0].length;
    applied.push({ start: c.start, end });
  });
  out.query = textWithout(text, applied);
  out.filter = filters.length === 0 ? null : filters.length === 1 ? filters[0] : { $and: filters };
  return out;
}
