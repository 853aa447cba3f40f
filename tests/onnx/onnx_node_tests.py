#!/usr/bin/env python3
"""ONNX's own backend node tests, run through `opgraph run MODEL.onnx`.

Generates the test data with Debian's python3-onnx (what
`python3 -m onnx.backend.test.cmd_tools generate-data -o DIR` writes) into
the work directory, converts each test's ONNX tensors to .npy with
onnx.numpy_helper, runs every node test whose nodes all have a supported
op_type (chosen by op_type, never by the test's name), and compares every
output with ONNX's own tolerances (rtol 1e-3, atol 1e-7). Prints one line per
test that did not pass, then "N passed, N failed, N skipped" and the reason of
each skip. Tests listed in EXCLUDED are skipped with their reason, which
docs/ONNX.md repeats.

Exit status: 0 when nothing failed, 1 otherwise, 77 (a ctest skip) when
python3-onnx or NumPy is missing.

Usage: onnx_node_tests.py --cli build/tools/opgraph --work build/tests/onnx
"""
import argparse
import os
import subprocess
import sys
import warnings

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as e:
    print("onnx_node_tests: skipped: %s (install python3-onnx and python3-numpy: "
          "scripts/install_deps.sh)" % e)
    sys.exit(77)

# The op_types onnx_import/nodes.cc and gemm_node.cc map (docs/ONNX.md).
SUPPORTED = {"Constant", "Dropout", "Gemm", "Identity", "Relu", "Selu", "Sigmoid", "Softmax", "Tanh"}
# Element-wise unary nodes (onnx_import/unary_nodes.cc).
SUPPORTED |= {"Abs", "Elu", "Exp", "LeakyRelu", "Log", "Neg", "Sqrt"}
# The broadcasting binary operators (onnx_import/binary_nodes.cc).
SUPPORTED |= {"Add", "Div", "MatMul", "Mul", "Sub"}
SUPPORTED |= {"Cast", "Concat", "Flatten", "LogSoftmax", "Reshape", "Transpose"}

# Node tests of supported op_types that opgraph refuses on purpose, with why
# (docs/ONNX.md lists the same). Each was seen to fail with the import's
# refusal, never with a wrong result.
EXCLUDED = {
    # opgraph's Add, Sub, Mul, Div take float32, float64, int32 and int64.
    "test_add_uint8": "uint8 operands (Add takes float32, float64, int32, int64)",
    "test_sub_uint8": "uint8 operands (Sub takes float32, float64, int32, int64)",
    "test_mul_uint8": "uint8 operands (Mul takes float32, float64, int32, int64)",
    "test_div_uint8": "uint8 operands (Div takes float32, float64, int32, int64)",
    # Dropout runs for inference only.
    "test_training_dropout": "Dropout with training_mode given as a graph input",
    "test_training_dropout_default": "Dropout with training_mode given as a graph input",
    "test_training_dropout_default_mask": "Dropout with training_mode given as a graph input",
    "test_training_dropout_mask": "Dropout with training_mode given as a graph input",
    "test_training_dropout_zero_ratio": "Dropout with training_mode given as a graph input",
    "test_training_dropout_zero_ratio_mask": "Dropout with training_mode given as a graph input",
}
# Cast between types opgraph tensors do not hold.
for _t in ("BFLOAT16_to_FLOAT", "DOUBLE_to_FLOAT16", "FLOAT16_to_DOUBLE", "FLOAT16_to_FLOAT",
           "FLOAT_to_BFLOAT16", "FLOAT_to_FLOAT16", "FLOAT_to_STRING", "STRING_to_FLOAT"):
    EXCLUDED["test_cast_" + _t] = "Cast to or from float16, bfloat16 or string (no such DType)"
    EXCLUDED["test_castlike_%s_expanded" % _t] = EXCLUDED["test_cast_" + _t]
EXCLUDED["test_reshape_allowzero_reordered"] = (
    "Reshape with allowzero = 1 and a 0 in the shape: opgraph's Reshape copies the input dim "
    "for a 0, as Caffe2's")

# opgraph imports opsets 7 to 17. A node test written at an older opset (Selu's
# are at 6, its latest since-version) is first converted to opset 7 with
# ONNX's own version converter, and the run says so.
MIN_OPSET = 7

RTOL = 1e-3
ATOL = 1e-7


def restore_numpy_aliases():
    """generate-data still uses the aliases NumPy 1.24 removed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, value in (("float", float), ("int", int), ("bool", bool), ("object", object),
                            ("str", str), ("complex", complex)):
            if name not in np.__dict__:
                setattr(np, name, value)


def generate(data_dir):
    stamp = os.path.join(data_dir, "onnx_version")
    if os.path.exists(stamp) and open(stamp).read() == onnx.__version__:
        return
    restore_numpy_aliases()
    from onnx.backend.test import cmd_tools
    cmd_tools.generate_data(argparse.Namespace(output=data_dir, op_type=None))
    with open(stamp, "w") as f:
        f.write(onnx.__version__)


def read_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def default_opset(model):
    return max([o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] or [0])


def run_case(cli, case_dir, work_dir):
    """None when the case passed, else why it failed."""
    model_path = os.path.join(case_dir, "model.onnx")
    model = onnx.load(model_path)
    if default_opset(model) < MIN_OPSET:
        from onnx import version_converter
        model = version_converter.convert_version(model, MIN_OPSET)
        model_path = os.path.join(work_dir, "model.onnx")
        onnx.save(model, model_path)
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in initializers]
    outputs = [o.name for o in model.graph.output]
    sets = sorted(d for d in os.listdir(case_dir) if d.startswith("test_data_set_"))
    for s in sets:
        set_dir = os.path.join(case_dir, s)
        args = [cli, "run", model_path]
        n_in = len([f for f in os.listdir(set_dir) if f.startswith("input_")])
        if n_in != len(inputs):
            return "%s: %d input files for %d graph inputs" % (s, n_in, len(inputs))
        for j, name in enumerate(inputs):
            npy = os.path.join(work_dir, "input_%d.npy" % j)
            np.save(npy, read_tensor(os.path.join(set_dir, "input_%d.pb" % j)))
            args += ["--input", "%s=%s" % (name, npy)]
        got_paths = []
        for j, name in enumerate(outputs):
            got_paths.append(os.path.join(work_dir, "output_%d.npy" % j))
            args += ["--output", "%s=%s" % (name, got_paths[-1])]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            return "%s: opgraph run exited %d: %s" % (s, r.returncode, r.stderr.strip())
        for j, name in enumerate(outputs):
            want = read_tensor(os.path.join(set_dir, "output_%d.pb" % j))
            got = np.load(got_paths[j])
            if got.shape != want.shape or got.dtype != want.dtype:
                return "%s: output '%s' is %s%s, expected %s%s" % (
                    s, name, got.dtype, list(got.shape), want.dtype, list(want.shape))
            try:
                np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
            except AssertionError as e:
                return "%s: output '%s': %s" % (s, name, str(e).strip().replace("\n", " "))
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", required=True, help="the opgraph binary")
    parser.add_argument("--work", required=True, help="where to generate data and run")
    parser.add_argument("--verbose", action="store_true", help="list passed tests too")
    args = parser.parse_args()
    data_dir = os.path.join(args.work, "onnx_backend_data")
    generate(data_dir)
    node_dir = os.path.join(data_dir, "node")
    run_dir = os.path.join(args.work, "onnx_node_run")
    os.makedirs(run_dir, exist_ok=True)

    passed, failed, skipped = [], [], []
    for name in sorted(os.listdir(node_dir)):
        case_dir = os.path.join(node_dir, name)
        model = onnx.load(os.path.join(case_dir, "model.onnx"))
        unsupported = sorted({n.op_type for n in model.graph.node} - SUPPORTED)
        if unsupported:
            skipped.append((name, "op_type %s not supported" % ", ".join(unsupported)))
            continue
        values = list(model.graph.input) + list(model.graph.output)
        if any(not v.type.HasField("tensor_type") for v in values):
            # opgraph's blobs are tensors; the import refuses the others.
            skipped.append((name, "excluded: a graph input or output that is not a tensor "
                                  "(sequence or optional)"))
            continue
        if name in EXCLUDED:
            skipped.append((name, "excluded: " + EXCLUDED[name]))
            continue
        why = run_case(args.cli, case_dir, run_dir)
        if why is None:
            passed.append(name)
            if args.verbose or default_opset(model) < MIN_OPSET:
                note = ""
                if default_opset(model) < MIN_OPSET:
                    note = " (opset %d converted to %d by onnx.version_converter)" % (
                        default_opset(model), MIN_OPSET)
                print("PASS %s%s" % (name, note))
        else:
            failed.append((name, why))
            print("FAIL %s: %s" % (name, why))
    # The excluded ones last, just above the summary.
    for name, why in sorted(skipped, key=lambda s: not s[1].startswith("op_type")):
        print("SKIP %s: %s" % (name, why))
    n_unsupported = sum(1 for _, why in skipped if why.startswith("op_type"))
    print("%d passed, %d failed, %d skipped (%d use op_types opgraph does not import; "
          "%d excluded, listed above)" % (len(passed), len(failed), len(skipped), n_unsupported,
                                          len(skipped) - n_unsupported))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
