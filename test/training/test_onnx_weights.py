"""An exported head read back into PyTorch (training/onnx_weights.py): its probabilities equal
onnxruntime's on real face crops (the demo photos' faces, cut as the package cuts them) for both
architectures and every flip graph, and a file of another architecture is refused by name."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from paths import DEMO, MODELS, require_data  # noqa: E402

from face_analysis.core.errors import ModelError  # noqa: E402
from face_analysis.core.preprocess import PreprocessSpec  # noqa: E402
from training import data as D  # noqa: E402
from training import export, flip_graph, guided_backprop, onnx_weights  # noqa: E402
from training.models import MiniXception, SequentialFCN, last_conv  # noqa: E402
from training.tasks import TASKS  # noqa: E402

SPEC = PreprocessSpec(task="emotion", labels=D.EMOTION_LABELS, input_size=48, crop_margin_x=0.1)
CLASSES = {"mini_xception": MiniXception, "sequential_fcn": SequentialFCN}


def random_network(arch: str, batch=None, seed: int = 0, num_outputs: int = 7):
    """An untrained network whose BatchNorms are not the identity (random statistics and affine
    parameters), so that folding them into the convs matters; with a batch of faces, its last
    conv rescaled so that the logits over those faces have mean 0 and spread ~1 (an untrained
    network gives every face nearly the same answer, against which parity would mean little)."""
    torch.manual_seed(seed)
    model = TASKS["emotion"].build_model(arch, num_outputs).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d):  # the default init all but loses the input
                torch.nn.init.kaiming_normal_(m.weight)
                if m.bias is not None:
                    m.bias.zero_()
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
        if batch is not None:
            last, x = last_conv(model), torch.from_numpy(batch)
            last.weight.div_(model(x).std(0).mean())
            last.bias.zero_()
            last.bias.sub_(model(x).mean(0))
    return model


def export_random(path, arch: str, batch, flip: str = "none"):
    """random_network(arch, batch) exported as training.export writes it (flip 'none' or
    'in_graph'), or rewritten by training.flip_graph ('batch'; 'adaptive' with margin 0.2)."""
    model = random_network(arch, batch)
    out = export.export_onnx(model, SPEC, path, flip=flip != "none")
    if flip in ("batch", "adaptive"):
        graph = onnx.load(str(out))
        rewritten = (
            flip_graph.batch_flip(graph)
            if flip == "batch"
            else flip_graph.adaptive_flip(graph, 0.2)
        )
        onnx.save(rewritten, str(out))
    return out, model


@pytest.fixture(scope="module")
def faces():
    return guided_backprop.demo_faces(require_data(DEMO))


def face_batch(faces, spec) -> np.ndarray:
    return np.concatenate([guided_backprop.face_input(g, f, spec)[1].numpy() for g, f in faces])


@pytest.mark.parametrize("flip", ["none", "in_graph", "batch", "adaptive"])
@pytest.mark.parametrize("arch", ["mini_xception", "sequential_fcn"])
def test_parity_with_onnxruntime_on_demo_faces(tmp_path, faces, arch, flip):
    batch = face_batch(faces, SPEC)
    path, original = export_random(tmp_path / f"{arch}.onnx", arch, batch, flip)
    network, spec = onnx_weights.load_network(path)
    assert type(network) is CLASSES[arch] and spec == SPEC
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in network.modules())
    assert onnx_weights.flip_of(path)[0] == flip
    assert onnx_weights.parity(path, batch) <= onnx_weights.PARITY_TOL
    with torch.no_grad():  # the same logits as the network that was exported
        x = torch.from_numpy(batch)
        assert torch.allclose(network(x), original(x), atol=1e-4)
        probs = torch.softmax(original(x), 1)
    assert probs.std(0).max() > 0.05  # the faces get different answers: parity means something
    if flip == "adaptive":  # both branches taken on these faces: some flipped, some not
        top = probs.topk(2, 1).values
        gap = top[:, 0] - top[:, 1]
        assert (gap < 0.2).any() and (gap >= 0.2).any()


def test_an_untrained_export_whose_equal_tensors_are_shared_loads(tmp_path, faces):
    """The exporter stores equal tensors once (the zero biases of the folded BatchNorms of a fresh
    mini-Xception) and reaches the repeats through Identity nodes."""
    original = TASKS["emotion"].build_model("mini_xception", 7).eval()
    path = export.export_onnx(original, SPEC, tmp_path / "fresh.onnx", flip=True)
    assert any(
        n.op_type == "Identity" for n in flip_graph.plain_network(onnx.load(path)).graph.node
    )
    network, _spec = onnx_weights.load_network(path)
    batch = face_batch(faces, SPEC)
    assert onnx_weights.parity(path, batch) <= onnx_weights.PARITY_TOL
    with torch.no_grad():
        x = torch.from_numpy(batch)
        assert torch.allclose(network(x), original(x), atol=1e-5)


@pytest.mark.parametrize("head", ["emotion", "emotion_ferplus", "gender"])
def test_shipped_heads_match_onnxruntime(faces, head):
    path = MODELS / f"{head}.onnx"
    network, spec = onnx_weights.load_network(path)
    assert type(network) is MiniXception
    assert onnx_weights.parity(path, face_batch(faces, spec)) <= onnx_weights.PARITY_TOL


def test_a_file_of_another_architecture_is_refused_naming_it(tmp_path):
    wider = MiniXception(7, widths=(16, 32, 64, 96)).eval()
    path = export.export_onnx(wider, SPEC, tmp_path / "wider.onnx")
    with pytest.raises(ModelError, match=r"wider\.onnx: its 23 convolutions fit no arch") as err:
        onnx_weights.load_network(path)
    message = str(err.value)
    assert "mini_xception: conv 17 weight (128, 64, 1, 1), the file's (96, 64, 1, 1)" in message
    assert "sequential_fcn: 10 convs" in message


def test_a_file_whose_outputs_are_not_its_labels_is_refused(tmp_path):
    path = export.export_onnx(
        random_network("mini_xception", num_outputs=8), SPEC, tmp_path / "x.onnx"
    )
    with pytest.raises(ModelError, match=r"x\.onnx: the last conv has 8 outputs, the metadata 7"):
        onnx_weights.load_network(path)


def test_the_age_heads_compact_variant_loads(constant_age_onnx):
    network, spec = onnx_weights.load_network(constant_age_onnx)
    assert spec.task == "age" and network.classifier.kernel_size == (1, 1)
    with torch.no_grad():
        logits = network(torch.zeros(1, 1, 32, 32))[0]
    assert logits.shape == (59,) and int(logits.argmax()) == 15  # the 31-year bin, set to 60
