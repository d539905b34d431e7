// Hugging Face's own text pipelines (transformers.js, on ONNX Runtime for Node) over a model
// folder as the platform serves it: the reference the platform's answers are checked against.
// Reads {task, folder, maxLength, texts} as JSON on stdin; task is "text-classification" (prints
// every label's score per text) or "feature-extraction" (prints the pooled, normalised vector per
// text, as sentence-transformers' mean pooling and Normalize make it).
import { env, pipeline } from '@huggingface/transformers';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const request = JSON.parse(fs.readFileSync(0, 'utf8'));

// transformers.js reads <root>/<name>/onnx/model.onnx beside the JSON files; link the folder's
// files there, and give the tokenizer the platform's token limit.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-'));
const model = path.join(root, 'model');
fs.mkdirSync(path.join(model, 'onnx'), { recursive: true });
for (const file of fs.readdirSync(request.folder)) {
  const source = path.join(request.folder, file);
  if (file === 'model.onnx') {
    fs.symlinkSync(source, path.join(model, 'onnx', 'model.onnx'));
  } else if (file !== 'tokenizer_config.json' && fs.statSync(source).isFile()) {
    fs.symlinkSync(source, path.join(model, file));
  }
}
const tokenizerConfigFile = path.join(request.folder, 'tokenizer_config.json');
const tokenizerConfig = fs.existsSync(tokenizerConfigFile) ? JSON.parse(fs.readFileSync(tokenizerConfigFile, 'utf8')) : {};
tokenizerConfig.model_max_length = request.maxLength;
fs.writeFileSync(path.join(model, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));

env.allowRemoteModels = false;
env.localModelPath = root;

const results = [];
try {
  if (request.task === 'text-classification') {
    const classify = await pipeline('text-classification', 'model', { dtype: 'fp32' });
    for (const text of request.texts) {
      const scores = {};
      for (const { label, score } of await classify(text, { top_k: null })) {
        scores[label] = score;
      }
      results.push(scores);
    }
  } else {
    const extract = await pipeline('feature-extraction', 'model', { dtype: 'fp32' });
    for (const text of request.texts) {
      const vector = await extract(text, { pooling: 'mean', normalize: true });
      results.push(Array.from(vector.data));
    }
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(results));
