"""The Caffe2-named functions of opgraph.workspace on the default workspace."""
import pytest

from _deps import need

np = need("numpy")
opgraph = need("opgraph")
from opgraph import core, workspace  # noqa: E402


@pytest.fixture(autouse=True)
def fresh():
    workspace.ResetWorkspace()
    yield
    workspace.ResetWorkspace()


def test_feed_fetch_has_blobs():
    assert workspace.Blobs() == []
    assert workspace.FeedBlob("x", np.arange(3, dtype=np.int32))
    assert workspace.HasBlob("x") and not workspace.HasBlob("y")
    np.testing.assert_array_equal(workspace.FetchBlob("x"), [0, 1, 2])
    assert workspace.Blobs() == ["x"]
    assert workspace.CurrentWorkspace().has_blob("x")
    workspace.ResetWorkspace()
    assert workspace.Blobs() == []
    with pytest.raises(KeyError):
        workspace.FetchBlob("x")


def test_create_run_net_and_run_net_once():
    net = core.Net("n")
    net.Selu("x", "y", scale=2.0, alpha=1.0)
    workspace.FeedBlob("x", np.array([-1.0, 2.0]))
    assert workspace.CreateNet(net)
    workspace.RunNet("n")
    np.testing.assert_allclose(workspace.FetchBlob("y"), [2 * np.expm1(-1), 4])
    workspace.FeedBlob("x", np.array([3.0]))
    workspace.RunNet(net)
    np.testing.assert_allclose(workspace.FetchBlob("y"), [6])
    workspace.FeedBlob("x", np.array([0.5]))
    assert workspace.RunNetOnce(net.Proto())
    np.testing.assert_allclose(workspace.FetchBlob("y"), [1])


def test_run_operator_once():
    workspace.RunOperatorOnce(core.CreateOperator(
        "GivenTensorFill", [], ["w"], shape=[2], values=[1.0, 2.0]))
    np.testing.assert_array_equal(workspace.FetchBlob("w"), np.array([1, 2], np.float32))
    op = core.CreateOperator("ConstantFill", ["w"], ["c"], value=3.0)
    workspace.RunOperatorOnce(op.SerializeToString())
    np.testing.assert_array_equal(workspace.FetchBlob("c"), [3, 3])
    with pytest.raises(ValueError, match="bogus"):
        workspace.RunOperatorOnce(core.CreateOperator("ConstantFill", [], ["d"], bogus=1))
