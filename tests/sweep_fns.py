"""Training functions for tests/test_train_sweep.py, in a module of their own so worker
processes (spawned or Ray's) can import them by name."""
import minigrad as mg
from minigrad import nn


def fit_line(config):
    """A few SGD steps of a linear model on random data drawn from the run's seed."""
    x = mg.randn(32, 3, dtype=mg.float64)
    y = x @ mg.tensor([[1.0], [-2.0], [0.5]], dtype=mg.float64)
    model = nn.Linear(3, 1, dtype=mg.float64)
    opt = mg.optim.SGD(model.parameters(), lr=config["lr"])
    for _ in range(config["steps"]):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    return {"loss": float(loss.item()), "w0": float(model.weight[0, 0].item())}


def square(config):
    return config["a"] ** 2


def fail_on_two(config):
    if config["a"] == 2:
        raise ValueError("two is not allowed")
    return {"ok": 1}
