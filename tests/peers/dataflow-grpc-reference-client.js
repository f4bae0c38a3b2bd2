// The conforming Data Flow gRPC reference client in Node.js, on the real @grpc/grpc-js and @grpc/proto-loader (npm),
// with stubs built from grpcDataFlow.proto (DFG-008). It follows the PROTOSIM_* client task contract (README: "The
// Data Flow suite"), so it runs as a --client-command:
//   protosim run features/dataflow --client-command "node tests/peers/dataflow-grpc-reference-client.js"
// Per session: a token by client credentials (reused, DFA-006), one Stream call over TLS with the task's CA
// (DFG-002, DFG-003), the Start JSON first (DFG-004), StartResponse awaited (DFW-005), the WAV's samples raw in 100 ms
// chunks, the task's event/Update/Stop half-way, Finalize, read to FinalResult, half-close, read the status (DFG-006).
// TTS fragments are decoded and saved as tts-N.wav in PROTOSIM_OUTPUT_DIR (DFW-031, DFW-032).
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const START_TIMEOUT_MS = 12000;
const RESPONSE_TIMEOUT_MS = 10000;
const FINAL_RESULT_TIMEOUT_MS = 30000;

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

// ------------------------------------------------------------------ WAV and G.711

function readWav(file) {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error('PROTOSIM_AUDIO is not a WAV file');
  let format = null;
  let data = null;
  for (let i = 12; i + 8 <= b.length;) {
    const id = b.toString('ascii', i, i + 4);
    const size = b.readUInt32LE(i + 4);
    const body = b.subarray(i + 8, Math.min(b.length, i + 8 + size));
    if (id === 'fmt ') format = { tag: body.readUInt16LE(0), channels: body.readUInt16LE(2), rate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    if (id === 'data') data = body;
    i += 8 + size + (size & 1);
  }
  if (!format || !data) throw new Error('PROTOSIM_AUDIO has no fmt or data chunk');
  const encoding = format.tag === 1 && format.bits === 16 ? 'pcm' : format.tag === 7 ? 'ulaw' : format.tag === 6 ? 'alaw' : null;
  if (!encoding || (format.channels !== 1 && format.channels !== 2)) throw new Error('PROTOSIM_AUDIO is not mono or stereo PCM16, mu-law or A-law');
  return { encoding, rate: format.rate, channels: format.channels, data };
}

function ulawToLinear(u) {
  u = ~u & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

function alawToLinear(a) {
  a ^= 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

function pcm16Wav(samples, rate) {
  const header = Buffer.alloc(44);
  const bytes = samples.length * 2;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + bytes, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(bytes, 40);
  const body = Buffer.alloc(bytes);
  samples.forEach((s, i) => body.writeInt16LE(Math.max(-32768, Math.min(32767, s)), i * 2));
  return Buffer.concat([header, body]);
}

/** DFW-032: a WAV header only when HasWaveHeader is true or absent; samples per Audio.Output.Encoding. */
function decodeFragment(raw, hasHeader, encoding) {
  if (hasHeader && raw.length >= 12 && raw.toString('ascii', 0, 4) === 'RIFF') {
    for (let i = 12; i + 8 <= raw.length;) {
      const size = raw.readUInt32LE(i + 4);
      if (raw.toString('ascii', i, i + 4) === 'data') { raw = raw.subarray(i + 8, i + 8 + size); break; }
      i += 8 + size + (size & 1);
    }
  }
  if (encoding === 'ulaw') return Array.from(raw, ulawToLinear);
  if (encoding === 'alaw') return Array.from(raw, alawToLinear);
  const samples = [];
  for (let i = 0; i + 1 < raw.length; i += 2) samples.push(raw.readInt16LE(i));
  return samples;
}

// ------------------------------------------------------------------ the task

const task = {
  name: need('PROTOSIM_TASK'),
  grpcUrl: new URL(need('PROTOSIM_DATAFLOW_GRPC_URL')),
  ca: process.env.PROTOSIM_DATAFLOW_GRPC_CA ? fs.readFileSync(process.env.PROTOSIM_DATAFLOW_GRPC_CA) : null,
  identityUrl: need('PROTOSIM_IDENTITY_URL'),
  clientId: need('PROTOSIM_CLIENT_ID'),
  clientSecret: need('PROTOSIM_CLIENT_SECRET'),
  tenant: need('PROTOSIM_TENANT'),
  project: need('PROTOSIM_PROJECT'),
  audio: readWav(need('PROTOSIM_AUDIO')),
  outputDir: process.env.PROTOSIM_OUTPUT_DIR || null,
  outputEncoding: process.env.PROTOSIM_OUTPUT_ENCODING || 'pcm',
  eventText: process.env.PROTOSIM_EVENT_TEXT || 'Hello from the client',
  updateParameters: process.env.PROTOSIM_UPDATE_PARAMETERS ? JSON.parse(process.env.PROTOSIM_UPDATE_PARAMETERS) : { Punctuation: true },
  sessions: Number(process.env.PROTOSIM_SESSIONS || '1'),
};
if (!['stream-audio', 'stream-and-stop', 'send-event', 'update-settings'].includes(task.name)) throw new Error(`PROTOSIM_TASK "${task.name}" is not a Data Flow task`);

const definition = protoLoader.loadSync(path.join(__dirname, '..', '..', 'fixtures', 'dataflow', 'grpcDataFlow.proto'), { keepCase: true, defaults: false, oneofs: true });
const Dataflow = grpc.loadPackageDefinition(definition).dataflow;
let fragments = 0;
let token = null;

/** DFA-001/002/006: client credentials, scope Wagtail, one token while it is valid. */
async function getToken() {
  if (token && Date.now() < token.expires) return token.value;
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: task.clientId, client_secret: task.clientSecret, scope: 'Wagtail' });
  const response = await fetch(task.identityUrl, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const json = await response.json();
  if (!response.ok || !json.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(json)}`);
  const lifetime = Number(json.expires_in || 3600);
  token = { value: json.access_token, expires: Date.now() + (lifetime - Math.min(60, lifetime / 10)) * 1000 };
  console.log(`token obtained (expires in ${lifetime} s)`);
  return token.value;
}

/** One session: a Stream call and a queue of its StreamOutput messages. */
class Session {
  constructor(number) {
    this.number = number;
    this.queue = [];
    this.waiters = [];
    this.ended = false;
    this.finalResult = false;
    this.fragment = null;
    this.fragmentHeader = true;
    this.stopRequested = false;
    // DFG-003: TLS, the server certificate validated against the task's CA (and the host name).
    const credentials = grpc.credentials.createSsl(task.ca);
    this.client = new Dataflow(`${task.grpcUrl.hostname}:${task.grpcUrl.port || 443}`, credentials);
    this.call = this.client.Stream();
    this.status = new Promise((resolve) => this.call.on('status', resolve));
    this.call.on('data', (output) => this.push(output));
    this.call.on('end', () => { this.ended = true; this.wake(); });
    this.call.on('error', (error) => { console.log(`call error: ${error.code} ${error.details}`); this.ended = true; this.wake(); });
  }

  push(output) { this.queue.push(output); this.wake(); }

  wake() { for (const w of this.waiters.splice(0)) w(); }

  /** The next StreamOutput, or null at the end of the call or after the timeout. */
  async next(timeoutMs) {
    const until = Date.now() + timeoutMs;
    while (this.queue.length === 0 && !this.ended && Date.now() < until) {
      await new Promise((resolve) => { this.waiters.push(resolve); setTimeout(resolve, Math.max(1, until - Date.now())); });
    }
    return this.queue.shift() || null;
  }

  async write(message) {
    if (this.ended) throw new Error('the call has ended');
    if (!this.call.write(message)) {
      // Backpressure: wait for the buffer to drain, or for the call to end (an error would never drain).
      await new Promise((resolve) => {
        this.call.once('drain', resolve);
        this.waiters.push(resolve);
      });
      if (this.ended) throw new Error('the call has ended');
    }
  }

  sendJson(object) { return this.write({ json: JSON.stringify(object) }); }

  /** DFG-005, DFW-025: classify StreamOutput JSON by top-level member; responses go to the caller. */
  handle(output) {
    if (output.payload === 'audio') {
      if (this.fragment) this.fragment.push(output.audio);
      return null;
    }
    let json;
    try { json = JSON.parse(output.json); } catch { return null; }
    if (json.Event) {
      const name = json.Event.Name;
      if (name === 'Start Of TTS Fragment') {
        this.fragment = [];
        const header = json.Event.Data ? json.Event.Data.HasWaveHeader : undefined;
        this.fragmentHeader = header === undefined || header === null || header === true;
      } else if (name === 'End Of TTS Fragment' && this.fragment) {
        this.saveFragment(Buffer.concat(this.fragment));
        this.fragment = null;
      } else if (name === 'FinalResult') {
        this.finalResult = true;
      }
      return null;
    }
    if (json.Incident) { console.log(`incident ${json.Incident.Level}: ${json.Incident.Message}`); return null; }
    if (json.MessageName === 'Incident') { console.log(`incident ${json.IncidentLevel}: ${json.Message}`); return null; }
    return json.MessageName ? json : null;
  }

  saveFragment(raw) {
    if (!task.outputDir) return;
    const samples = decodeFragment(raw, this.fragmentHeader, task.outputEncoding);
    fs.writeFileSync(path.join(task.outputDir, `tts-${++fragments}.wav`), pcm16Wav(samples, task.audio.rate));
  }

  /** Handles what arrives until the named response; null on timeout or the end of the call. */
  async waitFor(name, timeoutMs) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const output = await this.next(until - Date.now());
      if (!output) return null;
      const response = this.handle(output);
      if (response && response.MessageName === name) return response;
    }
  }

  drain() {
    while (this.queue.length > 0) this.handle(this.queue.shift());
  }

  start(accessToken) {
    const settings = { Punctuation: true };
    if (task.audio.channels === 2) settings.ChannelTags = ['agent', 'customer'];
    return {
      MessageName: 'Start',
      ProjectName: task.project,
      Tenant: task.tenant,
      Token: accessToken,
      Audio: { Encoding: task.audio.encoding, SampleRate: task.audio.rate, ChannelCount: task.audio.channels, Output: { Encoding: task.outputEncoding } },
      Language: 'en-US',
      Settings: settings,
      CallProperties: { ExternalId: `protosim-node-call-${this.number}`, Direction: 1, CallStartTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    };
  }

  async run(accessToken) {
    await this.sendJson(this.start(accessToken));
    const started = await this.waitFor('StartResponse', START_TIMEOUT_MS);
    if (!started || started.OperationResult !== 'Success') {
      // DFW-006, DFW-023: anything but Success means the session did not start.
      console.log(`StartResponse ${started ? started.OperationResult : 'none'}: the session did not start`);
      return false;
    }

    // 100 ms chunks of whole sample frames (DFW-009, DFW-010), raw (DFW-007).
    const frameBytes = (task.audio.encoding === 'pcm' ? 2 : 1) * task.audio.channels;
    const chunkBytes = frameBytes * Math.floor(task.audio.rate / 10);
    const chunks = [];
    for (let i = 0; i < task.audio.data.length; i += chunkBytes) chunks.push(task.audio.data.subarray(i, Math.min(task.audio.data.length, i + chunkBytes)));
    const half = Math.floor(chunks.length / 2);
    let stop = false;
    for (let i = 0; i < chunks.length && !this.stopRequested; i++) {
      if (i === half) {
        if (task.name === 'send-event') {
          await this.sendJson({ Event: { Name: 'Client Text', Channel: 0, StartMsec: -1, EndMsec: -1, GroupId: '', Tags: [], Data: { Text: task.eventText } } });
        } else if (task.name === 'update-settings') {
          await this.sendJson({ MessageName: 'Update', Parameters: task.updateParameters });
          const updated = await this.waitFor('UpdateResponse', RESPONSE_TIMEOUT_MS);
          console.log(`UpdateResponse ${updated ? updated.OperationResult : 'none'}`);
        } else if (task.name === 'stream-and-stop') {
          stop = true;
          break;
        }
      }
      await this.write({ audio: chunks[i] });
      this.drain();
    }

    // DFW-016/018: Finalize after the last audio (or Stop), then read until FinalResult.
    const name = stop ? 'Stop' : 'Finalize';
    await this.sendJson({ MessageName: name });
    const response = await this.waitFor(`${name}Response`, RESPONSE_TIMEOUT_MS);
    const result = response ? response.OperationResult : 'none';
    if (result === 'NoActiveOperation') {
      console.log(`${name}Response NoActiveOperation: the session is over`);
      return true;
    }
    if (result !== 'Success' && result !== 'Busy') {
      console.log(`${name}Response ${result}`);
      return false;
    }
    const until = Date.now() + FINAL_RESULT_TIMEOUT_MS;
    while (!this.finalResult) {
      const output = await this.next(until - Date.now());
      if (!output) break;
      this.handle(output);
    }
    console.log(this.finalResult ? `FinalResult after ${name}; ${fragments} TTS fragment(s) saved` : 'no FinalResult');
    return this.finalResult;
  }

  /** DFG-006: half-close, then read to the end of the call and its status. */
  async close() {
    this.call.end();
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 5000));
    while (!this.ended) {
      const output = await this.next(5000);
      if (!output) break;
      this.handle(output);
    }
    const status = await Promise.race([this.status, timeout]);
    console.log(status ? `call ended: status ${status.code} ${status.details}` : 'no status within 5 s');
    this.client.close();
  }
}

async function main() {
  let ok = true;
  for (let i = 1; i <= task.sessions; i++) {
    const accessToken = await getToken();
    const session = new Session(i);
    try {
      ok = (await session.run(accessToken)) && ok;
    } finally {
      await session.close();
    }
  }
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => { console.log(`error: ${error.message}`); process.exit(1); });
