"""The task seam: every head answers every question the scripts ask, the selection rule keeps the
best checkpoint of each kind, and the architecture registry builds the compact last conv only
where an architecture has one."""

import argparse

import pytest

torch = pytest.importorskip("torch")

from training import models  # noqa: E402
from training.tasks import TASKS, Task, get_task  # noqa: E402

# what train.py, engine.py, export.py, evaluate.py, robustness.py and model_card.py ask a task
QUESTIONS = (
    "labels num_outputs build_model keep_trained_outputs load select_train train_targets "
    "crop_margin criterion score describe test_only_splits metric higher_is_better worst better "
    "gain inference_module output_names onnx_metadata parity_tol report test_arrays truth "
    "truth_name robust_score fmt change score_name score_caption change_unit image_sets "
    "low_res_goal card_output card_measured selected_by loss_terms outputs_recipe variant "
    "curve_columns measured metric_label output_kind default_outputs"
).split()


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_answers_every_question(name):
    task = TASKS[name]
    assert isinstance(task, Task) and task.name == name
    missing = [q for q in QUESTIONS if not hasattr(task, q)]
    assert missing == []
    args = argparse.Namespace(label_smoothing=0.0, age_sigma=2.0, age_l1_weight=1.0)
    vars(args).update({"age_bin_min": 1.0, "age_bin_max": 117.0, "age_bin_width": 2.0})
    criterion = task.criterion(args, "cpu")
    assert criterion.metric == task.metric
    n = task.default_outputs
    logits = torch.zeros(4, n, requires_grad=True)
    loss, summed = criterion(logits, torch.tensor([0, 1, 1, 0]))
    loss.backward()
    assert loss.ndim == 0 and summed.ndim == 0 and logits.grad is not None
    assert len(task.output_names) >= 1 and task.curve_columns[0][1] == "train_loss"


def test_the_selection_rule_keeps_the_best_checkpoint():
    emotion, age = get_task("emotion"), get_task("age")
    assert emotion.better(0.6, 0.5) and not emotion.better(0.5, 0.6)
    assert emotion.better(0.0, emotion.worst) and emotion.gain(0.6) == 0.6
    assert age.better(5.2, 5.5) and not age.better(5.5, 5.2)  # MAE: lower is better
    assert age.better(100.0, age.worst) and age.gain(5.2) == -5.2
    with pytest.raises(ValueError, match="unknown task"):
        get_task("pose")


def test_the_architecture_registry_builds_the_compact_head_where_there_is_one():
    age = get_task("age")
    assert age.compact_head and not get_task("gender").compact_head
    compact = age.build_model("mini_xception", 59)
    assert compact.classifier.kernel_size == (1, 1)
    assert models.build_model("mini_xception", 59).classifier.kernel_size == (3, 3)
    # the sequential baseline has no compact variant: its 3x3 last conv, as for the classifiers
    fcn = age.build_model("sequential_fcn", 59)
    assert models.count_parameters(fcn) == models.count_parameters(
        models.build_model("sequential_fcn", 59)
    )
    with pytest.raises(ValueError, match="unknown architecture"):
        models.build_model("resnet", 7)
