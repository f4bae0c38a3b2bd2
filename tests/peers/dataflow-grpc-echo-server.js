// The baseline of the `dataflow-grpc` benchmark (bench/ProtocolSim.Benchmarks): a @grpc/grpc-js server (npm) of the same dataflow/Stream method,
// from the same proto, that does none of the mock's work. For each StreamInput with JSON it writes
// <events-per-message> copies of a pre-serialized event (a Start gets one StartResponse instead); audio is read and
// dropped. It prints "listening <port>" once bound to 127.0.0.1:0 and serves until stdin closes. Usage:
//   node dataflow-grpc-echo-server.js <proto> <events-per-message> <event-json>
'use strict';
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [protoPath, perMessage, eventJson] = process.argv.slice(2);
const definition = protoLoader.loadSync(protoPath, { keepCase: true, defaults: false, oneofs: true });
const dataflow = grpc.loadPackageDefinition(definition).dataflow;
const startResponse = JSON.stringify({ MessageName: 'StartResponse', OperationResult: 'Success' });
const count = Number(perMessage);

function stream(call) {
  call.on('data', (input) => {
    if (input.payload !== 'json') return;
    if (input.json.includes('"Start"')) {
      call.write({ json: startResponse });
      return;
    }
    for (let i = 0; i < count; i++) call.write({ json: eventJson });
  });
  call.on('end', () => call.end());
  call.on('error', () => {});
}

const server = new grpc.Server();
server.addService(dataflow.service, { Stream: stream });
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    console.error(error.message);
    process.exit(1);
  }
  console.log(`listening ${port}`);
});
process.stdin.on('end', () => server.forceShutdown());
process.stdin.resume();
