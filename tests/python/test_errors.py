"""A failing status becomes the fitting Python exception, with its message."""
import pytest

from _deps import need

np = need("numpy")
opgraph = need("opgraph")
import _opgraph  # noqa: E402
from opgraph import core  # noqa: E402

# absl::StatusCode values.
CODES = {
    3: ("INVALID_ARGUMENT", opgraph.InvalidArgumentError, ValueError),
    5: ("NOT_FOUND", opgraph.NotFoundError, KeyError),
    6: ("ALREADY_EXISTS", opgraph.AlreadyExistsError, ValueError),
    8: ("RESOURCE_EXHAUSTED", opgraph.ResourceExhaustedError, MemoryError),
    9: ("FAILED_PRECONDITION", opgraph.FailedPreconditionError, RuntimeError),
    11: ("OUT_OF_RANGE", opgraph.OutOfRangeError, IndexError),
    12: ("UNIMPLEMENTED", opgraph.UnimplementedError, NotImplementedError),
    13: ("INTERNAL", opgraph.InternalError, RuntimeError),
    2: ("UNKNOWN", opgraph.InternalError, RuntimeError),
}


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_maps_to_its_class(code):
    name, cls, builtin = CODES[code]
    with pytest.raises(cls) as info:
        _opgraph._raise_status(code, "the message 'x'")
    assert isinstance(info.value, builtin)
    assert isinstance(info.value, opgraph.Error)
    assert str(info.value) == "the message 'x'"  # not quoted, even for KeyError
    assert info.value.code == name


def test_fetching_a_missing_blob_is_key_error():
    ws = opgraph.Workspace()
    with pytest.raises(KeyError, match="nope"):
        ws.fetch_blob("nope")


def test_running_a_missing_net_is_key_error():
    with pytest.raises(KeyError, match="absent"):
        opgraph.Workspace().run_net("absent")


def test_misspelt_argument_is_value_error_naming_it():
    net = core.Net("typo")
    net.Selu("X", "Y", alpah=1.5)
    ws = opgraph.Workspace()
    ws.feed_blob("X", np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="alpah") as info:
        ws.create_net(net)
    assert info.value.code == "INVALID_ARGUMENT"
    assert ws.nets() == [] and not ws.has_blob("Y")  # nothing changed


def test_bad_argument_value_and_shape_mismatch_are_value_errors():
    ws = opgraph.Workspace()
    ws.feed_blob("X", np.ones((2, 3), np.float32))
    ws.feed_blob("W", np.ones((4, 5), np.float32))
    ws.feed_blob("b", np.ones(4, np.float32))
    net = core.Net("fc")
    net.FC(["X", "W", "b"], "Y")
    with pytest.raises(ValueError, match="FC"):
        ws.create_net(net)
    bad_scale = core.Net("selu")
    bad_scale.Selu("X", "Y", scale=0.5)  # Selu needs scale > 1
    with pytest.raises(ValueError, match="scale"):
        ws.run_net_once(bad_scale)


def test_missing_input_is_reported_by_name():
    net = core.Net("needs_input")
    net.Selu("missing_blob", "Y")
    with pytest.raises(opgraph.Error, match="missing_blob"):
        opgraph.Workspace().run_net_once(net)


def test_net_created_twice_is_already_exists():
    ws = opgraph.Workspace()
    ws.feed_blob("X", np.ones(3, np.float32))
    net = core.Net("twice")
    net.Selu("X", "Y")
    ws.create_net(net)
    with pytest.raises(opgraph.AlreadyExistsError, match="twice"):
        ws.create_net(net)
    ws.create_net(net, overwrite=True)


def test_huge_fill_is_memory_error():
    net = core.Net("huge")
    net.ConstantFill([], "Y", shape=[1 << 20, 1 << 20, 1 << 10])
    with pytest.raises(MemoryError) as info:
        opgraph.Workspace().run_net_once(net)
    assert info.value.code == "RESOURCE_EXHAUSTED"


def test_gradient_through_weighted_sum_is_runtime_error():
    net = core.Net("ws")
    net.WeightedSum(["A", "w", "B", "v"], "S")
    net.SoftmaxWithLoss(["S", "labels"], ["P", "loss"])
    before = net.Proto().SerializeToString()
    with pytest.raises(RuntimeError, match="WeightedSum") as info:
        net.AddGradientOperators(["loss"])
    assert info.value.code == "FAILED_PRECONDITION"
    assert net.Proto().SerializeToString() == before  # unchanged


def test_unreadable_net_file(tmp_path):
    with pytest.raises(KeyError):
        opgraph.Workspace().run_net_once(str(tmp_path / "no_such_net.pbtxt"))
    bad = tmp_path / "bad.pbtxt"
    bad.write_text("op { type: \n")
    with pytest.raises(ValueError, match="bad.pbtxt"):
        opgraph.read_net(bad)
