// The official OpenAI client against the gateway's /v1/embeddings: once as the client asks by
// default (base64, which the client decodes), once with encoding_format "float", and once for a
// model that does not exist. Reads {baseURL, apiKey, model, input} as JSON on stdin; prints what
// the client returned as JSON on stdout.
import OpenAI from 'openai';

const request = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (chunk) => { text += chunk; });
  process.stdin.on('end', () => resolve(text));
}));
const client = new OpenAI({ baseURL: request.baseURL, apiKey: request.apiKey, maxRetries: 0, timeout: 30000 });

const byDefault = await client.embeddings.create({ model: request.model, input: request.input });
const asFloats = await client.embeddings.create({ model: request.model, input: request.input, encoding_format: 'float' });
let notFound;
try {
  await client.embeddings.create({ model: 'no-such-model', input: 'hello' });
  notFound = { status: 200 };
} catch (error) {
  notFound = { status: error.status, code: error.code, type: error.type, message: error.message };
}
process.stdout.write(JSON.stringify({ byDefault, asFloats, notFound }));
