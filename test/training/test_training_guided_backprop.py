"""Guided back-propagation rule: negative gradients and negative activations are zeroed."""

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
