"""opgraph.check_gradient: an operator's registered gradient against central
finite differences (the C++ CheckGradient, core/gradient_checker.h)."""

import collections

import numpy as np

import _opgraph

from . import opgraph_pb2
from .errors import InvalidArgumentError

InputGradientCheck = collections.namedtuple(
    "InputGradientCheck",
    "input blob has_gradient analytic numeric max_abs_error max_rel_error worst_index")


class GradientCheckResult:
    """What the checker found: ``inputs`` (one InputGradientCheck per
    checked input, gradients as float64 arrays of the input's shape),
    ``compute_dtype`` ("float64" or "float32"), ``step``, ``summary``, and
    ``ok`` / ``tolerance_error`` for the tolerance asked for."""

    def __init__(self, raw, shapes):
        self.compute_dtype = raw["compute_dtype"]
        self.step = raw["step"]
        self.summary = raw["summary"]
        self.tolerance_error = raw["tolerance_error"]
        self.ok = not self.tolerance_error
        self.inputs = []
        for d in raw["inputs"]:
            shape = shapes[d["input"]]
            self.inputs.append(InputGradientCheck(
                d["input"], d["blob"], d["has_gradient"], d["analytic"].reshape(shape),
                d["numeric"].reshape(shape), d["max_abs_error"], d["max_rel_error"],
                d["worst_index"]))

    def raise_if_failed(self):
        """InvalidArgumentError (a ValueError) when outside the tolerance."""
        if not self.ok:
            raise InvalidArgumentError(self.tolerance_error + " (" + self.summary + ")")
        return self

    def __repr__(self):
        return "GradientCheckResult(ok=%s, %s)" % (self.ok, self.summary)


def check_gradient(op, inputs, check_inputs=None, outputs=None, use_float64=True, step=0.0,
                   seed=0x5eed, atol=None, rtol=None):
    """Checks the gradient of ``op`` (an OperatorDef, e.g. from
    core.CreateOperator) at ``inputs`` (arrays, one per operator input).

    ``check_inputs``/``outputs``: indices of the inputs to check and the
    outputs forming the loss (default: every float one). ``atol``/``rtol``
    default to 1e-6/1e-5 in float64 and 1e-2/1e-2 in float32. Returns a
    GradientCheckResult; errors (no gradient, bad inputs) raise."""
    if not isinstance(op, (bytes, bytearray)):
        op = op.SerializeToString()
    arrays = [np.asarray(x) for x in inputs]
    raw = _opgraph.check_gradient(
        bytes(op), arrays, list(check_inputs or []), list(outputs or []), bool(use_float64),
        float(step), int(seed), -1.0 if atol is None else float(atol),
        -1.0 if rtol is None else float(rtol))
    return GradientCheckResult(raw, [a.shape for a in arrays])


__all__ = ["check_gradient", "GradientCheckResult", "InputGradientCheck", "opgraph_pb2"]
