"""Guided back-propagation rule: negative gradients and negative activations are zeroed; the maps
of an exported head (read back by training/onnx_weights.py) are those of the network it was
exported from; the demo grid shows the faces the package finds, as the package crops them."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training.guided_backprop import GuidedReLU, GuidedReLUFunction, guided_backprop, guided_copy  # noqa: E402


def test_guided_relu_rule():
    x = torch.tensor([-2.0, -1.0, 0.5, 1.0, 3.0], requires_grad=True)
    g = torch.tensor([1.0, -1.0, -2.0, 3.0, 0.5])
    GuidedReLUFunction.apply(x).backward(g)
    # kept only where activation > 0 AND incoming gradient > 0
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 3.0, 0.5]
    y = GuidedReLUFunction.apply(x.detach())
    assert y.tolist() == [0.0, 0.0, 0.5, 1.0, 3.0]


def test_guided_backprop_on_small_network():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(4, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(4, 3, 1),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
    )
    gnet = guided_copy(net)
    assert sum(isinstance(m, GuidedReLU) for m in gnet.modules()) == 2
    assert not any(isinstance(m, torch.nn.ReLU) for m in gnet.modules())
    assert any(isinstance(m, torch.nn.ReLU) for m in net.modules())  # original untouched
    x = torch.randn(1, 1, 8, 8)
    gmap, info = guided_backprop(gnet, x, "class")
    assert gmap.shape == (8, 8) and info["class"] == int(net(x).argmax())

    # independent reference: plain ReLUs, with the incoming gradient of each ReLU output clamped
    # at 0 by a tensor hook (normal ReLU backward then zeroes the negative activations)
    xr = x.clone().requires_grad_(True)
    h = xr
    for m in net:
        h = m(h)
        if isinstance(m, torch.nn.ReLU):
            h.register_hook(lambda g: g.clamp(min=0))
    h[0, info["class"]].backward()
    assert torch.allclose(torch.from_numpy(gmap), xr.grad[0, 0], atol=1e-6)
    # and it differs from the plain gradient (the rule actually did something)
    xp = x.clone().requires_grad_(True)
    net(xp)[0, info["class"]].backward()
    assert not torch.allclose(xp.grad, xr.grad)

    umap, uinfo = guided_backprop(gnet, x, "unit", gnet[2])
    assert umap.shape == (8, 8) and 0 <= uinfo["channel"] < 4


# Exported heads read back by training/onnx_weights.py, and the grid of the demo photos' faces.
@pytest.fixture(scope="module")
def demo_faces():
    from paths import DEMO, require_data

    from training.guided_backprop import demo_faces

    return demo_faces(require_data(DEMO))


@pytest.fixture(scope="module")
def demo_batch(demo_faces):
    from test_onnx_weights import SPEC, face_batch

    return face_batch(demo_faces, SPEC)


@pytest.mark.parametrize("arch", ["mini_xception", "sequential_fcn"])
def test_guided_maps_of_an_onnx_head_equal_those_of_the_network_it_was_exported_from(
    tmp_path, demo_batch, arch
):
    from test_onnx_weights import export_random

    from training.onnx_weights import load_network

    path, original = export_random(tmp_path / "head.onnx", arch, demo_batch, "in_graph")
    loaded, _spec = load_network(path)  # BatchNorms folded into the convs
    x = torch.from_numpy(demo_batch[:1])
    want, info = guided_backprop(guided_copy(original), x, "class")
    got, got_info = guided_backprop(guided_copy(loaded), x, "class")
    assert got_info == info
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()


def test_demo_faces_are_those_the_package_finds_and_crops(tmp_path, demo_faces, demo_batch):
    """Six faces (the astronaut, five of the Solvay photo), cut as FaceClassifier cuts them: the
    probabilities the grid labels a face with are the package's for that box."""
    from test_onnx_weights import SPEC, export_random

    from face_analysis.core.classify import FaceClassifier
    from training.guided_backprop import face_input
    from training.onnx_weights import file_probs, flip_of, load_network

    assert [gray.shape for gray, _face in demo_faces] == [(512, 512)] + [(926, 1280)] * 5
    path, _original = export_random(tmp_path / "head.onnx", "mini_xception", demo_batch, "adaptive")
    network, _spec = load_network(path)
    classifier = FaceClassifier(str(path), None)
    for gray, face in demo_faces:
        (result,) = classifier.classify(gray, [face])
        with torch.no_grad():
            probs = file_probs(network, face_input(gray, face, SPEC)[1], flip_of(path))[0]
        assert np.abs(probs.numpy() - result.emotion.probs).max() < 1e-5


@pytest.mark.parametrize("unit", [False, True])
def test_grid_of_two_onnx_heads_on_the_demo_faces(tmp_path, demo_batch, unit):
    """mini-Xception beside the sequential baseline: a row per face; the crop, then per head its
    class map (and its unit map with --unit); each head's parity with onnxruntime returned."""
    import cv2
    from paths import DEMO
    from test_onnx_weights import export_random

    from training import guided_backprop as G

    heads = [
        export_random(tmp_path / f"{arch}.onnx", arch, demo_batch, flip)[0]
        for arch, flip in (("mini_xception", "adaptive"), ("sequential_fcn", "none"))
    ]
    out = tmp_path / "grid.png"
    argv = ["--faces", "demo", "--demo-dir", DEMO, "--output", out] + ["--unit"] * unit
    argv += [a for head in heads for a in ("--model", head)]
    parity = G.main(G.get_args_parser().parse_args([str(a) for a in argv]))
    assert set(parity) == {"mini_xception", "sequential_fcn"}
    assert max(parity.values()) <= 1e-4
    columns = 1 + 2 * (1 + unit)
    assert cv2.imread(str(out)).shape == (round(1.7 * 6 * 110), round(1.5 * columns * 110), 3)


def test_a_head_that_is_no_classifier_is_refused(tmp_path, constant_age_onnx):
    from training import guided_backprop as G

    argv = ["--faces", "demo", "--model", str(constant_age_onnx), "--output", str(tmp_path / "x")]
    with pytest.raises(SystemExit, match=r"age_31\.onnx: a head of task age;"):
        G.main(G.get_args_parser().parse_args(argv))
