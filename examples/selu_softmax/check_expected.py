"""Independent check of expected_output.txt: Selu then Softmax in double
precision with Python's math module, compared with the printed float32
values within 1e-6. Run: python3 examples/selu_softmax/check_expected.py"""
import math
import os
import re

ALPHA = 1.6732632423543772848170429916717
SCALE = 1.0507009873554804934193349852946
X = [[-2.0, -0.5, 0.0, 1.5], [3.0, -1.0, 0.25, -0.125]]  # init_net.pbtxt


def selu(v):
    return SCALE * v if v > 0 else SCALE * ALPHA * math.expm1(v)


def softmax(row):
    m = max(row)
    e = [math.exp(v - m) for v in row]
    s = sum(e)
    return [v / s for v in e]


def main():
    expected = [softmax([selu(v) for v in row]) for row in X]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "expected_output.txt")) as f:
        text = f.read()
    printed = [float(v) for v in re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?", text.split("\n", 1)[1])]
    flat = [v for row in expected for v in row]
    assert len(printed) == len(flat), (printed, flat)
    worst = max(abs(a - b) for a, b in zip(printed, flat))
    for row in expected:
        print(" ".join("%.12f" % v for v in row))
    print("max |printed - double reference| = %.3g" % worst)
    assert worst < 1e-6, worst
    print("OK")


if __name__ == "__main__":
    main()
