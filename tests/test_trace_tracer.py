"""GradientTracer: what it records, checked against norms computed by hand."""
import csv
import json
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.trace import METRICS, GradientTracer


def tiny(device, act=nn.ReLU):
    mg.manual_seed(1)
    return nn.Sequential(nn.Linear(3, 4), act(), nn.Linear(4, 2)).to(device)


def data(device, n=5):
    return mg.randn(n, 3, device=device), mg.randn(n, 2, device=device)


def host(t):
    return t.detach().numpy().astype(np.float64)


def step(model, x, y, opt=None):
    """One training step on the mean squared error (no update without an optimizer)."""
    if opt is not None:
        opt.zero_grad()
    ((model(x) - y) ** 2).mean().backward()
    if opt is not None:
        opt.step()


def test_layers_are_modules_with_own_parameters_or_no_children(device):
    tr = GradientTracer(tiny(device))
    assert tr.names == ["0", "1", "2"]
    assert tr.param_names == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_gradient_and_weight_norms_match_hand_computed(device):
    model = tiny(device)
    x, y = data(device)
    w0, b0, w2, b2 = (host(p) for p in model.parameters())
    with GradientTracer(model) as tr:
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
    # by hand: forward and backward of the same 2-layer net in float64 NumPy
    xh, yh = host(x), host(y)
    h = xh @ w0.T + b0
    a = np.maximum(h, 0)
    out = a @ w2.T + b2
    g_out = 2 * (out - yh) / out.size
    g_w2, g_b2 = g_out.T @ a, g_out.sum(0)
    g_a = g_out @ w2
    g_h = g_a * (h > 0)
    g_w0, g_b0 = g_h.T @ xh, g_h.sum(0)
    norm = np.linalg.norm
    expect_grad = [math.hypot(norm(g_w0), norm(g_b0)), math.nan, math.hypot(norm(g_w2), norm(g_b2))]
    np.testing.assert_allclose(tr.history("grad_norm")[0], expect_grad, rtol=1e-4)
    np.testing.assert_allclose(tr.history("out_grad_norm")[0], [norm(g_h), norm(g_a), norm(g_out)], rtol=1e-4)
    np.testing.assert_allclose(tr.history("weight_norm")[0], [math.hypot(norm(w0), norm(b0)), math.nan,
                                                               math.hypot(norm(w2), norm(b2))], rtol=1e-5)
    np.testing.assert_allclose(tr.param_history("grad_norm")[0], [norm(g_w0), norm(g_b0), norm(g_w2), norm(g_b2)],
                               rtol=1e-4)


def test_weight_norms_after_optimizer_steps_are_those_of_the_weights_each_pass_reads(device):
    """From the second pass on ||w||^2 comes from the optimizer step's post-hook; a change
    after the step (a version bump of its own) makes the tracer take the norm itself again."""
    mg.manual_seed(3)
    model = nn.Sequential(nn.Linear(300, 250), nn.Tanh(), nn.Linear(250, 2)).to(device)  # 75,000 > a chunk
    opt = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = mg.randn(8, 300, device=device), mg.randn(8, 2, device=device)
    seen = []
    with GradientTracer(model) as tr:
        for k in range(4):
            seen.append([np.linalg.norm(host(p)) for p in model.parameters()])
            step(model, x, y, opt)
            if k == 1:
                with mg.no_grad():
                    model[0].weight.mul_(3.0)  # the next pass must not use the optimizer's norm
    np.testing.assert_allclose(tr.param_history("weight_norm"), seen, rtol=1e-5)


def test_activation_statistics_match_numpy(device):
    model = tiny(device)
    x, _ = data(device, n=64)
    with GradientTracer(model) as tr:
        out = model(x)
        out.sum().backward()
    w0, b0 = (host(p) for p in list(model.parameters())[:2])
    h = host(x) @ w0.T + b0
    a = np.maximum(h, 0)
    np.testing.assert_allclose(tr.history("act_mean")[0, :2], [h.mean(), a.mean()], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(tr.history("act_std")[0, :2], [h.std(), a.std()], rtol=1e-4, atol=1e-6)
    assert tr.history("dead")[0, 1] == pytest.approx(np.mean((a <= 0).all(axis=0)))
    assert math.isnan(tr.history("dead")[0, 0]) and math.isnan(tr.history("saturated")[0, 1])


def test_saturation_thresholds_for_sigmoid_and_tanh(device):
    for act, rule in ((nn.Sigmoid, lambda s: (s < 0.05) | (s > 0.95)), (nn.Tanh, lambda s: np.abs(s) > 0.95)):
        model = tiny(device, act)
        with mg.no_grad():
            model[0].weight.mul_(8.0)  # push units into saturation
        x, _ = data(device, n=200)
        with GradientTracer(model) as tr:
            model(x).sum().backward()
        out = host(model[1](model[0](x)).detach())
        assert tr.history("saturated")[0, 1] == pytest.approx(rule(out).mean())
        assert 0 < tr.history("saturated")[0, 1] < 1


def test_update_ratio_is_the_real_change_made_by_adam(device):
    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.Adam(model.parameters(), lr=0.01)
    with GradientTracer(model) as tr:
        for _ in range(3):
            before = [host(p) for p in model.parameters()]
            step(model, x, y, opt)
    after = [host(p) for p in model.parameters()]
    expect = [np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(after, before)]
    np.testing.assert_allclose(tr.param_history("update_ratio")[-1], expect, rtol=1e-3)
    # Adam moves every entry by ~lr regardless of the gradient's size: lr*||g||/||w|| would be wrong
    naive = 0.01 * tr.param_history("grad_norm")[-1] / tr.param_history("weight_norm")[-1]
    assert not np.allclose(naive, expect, rtol=0.1)


def test_every_records_every_nth_backward_and_eval_passes_do_not_count(device):
    model = tiny(device)
    x, y = data(device)
    with GradientTracer(model, every=3) as tr:
        for _ in range(7):
            step(model, x, y)
            with mg.no_grad():
                model(x)  # evaluation: not a step
    assert tr.steps == [0, 3, 6]
    assert tr.history("grad_norm").shape == (3, 3)


def test_forward_without_backward_is_not_recorded(device):
    model = tiny(device)
    x, y = data(device)
    with GradientTracer(model) as tr:
        model(x)
        step(model, x, y)
    assert tr.steps == [0]


def test_history_during_a_step_is_provisional_then_final(device):
    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    tr = GradientTracer(model).attach()
    step(model, x, y)
    assert np.nansum(tr.history("update_ratio")) == 0  # no step yet
    opt.step()
    tr.detach()
    assert np.all(tr.history("update_ratio")[0, [0, 2]] > 0)
    assert tr.steps == [0]


def test_detach_removes_every_hook(device):
    model = tiny(device)
    x, y = data(device)
    with GradientTracer(model) as tr:
        step(model, x, y)
    step(model, x, y)
    model(x)
    assert tr.steps == [0]
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    assert all(not p._hooks for p in model.parameters())


def test_shared_layer_gradient_is_the_norm_of_the_sum(device):
    mg.manual_seed(0)
    lin = nn.Linear(3, 3)
    model = nn.Sequential(lin, nn.Tanh(), lin).to(device)
    x, _ = data(device)
    with GradientTracer(model) as tr:
        model(x).sum().backward()
    g = np.sqrt(np.sum(host(lin.weight.grad) ** 2) + np.sum(host(lin.bias.grad) ** 2))
    assert tr.history("grad_norm")[0, 0] == pytest.approx(g, rel=1e-4)


def test_nonfinite_values_are_counted(device):
    model = tiny(device)
    x, y = data(device)
    with mg.no_grad():
        model[2].weight[0, 0] = math.nan
    with GradientTracer(model) as tr:
        step(model, x, y)
    counts = tr.history("nonfinite")[0]
    assert counts[0] > 0 and counts[2] > 0  # NaN weights, NaN outputs and gradients
    assert counts[2] >= 1 + x.shape[0]  # the weight itself and one output column per sample


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_huge_but_finite_gradients_are_not_reported_as_infinite(device):
    model = tiny(device)
    x, y = data(device)
    with GradientTracer(model) as tr:
        (model(x).sum() * 1e25).backward()  # squares overflow float32, the values do not
    assert np.isfinite(tr.history("grad_norm")[0, [0, 2]]).all()
    assert tr.history("nonfinite")[0].sum() == 0


def test_csv_has_one_row_per_step_and_layer(device, tmp_path):
    model = tiny(device)
    x, y = data(device)
    with GradientTracer(model) as tr:
        for _ in range(2):
            step(model, x, y)
    tr.to_csv(tmp_path / "t.csv")
    rows = list(csv.DictReader(open(tmp_path / "t.csv")))
    assert [(r["step"], r["layer"]) for r in rows] == [(s, n) for s in "01" for n in ("0", "1", "2")]
    assert set(rows[0]) == {"step", "layer", *METRICS}
    assert float(rows[3]["grad_norm"]) == pytest.approx(tr.history("grad_norm")[1, 0])
    assert rows[1]["grad_norm"] == ""  # ReLU has no parameters


def test_json_round_trips_the_history(device, tmp_path):
    model = tiny(device)
    x, y = data(device)
    with GradientTracer(model) as tr:
        step(model, x, y)
    tr.to_json(tmp_path / "t.json")
    d = json.load(open(tmp_path / "t.json"))
    assert d["steps"] == [0] and d["names"] == ["0", "1", "2"]
    assert d["grad_norm"][0][1] is None
    np.testing.assert_allclose(d["out_grad_norm"][0], tr.history("out_grad_norm")[0])
    assert len(d["param"]["grad_norm"][0]) == 4


def test_bad_arguments_raise_clear_errors(device):
    with pytest.raises(ValueError, match="every"):
        GradientTracer(tiny(device), every=0)
    with pytest.raises(TypeError, match="nn.Module"):
        GradientTracer(object())
    with pytest.raises(ValueError, match="unknown metric 'loss'"):
        GradientTracer(tiny(device)).history("loss")


def test_steps_and_history_agree_while_attached(device):
    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    tr = GradientTracer(model).attach()
    for k in range(3):
        step(model, x, y, opt)
        assert tr.steps == list(range(k + 1))
        assert tr.history("update_ratio").shape == (k + 1, 3)
    tr.detach()


def test_sgd_update_ratio_equals_lr_times_gradient_over_weight(device):
    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.SGD(model.parameters(), lr=0.05)
    with GradientTracer(model) as tr:
        for _ in range(2):
            step(model, x, y, opt)
    expect = 0.05 * tr.param_history("grad_norm") / tr.param_history("weight_norm")
    np.testing.assert_allclose(tr.param_history("update_ratio"), expect, rtol=1e-3)


def test_activations_false_records_gradients_only(device):
    model = tiny(device)
    x, y = data(device)
    with GradientTracer(model, activations=False) as tr:
        step(model, x, y)
    assert np.isnan(tr.history("act_std")).all() and np.isnan(tr.history("dead")).all()
    assert np.isfinite(tr.history("grad_norm")[0, [0, 2]]).all()


def _traced_ratios(model, x, y, update, steps=3):
    """The tracer's per-parameter update ratios, and ||w_after - w_before|| / ||w_before|| by hand.

    `update()` changes the weights after each backward pass (an optimizer step, or by hand).
    """
    expect = []
    with GradientTracer(model) as tr:
        for _ in range(steps):
            before = [host(p) for p in model.parameters()]
            step(model, x, y)
            update()
            expect.append([np.linalg.norm(host(p) - b) / np.linalg.norm(b)
                           for p, b in zip(model.parameters(), before)])
    return tr.param_history("update_ratio"), np.array(expect)


@pytest.mark.parametrize("make_opt", [
    lambda ps: mg.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
    lambda ps: mg.optim.Adam(ps, lr=0.01, weight_decay=0.1),
    lambda ps: mg.optim.AdamW(ps, lr=0.01, weight_decay=0.5),
], ids=["sgd_momentum", "adam", "adamw"])
def test_update_ratio_measured_by_the_optimizer_matches_hand_computed(device, make_opt):
    model = tiny(device)
    x, y = data(device)
    opt = make_opt(model.parameters())
    got, expect = _traced_ratios(model, x, y, lambda: (opt.step(), opt.zero_grad()))
    np.testing.assert_allclose(got, expect, rtol=1e-4)


def test_update_ratio_of_a_parameter_updated_in_chunks(device):
    mg.manual_seed(2)
    model = nn.Sequential(nn.Linear(300, 300), nn.Tanh(), nn.Linear(300, 2)).to(device)  # 90,000 values: larger than any cache-sized chunk
    x, y = mg.randn(8, 300, device=device), mg.randn(8, 2, device=device)
    opt = mg.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.1)
    got, expect = _traced_ratios(model, x, y, lambda: (opt.step(), opt.zero_grad()))
    np.testing.assert_allclose(got, expect, rtol=1e-4)


def test_manual_update_under_no_grad_is_measured(device):
    model = tiny(device)
    x, y = data(device)

    def update():
        with mg.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
                p.grad = None

    got, expect = _traced_ratios(model, x, y, update)
    np.testing.assert_allclose(got, expect, rtol=1e-4)


def test_lbfgs_update_is_measured(device):
    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.LBFGS(model.parameters(), lr=0.5, max_iter=1)  # one closure call per step

    def closure():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    expect = []
    with GradientTracer(model) as tr:
        for _ in range(3):
            before = [host(p) for p in model.parameters()]
            opt.step(closure)
            expect.append([np.linalg.norm(host(p) - b) / np.linalg.norm(b)
                           for p, b in zip(model.parameters(), before)])
    np.testing.assert_allclose(tr.param_history("update_ratio"), expect, rtol=1e-4)
    assert np.all(np.array(expect) > 0)


def test_change_after_the_optimizer_step_is_included(device):
    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)

    def update():
        opt.step()
        opt.zero_grad()
        with mg.no_grad():
            for p in model.parameters():
                p.clamp_(-0.2, 0.2)

    got, expect = _traced_ratios(model, x, y, update)
    np.testing.assert_allclose(got, expect, rtol=1e-4)


def test_unmeasurable_change_after_reported_steps_is_nan_then_measured_again(device):
    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)

    def halve():  # an update made outside the optimizer, once the optimizer's were reported
        with mg.no_grad():
            for p in model.parameters():
                p.mul_(0.5)

    updates = [opt.step, opt.step, halve, opt.step]
    with GradientTracer(model) as tr:
        for update in updates:
            opt.zero_grad()
            step(model, x, y)
            before = [host(p) for p in model.parameters()]
            update()
            expect = [np.linalg.norm(host(p) - b) / np.linalg.norm(b) for p, b in zip(model.parameters(), before)]
    ratios = tr.param_history("update_ratio")
    assert np.isfinite(ratios[:2]).all() and np.isnan(ratios[2]).all()  # step 2's weights were not snapshotted
    np.testing.assert_allclose(ratios[3], expect, rtol=1e-4)  # snapshots again, then reports again


def test_gradient_accumulation_passes_have_zero_update_with_reporting_optimizer(device):
    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.Adam(model.parameters(), lr=0.01)
    with GradientTracer(model) as tr:
        for i in range(6):
            step(model, x, y)
            if i % 2:
                opt.step()
                opt.zero_grad()
    ratios = tr.param_history("update_ratio")
    assert np.all(ratios[0::2] == 0) and np.all(ratios[1::2] > 0)


def test_two_tracers_of_one_model_agree_and_detach_removes_their_optimizer_hooks(device):
    from minigrad.optim import optimizer

    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    hooks_before = (len(optimizer._global_optimizer_pre_hooks), len(optimizer._global_optimizer_post_hooks))
    first, second = GradientTracer(model).attach(), GradientTracer(model).attach()
    for _ in range(3):
        step(model, x, y, opt)
    first.detach()
    second.detach()
    assert (len(optimizer._global_optimizer_pre_hooks), len(optimizer._global_optimizer_post_hooks)) == hooks_before
    np.testing.assert_allclose(first.param_history("update_ratio"), second.param_history("update_ratio"))
    assert np.all(first.param_history("update_ratio")[:2] > 0)


def test_attaching_the_tracer_does_not_change_the_optimizers_arithmetic(device):
    runs = []
    for traced in (False, True):
        mg.manual_seed(2)
        model = nn.Sequential(nn.Linear(300, 300), nn.Tanh(), nn.Linear(300, 2)).to(device)
        x, y = mg.randn(8, 300, device=device), mg.randn(8, 2, device=device)
        opt = mg.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.1)
        tracer = GradientTracer(model).attach() if traced else None
        for _ in range(3):
            step(model, x, y, opt)
        if tracer is not None:
            tracer.detach()
        runs.append([host(p) for p in model.parameters()])
    for plain, traced in zip(*runs):
        np.testing.assert_array_equal(plain, traced)


def test_max_steps_bounds_the_history_and_keeps_the_whole_run_evenly(device):
    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.SGD(model.parameters(), lr=0.01)
    with GradientTracer(model, max_steps=8) as tr:
        for _ in range(40):
            step(model, x, y, opt)
    steps = tr.steps
    assert len(steps) <= 8 and steps[0] == 0 and steps[-1] >= 32
    assert len(set(np.diff(steps))) == 1  # evenly spaced
    assert tr.history("grad_norm").shape == (len(steps), 3)
    assert tr.param_history("update_ratio").shape == (len(steps), 4)
    assert np.isfinite(tr.param_history("update_ratio")).all()


def test_decimated_rows_are_those_recorded_at_their_steps(device):
    model = tiny(device)
    x, y = data(device)
    full, bounded = GradientTracer(model, max_steps=None).attach(), GradientTracer(model, max_steps=4).attach()
    for _ in range(12):
        step(model, x, y)
    full.detach()
    bounded.detach()
    rows = [full.steps.index(s) for s in bounded.steps]
    np.testing.assert_array_equal(bounded.history("grad_norm"), full.history("grad_norm")[rows])


def test_clear_forgets_the_history_and_recording_goes_on(device):
    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.SGD(model.parameters(), lr=0.01)
    with GradientTracer(model) as tr:
        for _ in range(3):
            step(model, x, y, opt)
        tr.clear()
        assert tr.steps == [] and tr.history("grad_norm").shape == (0, 3)
        for _ in range(2):
            step(model, x, y, opt)
    assert tr.steps == [3, 4]
    assert np.isfinite(tr.param_history("grad_norm")).all()


def test_max_steps_must_be_a_positive_int_or_none(device):
    with pytest.raises(ValueError, match="max_steps"):
        GradientTracer(tiny(device), max_steps=0)


def test_activation_kind_comes_from_the_op_when_the_module_type_does_not_say(device):
    class Rectify(nn.Module):  # no children, no parameters: a layer; its op is a ReLU
        def forward(self, x):
            return x.relu()

    class Squash(nn.Module):
        def forward(self, x):
            return x.sigmoid()

    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), Rectify(), nn.Linear(4, 4), Squash()).to(device)
    x, y = mg.randn(6, 3, device=device), mg.randn(6, 4, device=device)
    with GradientTracer(model) as tr:
        step(model, x, y)
    h = host(model[1](model[0](x)))
    assert tr.history("dead")[0, 1] == pytest.approx(np.mean((h <= 0).all(axis=0)))
    assert np.isfinite(tr.history("saturated")[0, 3]) and np.isnan(tr.history("saturated")[0, 1])


def test_a_change_between_optimizer_steps_makes_the_next_step_copy_the_weights_again(device):
    """The post-hook keeps a copy of the new weights for the next step's pre-hook; a change
    made in between (here before the next forward pass) must not be counted in that step."""
    model = tiny(device)
    x, y = data(device)
    opt = mg.optim.SGD(model.parameters(), lr=0.05)
    expect = []
    with GradientTracer(model) as tr:
        for k in range(4):
            if k == 2:
                with mg.no_grad():
                    for p in model.parameters():
                        p.mul_(2.0)
            opt.zero_grad()
            step(model, x, y)
            before = [host(p) for p in model.parameters()]
            opt.step()
            expect.append([np.linalg.norm(host(p) - b) / np.linalg.norm(b) for p, b in zip(model.parameters(), before)])
    ratios = tr.param_history("update_ratio")
    assert np.isnan(ratios[1]).all()  # the doubling came after step 1's reported update: unknown
    np.testing.assert_allclose(ratios[[0, 2, 3]], np.array(expect)[[0, 2, 3]], rtol=1e-4)


@pytest.mark.parametrize("act", [nn.ReLU, nn.Sigmoid], ids=["relu", "sigmoid"])
def test_large_outputs_count_saturation_on_every_kth_sample_and_the_rest_exactly(device, act):
    """Above 8,192 values the saturated fraction comes from every k-th sample of the batch
    (k = values // 8,192); mean, std and dead units use every sample."""
    mg.manual_seed(4)
    model = nn.Sequential(nn.Linear(16, 512), act()).to(device)
    with mg.no_grad():
        if act is nn.ReLU:
            model[0].bias.sub_(1.5)  # most units dead on every sample, but not on every other one
        else:
            model[0].weight.mul_(8.0)  # push units into saturation
    x = mg.randn(40, 16, device=device)  # 40 x 512 = 20,480 values: k = 2, 20 samples counted
    with GradientTracer(model) as tr:
        model(x).sum().backward()
    h = host(model[0](x).detach())
    a = host(model(x).detach())
    np.testing.assert_allclose(tr.history("act_mean")[0], [h.mean(), a.mean()], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(tr.history("act_std")[0], [h.std(), a.std()], rtol=1e-4, atol=1e-6)
    if act is nn.ReLU:
        dead = np.mean((a <= 0).all(axis=0))
        assert tr.history("dead")[0, 1] == pytest.approx(dead)
        assert dead < np.mean((a[::2] <= 0).all(axis=0))  # a sample would overstate it: dead reads all
    else:
        sample = a[::2]
        assert tr.history("saturated")[0, 1] == pytest.approx(np.mean((sample < 0.05) | (sample > 0.95)))
