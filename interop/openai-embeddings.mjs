// The official OpenAI client against the gateway's /v1/embeddings: once as the client asks by
// default (base64, which the client decodes), once with encoding_format "float", and once for a
// model that does not exist. Reads {baseURL, apiKey, model, input} as JSON on stdin; prints what
// the client returned, or the error it raised ({status, code, type, message}), as JSON on stdout.
import OpenAI from 'openai';
import fs from 'node:fs';

const request = JSON.parse(fs.readFileSync(0, 'utf8'));
const client = new OpenAI({ baseURL: request.baseURL, apiKey: request.apiKey, maxRetries: 0, timeout: 30000 });

async function outcome(call) {
  try {
    return await call();
  } catch (error) {
    return { error: { status: error.status, code: error.code, type: error.type, message: error.message } };
  }
}

const byDefault = await outcome(() => client.embeddings.create({ model: request.model, input: request.input }));
const asFloats = await outcome(() => client.embeddings.create({
  model: request.model, input: request.input, encoding_format: 'float' }));
const notFound = await outcome(() => client.embeddings.create({ model: 'no-such-model', input: 'hello' }));
process.stdout.write(JSON.stringify({ byDefault, asFloats, notFound }));
