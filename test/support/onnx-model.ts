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

const dim = (p: string | number) => (typeof p === 'string' ? { dimParam: p } : { dimValue: p });
const ids = (name: string) => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [dim('batch'), dim('sequence')] } } } });

/** WordPiece vocabulary over the GloVe words and the embedding table (special tokens: zero rows). */
function vocabulary(): { vocab: Record<string, number>; rows: number; table: Float32Array; dim: number } {
  const g = glove();
  const words = g.words.slice(0, VOCAB);
  const vocab: Record<string, number> = {};
  SPECIAL.forEach((t, i) => (vocab[t] = i));
  words.forEach((w, i) => (vocab[w] ??= SPECIAL.length + i));
  const rows = SPECIAL.length + words.length;
  const table = new Float32Array(rows * g.dim);
  words.forEach((_, i) => table.set(g.vectors.subarray(i * g.dim, (i + 1) * g.dim), (SPECIAL.length + i) * g.dim));
  return { vocab, rows, table, dim: g.dim };
}

/** Build the model under `<root>/<TEST_REPO>` unless present; returns the repo directory. */
export function buildTestOnnxModel(root: string): string {
  const dir = join(root, TEST_REPO);
  if (existsSync(join(dir, 'onnx', 'model.onnx'))) return dir;
  const { vocab, rows, table, dim: width } = vocabulary();
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'vectra-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'glove_gather',
      initializer: [{ name: 'embeddings', dataType: onnx.TensorProto.DataType.FLOAT, dims: [rows, width], rawData: new Uint8Array(table.buffer) }],
      node: [{ opType: 'Gather', input: ['embeddings', 'input_ids'], output: ['last_hidden_state'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] }],
      input: [ids('input_ids')],
      output: [{ name: 'last_hidden_state', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [dim('batch'), dim('sequence'), dim(width)] } } } }],
    },
  });
  return writeRepo(root, TEST_REPO, model, { model_type: 'bert', architectures: ['BertModel'], hidden_size: width, vocab_size: rows, max_position_embeddings: 512 }, vocab);
}

/** A Hugging Face–style repo directory: onnx/model.onnx, config.json, the BERT tokenizer files. Written whole, then renamed into place. */
function writeRepo(root: string, repo: string, model: ReturnType<typeof onnx.ModelProto.create>, config: object, vocab: Record<string, number>): string {
  const dir = join(root, repo);
  const tmp = `${dir}.${process.pid}.tmp`;
  mkdirSync(join(tmp, 'onnx'), { recursive: true });
  writeFileSync(join(tmp, 'onnx', 'model.onnx'), onnx.ModelProto.encode(model).finish());
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(config));
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
  mkdirSync(join(root, repo, '..'), { recursive: true });
  renameSync(tmp, dir);
  return dir;
}

export const TEST_RERANKER_REPO = 'vectra-test/glove-cross-20k';

/**
 * A cross-encoder built the same way: the tokenizer pairs query and passage ([CLS] q [SEP]
 * p [SEP], token types 0 and 1), and the graph's `logits` [batch, 1] are the dot product of
 * the summed GloVe vectors of the query's tokens and of the passage's tokens — a score tests
 * can compute on their own (expectedRerankScore).
 */
export function buildTestReranker(root: string): string {
  const dir = join(root, TEST_RERANKER_REPO);
  if (existsSync(join(dir, 'onnx', 'model.onnx'))) return dir;
  const { vocab, rows, table, dim: width } = vocabulary();
  const F = onnx.TensorProto.DataType.FLOAT;
  const I64 = onnx.TensorProto.DataType.INT64;
  const node = (opType: string, input: string[], output: string, attribute: object[] = []) => ({ opType, input, output: [output], attribute });
  const cast = (input: string, output: string) => node('Cast', [input], output, [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: F }]);
  const keep = (k: number) => [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: k }];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'vectra-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'glove_cross',
      initializer: [
        { name: 'embeddings', dataType: F, dims: [rows, width], rawData: new Uint8Array(table.buffer) },
        { name: 'one', dataType: F, dims: [], floatData: [1] },
        { name: 'axis1', dataType: I64, dims: [1], int64Data: [1] },
        { name: 'axis2', dataType: I64, dims: [1], int64Data: [2] },
      ],
      node: [
        node('Gather', ['embeddings', 'input_ids'], 'e', [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
        cast('attention_mask', 'm'),
        cast('token_type_ids', 't'),
        node('Mul', ['m', 't'], 'pm'), // passage tokens
        node('Sub', ['one', 't'], 'nt'),
        node('Mul', ['m', 'nt'], 'qm'), // query tokens
        node('Unsqueeze', ['qm', 'axis2'], 'qm3'),
        node('Unsqueeze', ['pm', 'axis2'], 'pm3'),
        node('Mul', ['e', 'qm3'], 'qe'),
        node('Mul', ['e', 'pm3'], 'pe'),
        node('ReduceSum', ['qe', 'axis1'], 'q', keep(0)),
        node('ReduceSum', ['pe', 'axis1'], 'p', keep(0)),
        node('Mul', ['q', 'p'], 'qp'),
        node('ReduceSum', ['qp', 'axis1'], 'logits', keep(1)),
      ],
      input: [ids('input_ids'), ids('attention_mask'), ids('token_type_ids')],
      output: [{ name: 'logits', type: { tensorType: { elemType: F, shape: { dim: [dim('batch'), dim(1)] } } } }],
    },
  });
  const config = { model_type: 'bert', architectures: ['BertForSequenceClassification'], hidden_size: width, vocab_size: rows, max_position_embeddings: 512, num_labels: 1, id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 } };
  return writeRepo(root, TEST_RERANKER_REPO, model, config, vocab);
}

/** The test cross-encoder's score: dot(Σ query word vectors, Σ passage word vectors), in-vocabulary words only. */
export function expectedRerankScore(query: string, passage: string): number {
  const g = glove();
  const index = new Map(g.words.slice(0, VOCAB).map((w, i) => [w, i]));
  const sum = (text: string) => {
    const out = new Float64Array(g.dim);
    for (const tok of text.toLowerCase().match(/[a-z0-9]+|[^\sa-z0-9]/g) ?? []) {
      const i = index.get(tok);
      if (i !== undefined) for (let d = 0; d < g.dim; d++) out[d] += g.vectors[i * g.dim + d];
    }
    return out;
  };
  const q = sum(query);
  const p = sum(passage);
  return q.reduce((s, x, d) => s + x * p[d], 0);
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
