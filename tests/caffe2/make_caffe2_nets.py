#!/usr/bin/env python3
"""Writes tests/caffe2/nets/: nets built exactly as Caffe2 Python writes them.

Caffe2 is not installed here, so each NetDef is built by hand with the
protobuf module generated from proto/opgraph.proto (wire-compatible with
caffe2.proto), following the Caffe2 code path named in each function:
argument encoding as caffe2.python.utils.MakeArgument (bool and int -> i,
float -> f, str -> s, lists -> ints/floats/strings), arguments sorted by
name and None dropped as core.CreateOperator does, brew's arg_scope merged
into every helper's keyword arguments. Expected outputs are computed with
numpy (float64, rounded to float32 at the end) and written as .npy.

Run from the repository root:  python3 tests/caffe2/make_caffe2_nets.py
(needs python3-numpy, python3-protobuf and protoc).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "caffe2", "nets")


def load_proto_module():
    tmp = tempfile.mkdtemp()
    subprocess.check_call(["protoc", "--python_out=" + tmp, "-I", os.path.join(ROOT, "proto"),
                           os.path.join(ROOT, "proto", "opgraph.proto")])
    sys.path.insert(0, tmp)
    import opgraph_pb2  # noqa: E402
    return opgraph_pb2


pb = load_proto_module()
from google.protobuf import text_format  # noqa: E402


def make_argument(key, value):
    """caffe2.python.utils.MakeArgument for the value types used here."""
    a = pb.Argument()
    a.name = key
    if isinstance(value, (bool, int, np.integer)):
        a.i = int(value)
    elif isinstance(value, (float, np.floating)):
        a.f = float(value)
    elif isinstance(value, str):
        a.s = value.encode()
    elif isinstance(value, bytes):
        a.s = value
    elif isinstance(value, np.ndarray):
        return make_argument(key, value.ravel().tolist())
    elif all(isinstance(v, (bool, int, np.integer)) for v in value):
        a.ints.extend(int(v) for v in value)
    elif all(isinstance(v, (float, np.floating)) for v in value):
        a.floats.extend(float(v) for v in value)
    elif all(isinstance(v, bytes) for v in value):
        a.strings.extend(value)
    else:
        raise ValueError("unsupported argument %s=%r" % (key, value))
    return a


def create_operator(op_type, inputs, outputs, **kwargs):
    """core.CreateOperator: arguments sorted by name, None values dropped."""
    op = pb.OperatorDef()
    op.type = op_type
    op.input.extend(inputs)
    op.output.extend(outputs)
    for key, value in sorted(kwargs.items()):
        if value is not None:
            op.arg.extend([make_argument(key, value)])
    return op


def net(name, ops, external_input=(), external_output=(), net_type=None):
    n = pb.NetDef()
    n.name = name
    n.op.extend(ops)
    n.external_input.extend(external_input)
    n.external_output.extend(external_output)
    if net_type is not None:
        n.type = net_type
    return n


def write_net(n, stem):
    with open(os.path.join(OUT, stem + ".pb"), "wb") as f:
        f.write(n.SerializeToString(deterministic=True))
    with open(os.path.join(OUT, stem + ".pbtxt"), "w") as f:
        f.write(text_format.MessageToString(n))


def save(name, array):
    np.save(os.path.join(OUT, name + ".npy"), array)


# ModelHelper(arg_scope=...) as CNNModelHelper builds it (order, use_cudnn,
# cudnn_exhaustive_search, ws_nbytes_limit), plus exhaustive_search; brew
# merges it into every helper's kwargs (brew.scope_wrapper).
ARG_SCOPE = {"order": "NCHW", "use_cudnn": True, "cudnn_exhaustive_search": False,
             "ws_nbytes_limit": 64 * 1024 * 1024, "exhaustive_search": False}


def brew_fc(blob_in, blob_out, **kwargs):
    """brew.fc -> helpers/fc.py _FC_or_packed_FC: op FC([in, w, b], out, **kwargs)."""
    merged = dict(ARG_SCOPE)
    merged.update(kwargs)
    return create_operator("FC", [blob_in, blob_out + "_w", blob_out + "_b"], [blob_out], **merged)


def fc_params(blob_out, dim_in, dim_out, weight_init="XavierFill"):
    """model.create_param for brew.fc's defaults: weight_init ('XavierFill', {})
    (or 'MSRAFill'), bias_init ('ConstantFill', {}), shapes [dim_out, dim_in] and
    [dim_out]."""
    return [create_operator(weight_init, [], [blob_out + "_w"], shape=[dim_out, dim_in]),
            create_operator("ConstantFill", [], [blob_out + "_b"], shape=[dim_out])]


def given_tensor_fill(name, array):
    """predictor/mobile_exporter.add_tensor: the fill for the array's dtype,
    shape and values as arguments (uint8 as one byte string)."""
    kind = {np.dtype("float32"): "GivenTensorFill", np.dtype("int32"): "GivenTensorIntFill",
            np.dtype("int64"): "GivenTensorInt64Fill",
            np.dtype("uint8"): "GivenTensorByteStringToUInt8Fill",
            np.dtype("O"): "GivenTensorStringFill"}[array.dtype]
    if array.dtype == np.dtype("O"):
        # add_tensor asserts that every element of an object array is bytes.
        assert all(isinstance(v, bytes) for v in array)
    values = [array.tobytes()] if array.dtype == np.uint8 else array.ravel().tolist()
    op = pb.OperatorDef()
    op.type = kind
    op.output.append(name)
    op.arg.extend([make_argument("shape", list(array.shape)), make_argument("values", values)])
    return op


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def mlp_arg_scope(rng):
    """brew MLP, brew.fc -> brew.fc -> brew.softmax, under the ModelHelper
    arg_scope; weights as mobile_exporter.Export writes them
    (GivenTensor*Fill)."""
    w1 = rng.uniform(-1, 1, (8, 4)).astype(np.float32)
    b1 = rng.uniform(-1, 1, 8).astype(np.float32)
    w2 = rng.uniform(-1, 1, (3, 8)).astype(np.float32)
    b2 = rng.uniform(-1, 1, 3).astype(np.float32)
    data = rng.uniform(-1, 1, (5, 4)).astype(np.float32)
    init = net("mlp_init", [given_tensor_fill("fc1_w", w1), given_tensor_fill("fc1_b", b1),
                            given_tensor_fill("fc2_w", w2), given_tensor_fill("fc2_b", b2)])
    predict = net("mlp", [brew_fc("data", "fc1"),
                          brew_fc("fc1", "fc2", float16_compute=False),
                          create_operator("Softmax", ["fc2"], ["prob"], **ARG_SCOPE)],
                  external_input=["data", "fc1_w", "fc1_b", "fc2_w", "fc2_b"],
                  external_output=["prob"])
    write_net(init, "mlp_init")
    write_net(predict, "mlp_predict")
    save("mlp_data", data)
    h = data.astype(np.float64) @ w1.T + b1
    logits = h @ w2.T + b2
    save("mlp_prob", softmax(logits).astype(np.float32))
    return predict


def xavier_msra_init():
    """model.param_init_net of brew.fc twice: XavierFill then MSRAFill
    (weight_init=('MSRAFill', {})), ConstantFill biases; the net's
    device_option carries a random_seed (core.DeviceOption(CPU, random_seed=7)
    copied into Proto().device_option)."""
    ops = fc_params("fc1", 300, 100) + fc_params("fc2", 100, 200, weight_init="MSRAFill")
    init = net("param_init", ops)
    init.device_option.device_type = 0
    init.device_option.random_seed = 7
    write_net(init, "xavier_msra_init")


def train_step(rng):
    """One SGD step of FC + SoftmaxWithLoss with per-sample weights:
    net.AddGradientOperators([loss]) (gradient seed ConstantFill(loss,
    value=1.0), SoftmaxWithLossGradient([fc, label, weight, softmax,
    loss_grad]), FCGradient -> w_grad, b_grad, data_grad) and
    optimizer.build_sgd's in-place WeightedSum([p, ONE, p_grad, LR], [p]),
    with LR a ConstantFill blob of -lr (the LearningRate operator is not
    part of opgraph)."""
    lr = 0.1
    w = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    b = rng.uniform(-1, 1, 3).astype(np.float32)
    data = rng.uniform(-1, 1, (6, 4)).astype(np.float32)
    label = np.array([0, 2, 1, 1, 0, 2], np.int32)
    weight = np.array([1.0, 0.5, 2.0, 1.0, 0.0, 1.5], np.float32)
    init = net("train_init", [given_tensor_fill("fc_w", w), given_tensor_fill("fc_b", b),
                              create_operator("ConstantFill", [], ["ONE"], shape=[1], value=1.0),
                              create_operator("ConstantFill", [], ["LR"], shape=[1], value=-lr)])
    ops = [brew_fc("data", "fc"),
           create_operator("SoftmaxWithLoss", ["fc", "label", "weight"], ["softmax", "loss"],
                           **ARG_SCOPE)]
    seed = create_operator("ConstantFill", ["loss"], ["loss_grad"], value=1.0)
    seed.is_gradient_op = True
    grads = [seed]
    g = create_operator("SoftmaxWithLossGradient",
                        ["fc", "label", "weight", "softmax", "loss_grad"], ["fc_grad"],
                        **ARG_SCOPE)
    g.is_gradient_op = True
    grads.append(g)
    g = create_operator("FCGradient", ["data", "fc_w", "fc_grad"],
                        ["fc_w_grad", "fc_b_grad", "data_grad"], **ARG_SCOPE)
    g.is_gradient_op = True
    grads.append(g)
    sgd = [create_operator("WeightedSum", [p, "ONE", p + "_grad", "LR"], [p])
           for p in ("fc_w", "fc_b")]
    train = net("train", ops + grads + sgd,
                external_input=["data", "label", "weight", "fc_w", "fc_b", "ONE", "LR"],
                external_output=["loss", "fc_w", "fc_b"])
    write_net(init, "train_init")
    write_net(train, "train_step")
    save("train_data", data)
    save("train_label", label)
    save("train_weight", weight)
    x = data.astype(np.float64)
    logits = x @ w.T.astype(np.float64) + b
    p = softmax(logits)
    ce = -np.log(p[np.arange(6), label])
    loss = (weight * ce).sum() / weight.sum()
    dlogits = weight[:, None] / weight.sum() * (p - np.eye(3)[label])
    w_new = w - lr * (dlogits.T @ x)
    b_new = b - lr * dlogits.sum(axis=0)
    save("train_loss", np.array(loss, np.float32))
    save("train_fc_w", w_new.astype(np.float32))
    save("train_fc_b", b_new.astype(np.float32))


def net_types(predict):
    """The MLP predict net with each net type Caffe2 accepts and remaps
    (core/net.cc: dag, prof_dag, async_dag, async_polling -> async_scheduling;
    async_simple, rnn -> simple) and 'parallel'."""
    for t in ("prof_dag", "async_polling", "rnn", "parallel", "async_scheduling"):
        n = pb.NetDef()
        n.CopyFrom(predict)
        n.type = t
        n.num_workers = 4
        write_net(n, "mlp_predict_" + t)


def saved_tensors(rng):
    """Tensor files as Caffe2 serializes blobs: a BlobProto of type 'Tensor'
    (SerializeBlob) and a TensorProtos holding several named tensors
    (utils.NumpyArrayToCaffe2Tensor per blob)."""
    data = rng.uniform(-1, 1, (5, 4)).astype(np.float32)
    save("blob_data", data)
    t = pb.TensorProto()
    t.dims.extend(data.shape)
    t.data_type = pb.TensorProto.FLOAT
    t.float_data.extend(data.ravel().tolist())
    t.name = "data"
    blob = pb.BlobProto()
    blob.name = "data"
    blob.type = "Tensor"
    blob.tensor.CopyFrom(t)
    with open(os.path.join(OUT, "data_blob.pb"), "wb") as f:
        f.write(blob.SerializeToString(deterministic=True))
    many = pb.TensorProtos()
    many.protos.extend([t])
    lab = pb.TensorProto()
    lab.dims.append(5)
    lab.data_type = pb.TensorProto.INT32
    lab.int32_data.extend([0, 1, 2, 0, 1])
    lab.name = "label"
    many.protos.extend([lab])
    with open(os.path.join(OUT, "data_label_protos.pb"), "wb") as f:
        f.write(many.SerializeToString(deterministic=True))


def misc():
    """Arguments and messages Caffe2 writes that older opgraph refused:
    ConstantFill value as i (brew.iter / BuildUniqueMutexIter write
    ConstantFill(shape=[1], value=0, dtype=INT64)), a uint8 blob from
    mobile_exporter, a NetDef with partition_info and an Argument with
    qtensors (parse only), and a text net with the old cuda_gpu_id name."""
    u8 = np.array([[0, 7, 255], [128, 1, 2]], np.uint8)
    save("u8", u8)
    ops = [create_operator("ConstantFill", [], ["iter"], shape=[1], value=0,
                           dtype=pb.TensorProto.INT64),
           create_operator("ConstantFill", [], ["zeros_i"], shape=[2], value=0),
           given_tensor_fill("u8", u8)]
    n = net("misc_init", ops)
    part = n.partition_info.add()
    part.name = "p0"
    part.device_id.extend([0])
    q = n.arg.add()
    q.name = "quantized"
    qt = q.qtensors.add()
    qt.dims.extend([2])
    qt.precision = 8
    qt.scale = 0.5
    qt.bias = 0.0
    qt.is_signed = False
    qt.data.extend([1, 2])
    write_net(n, "misc_init")
    with open(os.path.join(OUT, "old_device_name.pbtxt"), "w") as f:
        f.write('name: "old"\nop { type: "ConstantFill" output: "y" '
                'arg { name: "shape" ints: 1 }\n'
                '  device_option { device_type: 0 cuda_gpu_id: 0 } }\n')


def mobile_export_strings():
    """predictor/mobile_exporter.Export of a model whose params hold a string
    blob (an object array of bytes: class names for post-processing), a
    uint8 blob and a float weight: add_tensor writes GivenTensorStringFill,
    GivenTensorByteStringToUInt8Fill and GivenTensorFill (arguments shape then
    values, in that order, as add_tensor passes arg=[...]), and the net's
    input gets Export's placeholder GivenTensorFill(shape=[1, 1],
    values=[0.0]). The predict net copies the class names (Copy is the one
    computing operator that takes a string blob) and the uint8 table, and
    adds the weight to the input (Sum of two [1, 1] float32 blobs).
    Expected outputs: the string blob as a TensorProtos (string_data, as
    caffe2/core/blob_serialization.cc writes a STRING tensor) and the
    others as .npy."""
    names = np.array([b"cat", b"dog", b"", b"caf\xc3\xa9\x00"], dtype=object)
    lut = np.array([[3, 0, 255], [9, 128, 1]], np.uint8)
    scale = np.array([[2.5]], np.float32)
    init = net("strings_init", [given_tensor_fill("class_names", names),
                                given_tensor_fill("lut", lut),
                                given_tensor_fill("scale", scale)])
    init.op.extend([create_operator("GivenTensorFill", [], ["data"], shape=[1, 1],
                                    values=[0.0])])
    predict = net("strings_predict",
                  [create_operator("Copy", ["class_names"], ["names_out"]),
                   create_operator("Copy", ["lut"], ["lut_out"]),
                   create_operator("Sum", ["data", "scale"], ["shifted"])],
                  external_input=["data", "class_names", "lut", "scale"],
                  external_output=["names_out", "lut_out", "shifted"])
    write_net(init, "strings_init")
    write_net(predict, "strings_predict")
    save("strings_lut", lut)
    expected = pb.TensorProtos()
    t = expected.protos.add()
    t.name = "class_names"
    t.data_type = pb.TensorProto.STRING
    t.dims.extend(names.shape)
    t.string_data.extend(names.tolist())
    with open(os.path.join(OUT, "strings_class_names.pb"), "wb") as f:
        f.write(expected.SerializeToString(deterministic=True))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(2024)
    predict = mlp_arg_scope(rng)
    xavier_msra_init()
    train_step(rng)
    net_types(predict)
    saved_tensors(rng)
    misc()
    mobile_export_strings()


if __name__ == "__main__":
    main()
