// Times an ONNX model in ONNX Runtime (npm onnxruntime-node, CPU execution
// provider) for bench/compare_torch_mlp.py.
//
//   node bench/ort_bench.js MODEL.onnx INPUT_NAME FEATURES BATCHES REPS THREADS
//
// BATCHES is a comma-separated list. For each batch the input is a fixed
// uniform [-1, 1) float32 [batch, FEATURES] tensor; the session runs it until
// a sample takes about 0.2 s, REPS samples, and the script prints one JSON
// object {"<batch>": median seconds per run, ...}. Each run is one awaited
// `session.run` (the binding's per-call cost is part of the figure, as the
// Python call is part of PyTorch's). The session: intraOpNumThreads THREADS,
// interOpNumThreads 1, sequential execution, all graph optimizations.
// ONNX Runtime is found in $OPGRAPH_ORT_DIR (scripts/install_deps.sh --ort).
'use strict';
const path = require('path');

const ortDir = process.env.OPGRAPH_ORT_DIR || '/usr/local/lib/opgraph-ort';
const ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function perRun(session, feeds, reps) {
  const time = async (n) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; ++i) await session.run(feeds);
    return Number(process.hrtime.bigint() - t0) * 1e-9;
  };
  await time(20);  // warm-up
  let n = 1;
  let dt = await time(n);
  while (dt < 0.05 && n < (1 << 20)) {
    n *= 4;
    dt = await time(n);
  }
  n = Math.max(1, Math.round(n * 0.2 / Math.max(dt, 1e-9)));
  const samples = [];
  for (let r = 0; r < reps; ++r) samples.push((await time(n)) / n);
  return median(samples);
}

async function main() {
  const [model, inputName, features, batches, reps, threads] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const result = {};
  for (const b of batches.split(',').map(Number)) {
    const data = new Float32Array(b * Number(features));
    let s = 12345;
    for (let i = 0; i < data.length; ++i) {
      s = (s * 1103515245 + 12345) % 2147483648;
      data[i] = (s / 2147483648) * 2 - 1;
    }
    const feeds = {[inputName]: new ort.Tensor('float32', data, [b, Number(features)])};
    result[b] = await perRun(session, feeds, Number(reps));
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  process.stderr.write(`ort_bench.js: ${e.stack || e}\n`);
  process.exit(1);
});
