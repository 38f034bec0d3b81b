/** Six short job ads (and a cat) with city and wage: a small text collection whose keyword, dense and parsed answers are known. */
export const JOBS = [
  { id: 'warehouse', text: 'Warehouse job paying $15 per hour, forklift certificate a plus', metadata: { city: 'Austin', wage: 15 } },
  { id: 'barista', text: 'Barista at a coffee shop, $14 per hour plus tips', metadata: { city: 'Austin', wage: 14 } },
  { id: 'cook', text: 'Line cook, twelve dollars an hour', metadata: { city: 'Boston', wage: 12 } },
  { id: 'engineer', text: 'Senior engineer, annual salary 150k', metadata: { city: 'Austin', wage: 75 } },
  { id: 'forklift', text: 'Forklift operator wanted, night shift', metadata: { city: 'Boston', wage: 18 } },
  { id: 'cat', text: 'The cat sat on the mat', metadata: { city: 'Paris' } },
];
