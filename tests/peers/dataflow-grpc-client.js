// A Data Flow gRPC client built on the real @grpc/grpc-js and @grpc/proto-loader (npm), from the mock's proto:
// the interop check of the mock's hand-written gRPC framing. Usage:
//   node dataflow-grpc-client.js <proto> <host:port> <start-json> <audio-chunks> [deadline-ms]
// After StartResponse it sends <audio-chunks> chunks of silence and Finalize (a negative count: nothing, so a deadline ends it).
// Prints one line per StreamOutput ("json <text>" or "audio <bytes>"), then "status <code> <details>".
'use strict';
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [protoPath, address, startJson, chunks, deadlineMs] = process.argv.slice(2);
const definition = protoLoader.loadSync(protoPath, { keepCase: true, defaults: false, oneofs: true });
const dataflow = grpc.loadPackageDefinition(definition).dataflow;
const client = new dataflow(address, grpc.credentials.createInsecure());
const options = deadlineMs ? { deadline: new Date(Date.now() + Number(deadlineMs)) } : {};
const call = client.Stream(options);
let finalized = false;

call.on('data', (output) => {
  if (output.payload === "json") {
    console.log('json ' + output.json);
    if (!finalized && Number(chunks) >= 0 && output.json.includes('"StartResponse"')) {
      for (let i = 0; i < Number(chunks); i++) {
        call.write({ audio: Buffer.alloc(320) });
      }
      call.write({ json: '{"MessageName":"Finalize"}' });
      finalized = true;
    }
    if (output.json.includes('"FinalResult"')) {
      call.end();
    }
  } else {
    console.log('audio ' + (output.audio ? output.audio.length : 0));
  }
});
call.on('status', (status) => {
  console.log('status ' + status.code + ' ' + status.details);
  client.close();
});
call.on('error', () => { /* the status line says it */ });
call.write({ json: startJson });
