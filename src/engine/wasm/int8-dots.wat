;; Dot products of one query against many int8 rows, with WebAssembly SIMD: the scan of the
;; records waiting for the graph (src/engine/int8-tail.ts). Assembled by `npm run wasm:generate`
;; into int8-dots.generated.ts; test/engine/int8-tail.test.ts fails when the two differ.
;;
;; dots(rows, n, chunks, query, out): for each of the n rows (each `chunks` × 16 int8 bytes,
;; zero-padded, starting at `rows`), out[i] (i32 at `out` + 4i) = Σ row[j] · query[j], with the
;; query `chunks` × 16 int8 bytes at `query`. Rows go four at a time: up to 3 rows past n are
;; read and their sums written (the caller leaves room for both). Exact integer arithmetic:
;; codes are within ±127, so a pair of products fits an i16 and |Σ| ≤ 127² · 16 · chunks an i32
;; for any dimension below 133,000.
;;
;; quantize(src, n, chunks, dst, l1): n rows of `chunks` × 16 float32 (zero-padded, at `src`) →
;; int8 rows at `dst` (each value × 127, rounded to nearest, clamped to ±127) and each row's
;; Σ|code| as an i32 at `l1` + 4i.
;;
;; select(scores, n, cut, out) → count: the indexes i < n whose i32 scores[i] ≥ cut, written in
;; order as i32s at `out`. Reads scores four at a time: the entries up to the next multiple of 4
;; after n must be present (the caller sets them to the lowest i32).
(module
  (memory (export "memory") 1)
  (func $codes (param $at i32) (result v128)
    (i16x8.narrow_i32x4_s
      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load (local.get $at)) (f32x4.splat (f32.const 127)))))
      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load offset=16 (local.get $at)) (f32x4.splat (f32.const 127)))))))
  (func (export "quantize") (param $src i32) (param $n i32) (param $chunks i32) (param $dst i32) (param $l1 i32)
    (local $i i32) (local $c i32) (local $acc v128) (local $s v128)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $c (i32.const 0))
        (loop $chunk
          (local.set $s
            (i8x16.max_s
              (i8x16.narrow_i16x8_s (call $codes (local.get $src)) (call $codes (i32.add (local.get $src) (i32.const 32))))
              (i8x16.splat (i32.const -127))))
          (v128.store (local.get $dst) (local.get $s))
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (i8x16.abs (local.get $s))))))
          (local.set $src (i32.add (local.get $src) (i32.const 64)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br_if $chunk (i32.lt_u (local.get $c) (local.get $chunks))))
        (i32.store (local.get $l1)
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
        (local.set $l1 (i32.add (local.get $l1) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))
  (func (export "dots") (param $rows i32) (param $n i32) (param $chunks i32) (param $query i32) (param $out i32)
    (local $i i32) (local $c i32) (local $stride i32) (local $r i32) (local $q v128) (local $v v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $x v128) (local $y v128)
    (local.set $stride (i32.shl (local.get $chunks) (i32.const 4)))
    (block $done
      (loop $group
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $c (i32.const 0))
        (loop $chunk
          (local.set $q (v128.load (i32.add (local.get $query) (i32.shl (local.get $c) (i32.const 4)))))
          (local.set $r (i32.add (local.get $rows) (i32.shl (local.get $c) (i32.const 4))))
          (local.set $v (v128.load (local.get $r)))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.extadd_pairwise_i16x8_s
            (i16x8.add (i16x8.extmul_low_i8x16_s (local.get $v) (local.get $q)) (i16x8.extmul_high_i8x16_s (local.get $v) (local.get $q))))))
          (local.set $r (i32.add (local.get $r) (local.get $stride)))
          (local.set $v (v128.load (local.get $r)))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.extadd_pairwise_i16x8_s
            (i16x8.add (i16x8.extmul_low_i8x16_s (local.get $v) (local.get $q)) (i16x8.extmul_high_i8x16_s (local.get $v) (local.get $q))))))
          (local.set $r (i32.add (local.get $r) (local.get $stride)))
          (local.set $v (v128.load (local.get $r)))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.extadd_pairwise_i16x8_s
            (i16x8.add (i16x8.extmul_low_i8x16_s (local.get $v) (local.get $q)) (i16x8.extmul_high_i8x16_s (local.get $v) (local.get $q))))))
          (local.set $r (i32.add (local.get $r) (local.get $stride)))
          (local.set $v (v128.load (local.get $r)))
          (local.set $a3 (i32x4.add (local.get $a3) (i32x4.extadd_pairwise_i16x8_s
            (i16x8.add (i16x8.extmul_low_i8x16_s (local.get $v) (local.get $q)) (i16x8.extmul_high_i8x16_s (local.get $v) (local.get $q))))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br_if $chunk (i32.lt_u (local.get $c) (local.get $chunks))))
        ;; The four rows' sums side by side: x = [a0₀+a0₂, a0₁+a0₃, a1₀+a1₂, a1₁+a1₃], y likewise
        ;; for a2 and a3, then [x₀+x₁, x₂+x₃, y₀+y₁, y₂+y₃].
        (local.set $x (i32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a0) (local.get $a1))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a0) (local.get $a1))))
        (local.set $y (i32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a2) (local.get $a3))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a2) (local.get $a3))))
        (v128.store (local.get $out) (i32x4.add
          (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $x) (local.get $y))
          (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $x) (local.get $y))))
        (local.set $rows (i32.add (local.get $rows) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $group))))
  (func (export "select") (param $scores i32) (param $n i32) (param $cut i32) (param $out i32) (result i32)
    (local $i i32) (local $count i32) (local $m i32) (local $cuts v128)
    (local.set $cuts (i32x4.splat (local.get $cut)))
    (block $done
      (loop $quad
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $m (i32x4.bitmask (i32x4.ge_s (v128.load (local.get $scores)) (local.get $cuts))))
        (if (local.get $m)
          (then
            (if (i32.and (local.get $m) (i32.const 1))
              (then
                (i32.store (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))) (local.get $i))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))))
            (if (i32.and (local.get $m) (i32.const 2))
              (then
                (i32.store (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))) (i32.add (local.get $i) (i32.const 1)))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))))
            (if (i32.and (local.get $m) (i32.const 4))
              (then
                (i32.store (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))) (i32.add (local.get $i) (i32.const 2)))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))))
            (if (i32.and (local.get $m) (i32.const 8))
              (then
                (i32.store (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))) (i32.add (local.get $i) (i32.const 3)))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))))))
        (local.set $scores (i32.add (local.get $scores) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $quad)))
    (local.get $count)))
