/**
 * Keeps the k smallest (distance, label) pairs seen: a bounded max-heap on distance.
 * Ties break on the smaller label so results are deterministic.
 */
export class TopK {
  private readonly d: Float64Array;
  private readonly l: Float64Array;
  private n = 0;

  constructor(private readonly k: number) {
    this.d = new Float64Array(k);
    this.l = new Float64Array(k);
  }

  private worse(i: number, j: number): boolean {
    return this.d[i] > this.d[j] || (this.d[i] === this.d[j] && this.l[i] > this.l[j]);
  }

  private swap(i: number, j: number): void {
    const d = this.d[i]; this.d[i] = this.d[j]; this.d[j] = d;
    const l = this.l[i]; this.l[i] = this.l[j]; this.l[j] = l;
  }

  /** Distance a newcomer must beat once the heap is full. */
  bound(): number {
    return this.n < this.k ? Infinity : this.d[0];
  }

  push(distance: number, label: number): void {
    if (this.k === 0) return;
    if (this.n < this.k) {
      let i = this.n++;
      this.d[i] = distance;
      this.l[i] = label;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.worse(i, p)) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    if (distance > this.d[0] || (distance === this.d[0] && label > this.l[0])) return;
    this.d[0] = distance;
    this.l[0] = label;
    let i = 0;
    for (;;) {
      const a = 2 * i + 1;
      const b = a + 1;
      let m = i;
      if (a < this.n && this.worse(a, m)) m = a;
      if (b < this.n && this.worse(b, m)) m = b;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  /** Best first. */
  sorted(): { labels: number[]; distances: number[] } {
    const idx = Array.from({ length: this.n }, (_, i) => i);
    idx.sort((i, j) => this.d[i] - this.d[j] || this.l[i] - this.l[j]);
    return { labels: idx.map((i) => this.l[i]), distances: idx.map((i) => this.d[i]) };
  }
}
