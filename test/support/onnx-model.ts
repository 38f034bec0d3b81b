/**
 * A real ONNX sentence model the project builds itself (no hub download possible here): a
 * BERT-style tokenizer.json (WordPiece over the 20,000 most frequent GloVe words) and an
 * ONNX graph whose output `last_hidden_state` is Gather(GloVe rows, input_ids). Run through
 * transformers.js with mean pooling and normalization, a text's vector is therefore the
 * normalized mean of its words' GloVe vectors — which tests can compute independently.
 * Laid out as a Hugging Face repo: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { glove } from './glove.js';

const { onnx } = onnxProto;
export const TEST_REPO = 'vectra-test/glove-gather-20k';
export const VOCAB = 20000;
const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'];

/** Build the model under `<root>/<TEST_REPO>` unless present; returns the repo directory. */
export function buildTestOnnxModel(root: string): string {
  const dir = join(root, TEST_REPO);
  if (existsSync(join(dir, 'onnx', 'model.onnx'))) return dir;
  const g = glove();
  const words = g.words.slice(0, VOCAB);
  const vocab: Record<string, number> = {};
  SPECIAL.forEach((t, i) => (vocab[t] = i));
  words.forEach((w, i) => (vocab[w] ??= SPECIAL.length + i));
  const rows = SPECIAL.length + words.length;
  const table = new Float32Array(rows * g.dim); // special tokens: zero rows
  words.forEach((_, i) => table.set(g.vectors.subarray(i * g.dim, (i + 1) * g.dim), (SPECIAL.length + i) * g.dim));

  const dim = (p: string | number) => (typeof p === 'string' ? { dimParam: p } : { dimValue: p });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'vectra-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'glove_gather',
      initializer: [{ name: 'embeddings', dataType: onnx.TensorProto.DataType.FLOAT, dims: [rows, g.dim], rawData: new Uint8Array(table.buffer) }],
      node: [{ opType: 'Gather', input: ['embeddings', 'input_ids'], output: ['last_hidden_state'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] }],
      input: [{ name: 'input_ids', type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [dim('batch'), dim('sequence')] } } } }],
      output: [{ name: 'last_hidden_state', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [dim('batch'), dim('sequence'), dim(g.dim)] } } } }],
    },
  });
  const tmp = `${dir}.${process.pid}.tmp`;
  mkdirSync(join(tmp, 'onnx'), { recursive: true });
  writeFileSync(join(tmp, 'onnx', 'model.onnx'), onnx.ModelProto.encode(model).finish());
  writeFileSync(join(tmp, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], hidden_size: g.dim, vocab_size: rows, max_position_embeddings: 512 }));
  writeFileSync(join(tmp, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 512, cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]' }));
  const special = (t: string) => ({ id: vocab[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  writeFileSync(
    join(tmp, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: SPECIAL.map(special),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
        pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
        special_tokens: { '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] } },
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
    }),
  );
  mkdirSync(join(root, TEST_REPO, '..'), { recursive: true });
  renameSync(tmp, dir);
  return dir;
}

/** What the model must answer for `text`: the normalized mean of its in-vocabulary words' vectors. */
export function expectedVector(text: string): Float32Array {
  const g = glove();
  const out = new Float32Array(g.dim);
  const index = new Map(g.words.slice(0, VOCAB).map((w, i) => [w, i]));
  for (const tok of text.toLowerCase().match(/[a-z0-9]+|[^\sa-z0-9]/g) ?? []) {
    const i = index.get(tok);
    if (i !== undefined) for (let d = 0; d < g.dim; d++) out[d] += g.vectors[i * g.dim + d];
  }
  const n = Math.hypot(...out);
  return out.map((x) => x / n);
}
